import { z } from 'zod';
import { MobilityId, OrgId, ProjectId } from '../ids';
import { Cents, formatEur } from '../money';
import { ProjectTerms } from '../project/agreement';
import { FunderLine, type ProjectEvent } from './events';

/**
 * The per-project budget guard: one decider over the project's funder lines.
 * decide(command, state) returns events or throws BudgetError with a code and a readable
 * reason; evolve(state, event) folds an event. Both pure. Every command is idempotent for a
 * retried caller: the same reservation twice, or a release of nothing, decides no events.
 */
export const RegisterProject = z.strictObject({
  type: z.literal('RegisterProject'),
  projectId: ProjectId,
  institutionId: OrgId,
  consortiumId: OrgId.nullable().default(null),
  lines: z.array(FunderLine).min(1).refine((ls) => new Set(ls.map((l) => l.lineId)).size === ls.length, 'funder line ids must be unique'),
  /** The grant agreement's terms (call year, action, NA rates): every mobility's grant is computed from them. */
  terms: ProjectTerms.optional(),
});
export type Registered = z.infer<typeof RegisterProject>;
export const ReserveBudget = z.strictObject({ type: z.literal('ReserveBudget'), mobilityId: MobilityId, lineId: z.string().min(1), amountCents: Cents.nonnegative() });
export const AdjustReservation = z.strictObject({ type: z.literal('AdjustReservation'), mobilityId: MobilityId, amountCents: Cents.nonnegative() });
export const ReleaseReservation = z.strictObject({ type: z.literal('ReleaseReservation'), mobilityId: MobilityId, reason: z.string().min(1) });
export const BudgetCommand = z.discriminatedUnion('type', [RegisterProject, ReserveBudget, AdjustReservation, ReleaseReservation]);
export type BudgetCommand = z.infer<typeof BudgetCommand>;
export type RegisterProjectInput = z.input<typeof RegisterProject>;

export interface LineState extends FunderLine {
  reservedCents: Cents;
  reservedMobilities: number;
}
export interface Reservation {
  lineId: string;
  amountCents: Cents;
}
export type BudgetState =
  | { status: 'unregistered'; sequence: number }
  | {
      status: 'registered';
      projectId: string;
      institutionId: string;
      consortiumId: string | null;
      lines: Record<string, LineState>;
      reservations: Record<string, Reservation>;
      /** Number of events folded so far (the next event's sequence). */
      sequence: number;
    };

export const initialBudgetState = (): BudgetState => ({ status: 'unregistered', sequence: 0 });

export const BUDGET_ERRORS = ['ProjectNotRegistered', 'AlreadyRegistered', 'UnknownLine', 'InsufficientFunds', 'NoMobilitiesLeft', 'AlreadyReserved', 'NoReservation'] as const;
export type BudgetErrorCode = (typeof BUDGET_ERRORS)[number];

export class BudgetError extends Error {
  override readonly name = 'BudgetError';
  constructor(
    readonly code: BudgetErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const remaining = (l: LineState) => ({ cents: l.allocatedCents - l.reservedCents, mobilities: l.allocatedMobilities - l.reservedMobilities });

export function decide(command: BudgetCommand, state: BudgetState): ProjectEvent[] {
  if (command.type === 'RegisterProject') {
    if (state.status === 'registered') {
      const same = JSON.stringify(Object.values(state.lines).map(({ lineId, funder, allocatedCents, allocatedMobilities }) => ({ lineId, funder, allocatedCents, allocatedMobilities }))) === JSON.stringify(command.lines);
      if (same) return [];
      throw new BudgetError('AlreadyRegistered', `project ${state.projectId} is already registered with other funder lines`);
    }
    return [{ type: 'ProjectRegistered', version: 1, payload: { institutionId: command.institutionId, lines: command.lines } }];
  }
  if (state.status !== 'registered') throw new BudgetError('ProjectNotRegistered', 'the project is not registered: register its funder lines first');
  switch (command.type) {
    case 'ReserveBudget': {
      const line = state.lines[command.lineId];
      if (!line) throw new BudgetError('UnknownLine', `funder line ${command.lineId} does not exist in project ${state.projectId} (lines: ${Object.keys(state.lines).join(', ')})`);
      const existing = state.reservations[command.mobilityId];
      if (existing) {
        if (existing.lineId === command.lineId && existing.amountCents === command.amountCents) return [];
        throw new BudgetError('AlreadyReserved', `mobility ${command.mobilityId} already holds ${formatEur(existing.amountCents)} on line ${existing.lineId}; adjust it instead`);
      }
      const left = remaining(line);
      if (left.mobilities < 1) throw new BudgetError('NoMobilitiesLeft', `line ${line.lineId} (${line.funder}) has no mobility left: ${line.reservedMobilities} of ${line.allocatedMobilities} allocated mobilities are taken`);
      if (command.amountCents > left.cents) {
        throw new BudgetError('InsufficientFunds', `selection would overspend line ${line.lineId} (${line.funder}) by ${formatEur(command.amountCents - left.cents)}: estimated grant ${formatEur(command.amountCents)}, ${formatEur(left.cents)} left of ${formatEur(line.allocatedCents)}`);
      }
      return [{ type: 'BudgetReserved', version: 1, payload: { mobilityId: command.mobilityId, lineId: line.lineId, amountCents: command.amountCents, reservedCents: line.reservedCents + command.amountCents, reservedMobilities: line.reservedMobilities + 1 } }];
    }
    case 'AdjustReservation': {
      const existing = state.reservations[command.mobilityId];
      if (!existing) throw new BudgetError('NoReservation', `mobility ${command.mobilityId} holds no reservation in project ${state.projectId}`);
      if (existing.amountCents === command.amountCents) return [];
      const line = state.lines[existing.lineId]!;
      const delta = command.amountCents - existing.amountCents;
      if (delta > 0 && delta > remaining(line).cents) {
        throw new BudgetError('InsufficientFunds', `raising mobility ${command.mobilityId} to ${formatEur(command.amountCents)} would overspend line ${line.lineId} (${line.funder}) by ${formatEur(delta - remaining(line).cents)}`);
      }
      return [{ type: 'BudgetReservationAdjusted', version: 1, payload: { mobilityId: command.mobilityId, lineId: line.lineId, fromCents: existing.amountCents, toCents: command.amountCents, deltaCents: delta, reservedCents: line.reservedCents + delta, reservedMobilities: line.reservedMobilities } }];
    }
    case 'ReleaseReservation': {
      const existing = state.reservations[command.mobilityId];
      if (!existing) return [];
      const line = state.lines[existing.lineId]!;
      return [{ type: 'BudgetReleased', version: 1, payload: { mobilityId: command.mobilityId, lineId: line.lineId, releasedCents: existing.amountCents, reason: command.reason, reservedCents: line.reservedCents - existing.amountCents, reservedMobilities: line.reservedMobilities - 1 } }];
    }
    default: {
      const never: never = command;
      throw new Error(`unknown budget command ${JSON.stringify(never)}`);
    }
  }
}

/** Fold one event. ProjectRegistered needs the ids, which travel in the envelope: pass them. */
export function evolve(state: BudgetState, event: ProjectEvent, ids?: { projectId: string; consortiumId: string | null }): BudgetState {
  const sequence = state.sequence + 1;
  switch (event.type) {
    case 'ProjectRegistered':
      return {
        status: 'registered',
        projectId: ids?.projectId ?? '',
        institutionId: event.payload.institutionId,
        consortiumId: ids?.consortiumId ?? null,
        lines: Object.fromEntries(event.payload.lines.map((l) => [l.lineId, { ...l, reservedCents: 0, reservedMobilities: 0 }])),
        reservations: {},
        sequence,
      };
    case 'BudgetReserved':
    case 'BudgetReservationAdjusted':
    case 'BudgetReleased': {
      if (state.status !== 'registered') return { ...state, sequence };
      const p = event.payload;
      const line = state.lines[p.lineId]!;
      const reservations = { ...state.reservations };
      if (event.type === 'BudgetReleased') delete reservations[p.mobilityId];
      else reservations[p.mobilityId] = { lineId: p.lineId, amountCents: event.type === 'BudgetReserved' ? event.payload.amountCents : event.payload.toCents };
      return { ...state, lines: { ...state.lines, [p.lineId]: { ...line, reservedCents: p.reservedCents, reservedMobilities: p.reservedMobilities } }, reservations, sequence };
    }
    default: {
      const never: never = event;
      throw new Error(`unknown project event ${JSON.stringify(never)}`);
    }
  }
}

export interface BudgetSummary {
  projectId: string;
  lines: (LineState & { remainingCents: Cents; remainingMobilities: number })[];
  reservations: number;
}

export function summarise(state: BudgetState): BudgetSummary | null {
  if (state.status !== 'registered') return null;
  return {
    projectId: state.projectId,
    lines: Object.values(state.lines).map((l) => ({ ...l, remainingCents: remaining(l).cents, remainingMobilities: remaining(l).mobilities })),
    reservations: Object.keys(state.reservations).length,
  };
}
