import { z } from 'zod';
import { MobilityId, OrgId, ProjectId } from './ids';

/**
 * The versioned envelope every domain event travels in (Kafka value, JSON), for both streams: a
 * mobility's events (key = mobility id) and a project's budget-guard events (key = project id).
 * eventId is deterministic: `${streamId}:${sequence}` so a retried publish carries the same id.
 */
export const StreamEnvelope = z.strictObject({
  eventId: z.string().min(1),
  type: z.string().min(1),
  version: z.int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  projectId: ProjectId,
  institutionId: OrgId,
  consortiumId: OrgId.nullable(),
  sequence: z.int().nonnegative(),
  payload: z.record(z.string(), z.unknown()),
});

/** A mobility's event: the stream is the mobility (eventId `${mobilityId}:${sequence}`). */
export const EventEnvelope = StreamEnvelope.extend({ mobilityId: MobilityId });
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** The one event-id builder of both streams: the stream's id and the event's place in it. */
export const eventIdFor = (streamId: string, sequence: number): string => `${streamId}:${sequence}`;

/** Wrap an event of a mobility in its envelope. */
export const mobilityEnvelope = (
  e: { type: string; version: number; payload: { at: string } & object },
  scope: { mobilityId: string; projectId: string; institutionId: string; consortiumId: string | null },
  sequence: number,
): EventEnvelope => ({
  eventId: eventIdFor(scope.mobilityId, sequence), type: e.type, version: e.version, occurredAt: e.payload.at, mobilityId: scope.mobilityId,
  projectId: scope.projectId, institutionId: scope.institutionId, consortiumId: scope.consortiumId, sequence, payload: e.payload as Record<string, unknown>,
});
