import { EventEnvelope } from '../domain/envelope';
import { ProjectEventEnvelope } from '../domain/budget/events';
import type { Publisher } from '../infra/kafka/client';
import { TOPICS } from '../infra/kafka/topics';

/** The project stream (budget reservations per project), keyed by project id. */
export const PROJECT_EVENTS_TOPIC = { name: 'project-events', partitions: 3 } as const;

/**
 * Publishes domain events to Kafka. Event ids are deterministic (`${mobilityId}:${sequence}`,
 * `${projectId}:${sequence}`), so a retried publish carries the same ids and consumers drop the
 * duplicate. Mobility events are keyed by mobility id, project events by project id, so each
 * stream stays ordered in one partition.
 */
export function createEventActivities(deps: { publisher: Publisher; ensureTopic?: (name: string, partitions: number) => Promise<void> }) {
  let projectTopic: Promise<void> | null = null;
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
      if (deps.ensureTopic) {
        projectTopic ??= deps.ensureTopic(PROJECT_EVENTS_TOPIC.name, PROJECT_EVENTS_TOPIC.partitions).catch((err) => {
          projectTopic = null;
          throw err;
        });
        await projectTopic;
      }
      await deps.publisher.publish(
        PROJECT_EVENTS_TOPIC.name,
        valid.map((e) => ({
          key: e.projectId,
          value: JSON.stringify(e),
          headers: { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) },
        })),
      );
    },
  };
}
