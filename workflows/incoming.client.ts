import type { Client, WorkflowHandle } from '@temporalio/client';
import type { IncomingActionName } from '../domain/incoming/actions';
import { incomingWorkflow } from './incoming.workflow';
import { sendUpdate } from './update-retry';
import {
  incomingAuditQuery, incomingDeadlinesQuery, type IncomingPayloadOf, incomingStateQuery, type IncomingUpdateResult, incomingUpdates, incomingViewQuery, StartIncoming,
} from './incoming.messages';

/** Validate the nomination at the boundary, then start the incoming mobility's workflow (id = incoming id). */
export async function startIncoming(client: Client, taskQueue: string, raw: unknown) {
  const input = StartIncoming.parse(raw);
  return client.workflow.start(incomingWorkflow, { taskQueue, workflowId: input.incomingId, args: [input] });
}

/** A handle on one incoming mobility: every staff action and query, typed. */
export function incoming(client: Client, incomingId: string) {
  const handle: WorkflowHandle<typeof incomingWorkflow> = client.workflow.getHandle(incomingId);
  return {
    handle,
    /** Run a staff action (Temporal Update); a refusal rejects with the domain's reason (err.cause.message, err.cause.type = code). */
    act: <N extends IncomingActionName>(name: N, payload: IncomingPayloadOf<N>, updateId?: string): Promise<IncomingUpdateResult> =>
      sendUpdate(() => handle.executeUpdate(incomingUpdates[name], { args: [payload], ...(updateId ? { updateId } : {}) })),
    view: () => handle.query(incomingViewQuery),
    state: () => handle.query(incomingStateQuery),
    audit: () => handle.query(incomingAuditQuery),
    deadlines: () => handle.query(incomingDeadlinesQuery),
  };
}
