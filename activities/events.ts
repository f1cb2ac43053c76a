import { EventEnvelope } from '../domain/envelope';
import type { Publisher } from '../infra/kafka/client';
import { TOPICS } from '../infra/kafka/topics';

/**
 * Publishes domain events to the mobility topic, keyed by mobility id. Event ids are
 * deterministic (mobility id + sequence), so a retried publish carries the same ids and
 * consumers drop the duplicate.
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
  };
}
