import { z } from 'zod';
import { MobilityId, OrgId } from '../ids';
import { Cents } from '../money';
import { StreamEnvelope, eventIdFor } from '../envelope';
import { FunderRule } from '../funding';

/**
 * Project (budget) events. They travel on the `project-events` topic, keyed by project id, in
 * a ProjectEventEnvelope: like the mobility EventEnvelope but the stream is the project
 * (eventId `${projectId}:${sequence}`) and there is no mobilityId at envelope level.
 * Past-tense facts, no optional fields, money in integer cents.
 */
export const FunderLine = z.strictObject({
  lineId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'funder line id: letters, digits, dot, dash, underscore'),
  funder: z.string().min(1).max(120),
  allocatedCents: Cents.nonnegative(),
  allocatedMobilities: z.int().nonnegative(),
});
export type FunderLine = z.infer<typeof FunderLine>;

/** The funder whose line pays the Erasmus+ grant (rule `erasmus-plus` by default). */
export const ERASMUS_PLUS_FUNDER = 'ERASMUS+';

/**
 * A funder line as registered (ProjectRegistered v2): with the rule its share of a co-funded mobility is computed by
 * (domain/funding `FunderRule`), or null for a line of another funder registered without one (it pays the
 * Erasmus+ grant of the mobilities that name it as their line, as before co-funding, and co-funds none).
 */
export const RuledFunderLine = FunderLine.extend({ rule: FunderRule.nullable() });
export type RuledFunderLine = z.infer<typeof RuledFunderLine>;

/** The rule a line registered without one has: `erasmus-plus` for the ERASMUS+ line, none for the others. */
export const defaultRuleOf = (line: Pick<FunderLine, 'funder'>): FunderRule | null => (line.funder === ERASMUS_PLUS_FUNDER ? { kind: 'erasmus-plus' } : null);

/** v1: lines without rules (before co-funding). Upcast to v2 by `upcastProjectEvent`. */
export const ProjectRegisteredV1 = z.strictObject({
  type: z.literal('ProjectRegistered'),
  version: z.literal(1),
  payload: z.strictObject({ institutionId: OrgId, lines: z.array(FunderLine).min(1) }),
});
/** v2: each line with its rule (null: none). */
export const ProjectRegisteredV2 = z.strictObject({
  type: z.literal('ProjectRegistered'),
  version: z.literal(2),
  payload: z.strictObject({ institutionId: OrgId, lines: z.array(RuledFunderLine).min(1) }),
});
export const BudgetReservedV1 = z.strictObject({
  type: z.literal('BudgetReserved'),
  version: z.literal(1),
  payload: z.strictObject({ mobilityId: MobilityId, lineId: z.string(), amountCents: Cents.nonnegative(), reservedCents: Cents, reservedMobilities: z.int() }),
});
export const BudgetReservationAdjustedV1 = z.strictObject({
  type: z.literal('BudgetReservationAdjusted'),
  version: z.literal(1),
  payload: z.strictObject({ mobilityId: MobilityId, lineId: z.string(), fromCents: Cents, toCents: Cents.nonnegative(), deltaCents: Cents, reservedCents: Cents, reservedMobilities: z.int() }),
});
export const BudgetReleasedV1 = z.strictObject({
  type: z.literal('BudgetReleased'),
  version: z.literal(1),
  payload: z.strictObject({ mobilityId: MobilityId, lineId: z.string(), releasedCents: Cents.nonnegative(), reason: z.string().min(1), reservedCents: Cents, reservedMobilities: z.int() }),
});

/** The current version of every project event (what the budget guard decides and folds). */
export const ProjectEvent = z.discriminatedUnion('type', [ProjectRegisteredV2, BudgetReservedV1, BudgetReservationAdjustedV1, BudgetReleasedV1]);
export type ProjectEvent = z.infer<typeof ProjectEvent>;
/** Older versions still readable, upcast on read (`upcastProjectEvent`). */
export const OLDER_PROJECT_EVENTS = [ProjectRegisteredV1] as const;

/** An older project event's payload as its current version: ProjectRegistered v1 → v2 gives each line its default rule. */
export const upcastProjectEvent = (e: { type: string; version: number; payload: Record<string, unknown> }): { type: string; version: number; payload: Record<string, unknown> } => {
  if (e.type === 'ProjectRegistered' && e.version === 1) {
    const lines = (e.payload.lines as FunderLine[]).map((l) => ({ ...l, rule: defaultRuleOf(l) }));
    return { type: e.type, version: 2, payload: { ...e.payload, lines } };
  }
  return e;
};
export const PROJECT_EVENT_TYPES = ['ProjectRegistered', 'BudgetReserved', 'BudgetReservationAdjusted', 'BudgetReleased'] as const;

export const ProjectEventEnvelope = StreamEnvelope.extend({ type: z.enum(PROJECT_EVENT_TYPES) });
export type ProjectEventEnvelope = z.infer<typeof ProjectEventEnvelope>;

/** The project stream's event id: the shared builder with the project as the stream. */
export const projectEventIdFor = eventIdFor;

/** Parse an envelope and its payload against the schema of its type and version. */
export function parseProjectEvent(raw: unknown): ProjectEventEnvelope & { event: ProjectEvent } {
  const env = ProjectEventEnvelope.parse(raw);
  if (env.type === 'ProjectRegistered' && env.version === 1) ProjectRegisteredV1.parse({ type: env.type, version: env.version, payload: env.payload });
  const event = ProjectEvent.parse(upcastProjectEvent({ type: env.type, version: env.version, payload: env.payload }));
  if (env.eventId !== projectEventIdFor(env.projectId, env.sequence)) throw new Error(`project event id ${env.eventId} does not match ${env.projectId}:${env.sequence}`);
  return { ...env, event };
}
