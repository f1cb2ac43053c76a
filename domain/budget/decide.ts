import { z } from 'zod';
import { MobilityId, OrgId, ProjectId } from '../ids';
import { Cents, formatEur } from '../money';
import { ProjectTerms } from '../project/agreement';
import { FunderRule } from '../funding';
import { defaultRuleOf, FunderLine, type ProjectEvent, type RuledFunderLine } from './events';

/**
 * The per-project budget guard: one decider over the project's funder lines.
 * decide(command, state) returns events or throws BudgetError with a code and a readable
 * reason; evolve(state, event) folds an event. Both pure. Every command is idempotent for a
 * retried caller: the same reservation twice, or a release of nothing, decides no events.
 */
/**
 * A funder line at registration: its rule is optional (`erasmus-plus` for the ERASMUS+ line, none for another
 * funder's line registered without one), so registrations made before co-funding keep their meaning.
 */
export const RegisterLine = FunderLine.extend({
  rule: FunderRule.nullable().optional().describe("how this line's share of a co-funded mobility is computed: erasmus-plus (the ERASMUS+ line) or flat (per month abroad or per mobility, optional cap and condition); default erasmus-plus for the ERASMUS+ funder, none for others"),
}).transform((l): RuledFunderLine => ({ ...l, rule: l.rule === undefined ? defaultRuleOf(l) : l.rule }));

/** The rules between a project's lines: one line pays the Erasmus+ grant, and the ERASMUS+ line is that one. */
const lineRules = (ls: readonly RuledFunderLine[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  let erasmus: string | null = null;
  ls.forEach((l, i) => {
    if (seen.has(l.lineId)) ctx.addIssue({ code: 'custom', path: [i, 'lineId'], message: `funder line ids must be unique: ${l.lineId} appears twice` });
    seen.add(l.lineId);
    if (l.funder === 'ERASMUS+' && l.rule?.kind !== 'erasmus-plus') {
      ctx.addIssue({ code: 'custom', path: [i, 'rule'], message: `line ${l.lineId} is the ERASMUS+ line: it pays the Erasmus+ grant, so its rule is erasmus-plus (a flat rule belongs on another funder's line)` });
    }
    if (l.rule?.kind === 'erasmus-plus') {
      if (erasmus !== null) ctx.addIssue({ code: 'custom', path: [i, 'rule'], message: `only one line pays the Erasmus+ grant: line ${erasmus} already has the erasmus-plus rule` });
      else erasmus = l.lineId;
    }
  });
};

export const RegisterProject = z.strictObject({
  type: z.literal('RegisterProject'),
  projectId: ProjectId,
  institutionId: OrgId,
  consortiumId: OrgId.nullable().default(null),
  lines: z.array(RegisterLine).min(1).superRefine(lineRules),
  /** The grant agreement's terms (call year, action, NA rates): every mobility's grant is computed from them. */
  terms: ProjectTerms.optional(),
});
export type Registered = z.infer<typeof RegisterProject>;
/** A co-funding line's share of one mobility (domain/funding), reserved beside the Erasmus+ amount. */
export const LineShareRequest = z.strictObject({ lineId: z.string().min(1), amountCents: Cents.nonnegative() });
export type LineShareRequest = z.infer<typeof LineShareRequest>;
const coFundingShares = (what: string) =>
  z.array(LineShareRequest).max(10).optional().describe(what).superRefine((xs, ctx) => {
    const ids = (xs ?? []).map((x) => x.lineId);
    ids.forEach((id, i) => { if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i, 'lineId'], message: `line ${id} appears twice` }); });
  });
/**
 * Reserve a mobility's Erasmus+ amount on its line and, for a co-funded mobility, each co-funding line's share on
 * that line: all or nothing, one BudgetReserved per line (a share of 0 is not reserved).
 */
export const ReserveBudget = z.strictObject({
  type: z.literal('ReserveBudget'), mobilityId: MobilityId, lineId: z.string().min(1), amountCents: Cents.nonnegative(),
  coFunding: coFundingShares('co-funding lines and their shares (a co-funded mobility)'),
});
/** Adjust the amount on the mobility's own line and, when given, each co-funding line's share (reserved if it was 0 before). */
export const AdjustReservation = z.strictObject({
  type: z.literal('AdjustReservation'), mobilityId: MobilityId, amountCents: Cents.nonnegative(),
  coFunding: coFundingShares('the new share of each co-funding line'),
});
/** Release everything the mobility holds: its own line and every co-funding line. */
export const ReleaseReservation = z.strictObject({ type: z.literal('ReleaseReservation'), mobilityId: MobilityId, reason: z.string().min(1) });
export const BudgetCommand = z.discriminatedUnion('type', [RegisterProject, ReserveBudget, AdjustReservation, ReleaseReservation]);
export type BudgetCommand = z.infer<typeof BudgetCommand>;
export type RegisterProjectInput = z.input<typeof RegisterProject>;

export interface LineState extends RuledFunderLine {
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
      /** What each mobility holds on its own line (the Erasmus+ amount). */
      reservations: Record<string, Reservation>;
      /**
       * What each co-funded mobility holds on each co-funding line (mobility → line → cents). Absent in the state of a
       * guard carried over continueAsNew before co-funding: read it with `coReservationsOf`.
       */
      coReservations?: Record<string, Record<string, Cents>>;
      /** Number of events folded so far (the next event's sequence). */
      sequence: number;
    };

export const initialBudgetState = (): BudgetState => ({ status: 'unregistered', sequence: 0 });

export const BUDGET_ERRORS = ['ProjectNotRegistered', 'AlreadyRegistered', 'UnknownLine', 'InsufficientFunds', 'NoMobilitiesLeft', 'AlreadyReserved', 'NoReservation', 'NotACoFundingLine'] as const;
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

/** The co-funding reservations of a state (none in a state carried over from before co-funding). */
export const coReservationsOf = (state: Extract<BudgetState, { status: 'registered' }>): Record<string, Record<string, Cents>> => state.coReservations ?? {};

/** Everything one mobility holds, line by line: its own line first, then its co-funding lines. */
export const holdingsOf = (state: BudgetState, mobilityId: string): { lineId: string; amountCents: Cents }[] => {
  if (state.status !== 'registered') return [];
  const own = state.reservations[mobilityId];
  return [...(own ? [{ lineId: own.lineId, amountCents: own.amountCents }] : []), ...Object.entries(coReservationsOf(state)[mobilityId] ?? {}).map(([lineId, amountCents]) => ({ lineId, amountCents }))];
};

type Registered_ = Extract<BudgetState, { status: 'registered' }>;
type Running = Map<string, { cents: Cents; mobilities: number }>;
/** Each line's reserved totals as the events of one decision move them (several events may touch lines in turn). */
const runningTotals = (state: Registered_): Running => new Map(Object.values(state.lines).map((l) => [l.lineId, { cents: l.reservedCents, mobilities: l.reservedMobilities }]));
const unknownLine = (state: Registered_, lineId: string) =>
  new BudgetError('UnknownLine', `funder line ${lineId} does not exist in project ${state.projectId} (lines: ${Object.keys(state.lines).join(', ')})`);

const reserve = (running: Running, line: LineState, mobilityId: string, amountCents: Cents, what: string): ProjectEvent => {
  const r = running.get(line.lineId)!;
  const left = { cents: line.allocatedCents - r.cents, mobilities: line.allocatedMobilities - r.mobilities };
  if (left.mobilities < 1) throw new BudgetError('NoMobilitiesLeft', `line ${line.lineId} (${line.funder}) has no mobility left: ${r.mobilities} of ${line.allocatedMobilities} allocated mobilities are taken`);
  if (amountCents > left.cents) {
    const label = what === 'selection' ? 'estimated grant' : what;
    throw new BudgetError('InsufficientFunds', `selection would overspend line ${line.lineId} (${line.funder}) by ${formatEur(amountCents - left.cents)}: ${label} ${formatEur(amountCents)}, ${formatEur(left.cents)} left of ${formatEur(line.allocatedCents)}`);
  }
  r.cents += amountCents;
  r.mobilities += 1;
  return { type: 'BudgetReserved', version: 1, payload: { mobilityId, lineId: line.lineId, amountCents, reservedCents: r.cents, reservedMobilities: r.mobilities } };
};

const adjust = (running: Running, line: LineState, mobilityId: string, fromCents: Cents, toCents: Cents): ProjectEvent => {
  const r = running.get(line.lineId)!;
  const delta = toCents - fromCents;
  const left = line.allocatedCents - r.cents;
  if (delta > 0 && delta > left) {
    throw new BudgetError('InsufficientFunds', `raising mobility ${mobilityId} to ${formatEur(toCents)} would overspend line ${line.lineId} (${line.funder}) by ${formatEur(delta - left)}`);
  }
  r.cents += delta;
  return { type: 'BudgetReservationAdjusted', version: 1, payload: { mobilityId, lineId: line.lineId, fromCents, toCents, deltaCents: delta, reservedCents: r.cents, reservedMobilities: r.mobilities } };
};

export function decide(command: BudgetCommand, state: BudgetState): ProjectEvent[] {
  if (command.type === 'RegisterProject') {
    if (state.status === 'registered') {
      const same = JSON.stringify(Object.values(state.lines).map(({ lineId, funder, allocatedCents, allocatedMobilities, rule }) => ({ lineId, funder, allocatedCents, allocatedMobilities, rule }))) === JSON.stringify(command.lines);
      if (same) return [];
      throw new BudgetError('AlreadyRegistered', `project ${state.projectId} is already registered with other funder lines`);
    }
    return [{ type: 'ProjectRegistered', version: 2, payload: { institutionId: command.institutionId, lines: command.lines } }];
  }
  if (state.status !== 'registered') throw new BudgetError('ProjectNotRegistered', 'the project is not registered: register its funder lines first');
  switch (command.type) {
    case 'ReserveBudget': {
      const line = state.lines[command.lineId];
      if (!line) throw unknownLine(state, command.lineId);
      const co = command.coFunding ?? [];
      for (const x of co) if (!state.lines[x.lineId]) throw unknownLine(state, x.lineId);
      if (co.some((x) => x.lineId === command.lineId)) throw new BudgetError('NotACoFundingLine', `line ${command.lineId} is mobility ${command.mobilityId}'s own line: a co-funding line is another line`);
      const existing = state.reservations[command.mobilityId];
      if (existing) {
        const held = coReservationsOf(state)[command.mobilityId] ?? {};
        const same = existing.lineId === command.lineId && existing.amountCents === command.amountCents && co.every((x) => (held[x.lineId] ?? 0) === x.amountCents);
        if (same) return [];
        throw new BudgetError('AlreadyReserved', `mobility ${command.mobilityId} already holds ${formatEur(existing.amountCents)} on line ${existing.lineId}; adjust it instead`);
      }
      const running = runningTotals(state);
      return [
        reserve(running, line, command.mobilityId, command.amountCents, 'selection'),
        ...co.filter((x) => x.amountCents > 0).map((x) => reserve(running, state.lines[x.lineId]!, command.mobilityId, x.amountCents, 'co-funding share')),
      ];
    }
    case 'AdjustReservation': {
      const existing = state.reservations[command.mobilityId];
      if (!existing) throw new BudgetError('NoReservation', `mobility ${command.mobilityId} holds no reservation in project ${state.projectId}`);
      const co = command.coFunding ?? [];
      for (const x of co) if (!state.lines[x.lineId]) throw unknownLine(state, x.lineId);
      if (co.some((x) => x.lineId === existing.lineId)) throw new BudgetError('NotACoFundingLine', `line ${existing.lineId} is mobility ${command.mobilityId}'s own line: a co-funding line is another line`);
      const running = runningTotals(state);
      const out: ProjectEvent[] = [];
      if (existing.amountCents !== command.amountCents) out.push(adjust(running, state.lines[existing.lineId]!, command.mobilityId, existing.amountCents, command.amountCents));
      const held = coReservationsOf(state)[command.mobilityId] ?? {};
      for (const x of co) {
        const line = state.lines[x.lineId]!;
        const before = held[x.lineId];
        if (before === undefined) {
          if (x.amountCents > 0) out.push(reserve(running, line, command.mobilityId, x.amountCents, 'co-funding share'));
        } else if (before !== x.amountCents) out.push(adjust(running, line, command.mobilityId, before, x.amountCents));
      }
      return out;
    }
    case 'ReleaseReservation': {
      const existing = state.reservations[command.mobilityId];
      const held = Object.entries(coReservationsOf(state)[command.mobilityId] ?? {});
      const running = runningTotals(state);
      const release = (lineId: string, cents: Cents): ProjectEvent => {
        const r = running.get(lineId)!;
        r.cents -= cents;
        r.mobilities -= 1;
        return { type: 'BudgetReleased', version: 1, payload: { mobilityId: command.mobilityId, lineId, releasedCents: cents, reason: command.reason, reservedCents: r.cents, reservedMobilities: r.mobilities } };
      };
      return [...(existing ? [release(existing.lineId, existing.amountCents)] : []), ...held.map(([lineId, cents]) => release(lineId, cents))];
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
      const co = { ...coReservationsOf(state) };
      const mine = { ...(co[p.mobilityId] ?? {}) };
      const own = reservations[p.mobilityId];
      // A co-funding line is one the mobility holds beside its own line (its own line is the first it reserved).
      const onCoLine = p.lineId in mine || (own !== undefined && own.lineId !== p.lineId);
      const amount = event.type === 'BudgetReserved' ? event.payload.amountCents : event.type === 'BudgetReservationAdjusted' ? event.payload.toCents : null;
      if (onCoLine) {
        if (amount === null) delete mine[p.lineId];
        else mine[p.lineId] = amount;
        if (Object.keys(mine).length > 0) co[p.mobilityId] = mine;
        else delete co[p.mobilityId];
      } else if (amount === null) delete reservations[p.mobilityId];
      else reservations[p.mobilityId] = { lineId: p.lineId, amountCents: amount };
      const lines = { ...state.lines, [p.lineId]: { ...line, reservedCents: p.reservedCents, reservedMobilities: p.reservedMobilities } };
      return { ...state, lines, reservations, ...(Object.keys(co).length > 0 || state.coReservations ? { coReservations: co } : {}), sequence };
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

/** How many mobilities hold something (own line or co-funding), without building a set of every id (a guard answers this per Update). */
const reservationCount = (state: Registered_): number => {
  const own = state.reservations;
  let n = Object.keys(own).length;
  for (const id of Object.keys(coReservationsOf(state))) if (!Object.hasOwn(own, id)) n++;
  return n;
};

export function summarise(state: BudgetState): BudgetSummary | null {
  if (state.status !== 'registered') return null;
  return {
    projectId: state.projectId,
    lines: Object.values(state.lines).map((l) => ({ ...l, remainingCents: remaining(l).cents, remainingMobilities: remaining(l).mobilities })),
    reservations: reservationCount(state),
  };
}
