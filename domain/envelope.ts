import { z } from 'zod';
import { MobilityId, OrgId, ProjectId } from './ids';

/**
 * The versioned envelope every domain event travels in (Kafka value, JSON).
 * eventId is deterministic: `${mobilityId}:${sequence}` so a retried publish carries the same id.
 * Key on the topic = mobilityId, so one mobility's events stay ordered.
 */
export const EventEnvelope = z.strictObject({
  eventId: z.string().min(1),
  type: z.string().min(1),
  version: z.int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  mobilityId: MobilityId,
  projectId: ProjectId,
  institutionId: OrgId,
  consortiumId: OrgId.nullable(),
  sequence: z.int().nonnegative(),
  payload: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

export const eventIdFor = (mobilityId: string, sequence: number): string => `${mobilityId}:${sequence}`;
