import { IncomingEnvelope } from '../domain/incoming/events';
import type { Publisher } from '../infra/kafka/client';
import { signatureHeaders, type SigningKeys } from '../infra/kafka/signing';
import { TOPICS } from '../infra/kafka/topics';

/**
 * Publishes an incoming mobility's events to `incoming-events`, keyed by incoming id (one stay's
 * events stay ordered in one partition), signed like every event the engine publishes. Event ids
 * are deterministic (`<incomingId>:<sequence>`): a retried publish re-sends the same ids and the
 * projector folds each once. The topic is not `mobility-events`: nothing on it reaches the budget.
 */
export function createIncomingActivities(deps: { publisher: Publisher; keys: SigningKeys }) {
  return {
    async publishIncomingEvents(events: IncomingEnvelope[]): Promise<void> {
      const valid = events.map((e) => IncomingEnvelope.parse(e));
      await deps.publisher.publish(
        TOPICS.incomingEvents.name,
        valid.map((e) => {
          const value = JSON.stringify(e);
          return {
            key: e.incomingId, value,
            headers: { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version), ...signatureHeaders(deps.keys, e.incomingId, value) },
          };
        }),
      );
    },
  };
}
