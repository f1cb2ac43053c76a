import { EventEnvelope } from '../domain/envelope';
import { ProjectEventEnvelope } from '../domain/budget/events';
import type { Publisher } from '../infra/kafka/client';
import { signatureHeaders, type SigningKeys } from '../infra/kafka/signing';
import { TOPICS } from '../infra/kafka/topics';

/**
 * Publishes domain events to Kafka. Event ids are deterministic (`${mobilityId}:${sequence}`,
 * `${projectId}:${sequence}`), so a retried publish carries the same ids and consumers drop the
 * duplicate. Mobility events are keyed by mobility id, project events by project id, so each
 * stream stays ordered in one partition. Every message is signed (HMAC-SHA256 over its key and
 * value, infra/kafka/signing.ts) with the engine's key, which the worker gets from its process
 * (never from a workflow): projectors fold only signed events.
 */
export function createEventActivities(deps: { publisher: Publisher; keys: SigningKeys }) {
  const signed = (key: string, value: string, headers: Record<string, string>) => ({ key, value, headers: { ...headers, ...signatureHeaders(deps.keys, key, value) } });
  return {
    async publishEvents(events: EventEnvelope[]): Promise<void> {
      const valid = events.map((e) => EventEnvelope.parse(e));
      await deps.publisher.publish(
        TOPICS.mobilityEvents.name,
        valid.map((e) => signed(e.mobilityId, JSON.stringify(e), { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) })),
      );
    },
    async publishProjectEvents(events: ProjectEventEnvelope[]): Promise<void> {
      const valid = events.map((e) => ProjectEventEnvelope.parse(e));
      await deps.publisher.publish(
        TOPICS.projectEvents.name,
        valid.map((e) => signed(e.projectId, JSON.stringify(e), { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) })),
      );
    },
  };
}
