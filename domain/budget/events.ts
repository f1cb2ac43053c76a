import { z } from 'zod';
import { MobilityId, OrgId } from '../ids';
import { Cents } from '../money';
import { StreamEnvelope, eventIdFor } from '../envelope';

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

export const ProjectRegisteredV1 = z.strictObject({
  type: z.literal('ProjectRegistered'),
  version: z.literal(1),
  payload: z.strictObject({ institutionId: OrgId, lines: z.array(FunderLine).min(1) }),
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

export const ProjectEvent = z.discriminatedUnion('type', [ProjectRegisteredV1, BudgetReservedV1, BudgetReservationAdjustedV1, BudgetReleasedV1]);
export type ProjectEvent = z.infer<typeof ProjectEvent>;
export const PROJECT_EVENT_TYPES = ['ProjectRegistered', 'BudgetReserved', 'BudgetReservationAdjusted', 'BudgetReleased'] as const;

export const ProjectEventEnvelope = StreamEnvelope.extend({ type: z.enum(PROJECT_EVENT_TYPES) });
export type ProjectEventEnvelope = z.infer<typeof ProjectEventEnvelope>;

/** The project stream's event id: the shared builder with the project as the stream. */
export const projectEventIdFor = eventIdFor;

/** Parse an envelope and its payload against the schema of its type and version. */
export function parseProjectEvent(raw: unknown): ProjectEventEnvelope & { event: ProjectEvent } {
  const env = ProjectEventEnvelope.parse(raw);
  const event = ProjectEvent.parse({ type: env.type, version: env.version, payload: env.payload });
  if (env.eventId !== projectEventIdFor(env.projectId, env.sequence)) throw new Error(`project event id ${env.eventId} does not match ${env.projectId}:${env.sequence}`);
  return { ...env, event };
}
