import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { EventEnvelope } from '../domain/envelope';
import { eventIdFor } from '../domain/envelope';
import type { createEventActivities } from '../activities/events';
import { type MobilityView, type StartMobility, viewQuery } from './messages';

const { publishEvents } = proxyActivities<ReturnType<typeof createEventActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** One mobility, one durable workflow. Orchestrates only: decisions in domain/, I/O in activities. */
export async function mobilityWorkflow(input: StartMobility): Promise<void> {
  const view: MobilityView = { mobilityId: input.mobilityId, stage: 'applied', eventsPublished: 0 };
  setHandler(viewQuery, () => view);
  const applied: EventEnvelope = {
    eventId: eventIdFor(input.mobilityId, 0),
    type: 'MobilityApplied',
    version: 1,
    occurredAt: new Date(Date.now()).toISOString(),
    mobilityId: input.mobilityId,
    projectId: input.projectId,
    institutionId: input.institutionId,
    consortiumId: input.consortiumId,
    sequence: 0,
    payload: { participantRef: input.participantRef, activity: input.activity },
  };
  await publishEvents([applied]);
  view.eventsPublished = 1;
  await condition(() => false);
}
