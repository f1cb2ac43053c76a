import { EventEnvelope } from '../domain/envelope';
import { ProjectEventEnvelope } from '../domain/budget/events';
import type { Publisher } from '../infra/kafka/client';
import { TOPICS } from '../infra/kafka/topics';

/**
 * Publishes domain events to Kafka. Event ids are deterministic (`${mobilityId}:${sequence}`,
 * `${projectId}:${sequence}`), so a retried publish carries the same ids and consumers drop the
 * duplicate. Mobility events are keyed by mobility id, project events by project id, so each
 * stream stays ordered in one partition.
 */
export function createEventActivities(deps: { publisher: Publisher }) {
  return {
    async publishEvents(events: EventEnvelope[]): Promise<void> {
      const valid = events.map((e) => EventEnvelope.parse(e));
      await deps.publisher.publish(
        TOPICS.mobilityEvents.name,
        valid.map((e) => ({
          key: e.mobilityId,
          value: JSON.stringify(e),
          headers: { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) },
        })),
      );
    },
    async publishProjectEvents(events: ProjectEventEnvelope[]): Promise<void> {
      const valid = events.map((e) => ProjectEventEnvelope.parse(e));
      await deps.publisher.publish(
        TOPICS.projectEvents.name,
        valid.map((e) => ({
          key: e.projectId,
          value: JSON.stringify(e),
          headers: { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) },
        })),
      );
    },
  };
}
