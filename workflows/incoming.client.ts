import type { Client, WorkflowHandle } from '@temporalio/client';
import type { IncomingActionName } from '../domain/incoming/actions';
import { incomingWorkflow } from './incoming.workflow';
import { readOneAtATime } from './reads';
import { sendUpdate } from './update-retry';
import { type IncomingPayloadOf, incomingSnapshotQuery, type IncomingUpdateResult, incomingUpdates, StartIncoming } from './incoming.messages';

/** Validate the nomination at the boundary, then start the incoming mobility's workflow (id = incoming id). */
export async function startIncoming(client: Client, taskQueue: string, raw: unknown) {
  const input = StartIncoming.parse(raw);
  return client.workflow.start(incomingWorkflow, { taskQueue, workflowId: input.incomingId, args: [input] });
}

/**
 * A handle on one incoming mobility: every staff action and read, typed. The reads share one snapshot query,
 * sent one at a time per stay from this process (workflows/reads.ts).
 */
export function incoming(client: Client, incomingId: string) {
  const handle: WorkflowHandle<typeof incomingWorkflow> = client.workflow.getHandle(incomingId);
  const read = () => readOneAtATime(incomingId, () => handle.query(incomingSnapshotQuery));
  return {
    handle,
    /** Run a staff action (Temporal Update); a refusal rejects with the domain's reason (err.cause.message, err.cause.type = code). */
    act: <N extends IncomingActionName>(name: N, payload: IncomingPayloadOf<N>, updateId?: string): Promise<IncomingUpdateResult> =>
      sendUpdate(() => handle.executeUpdate(incomingUpdates[name], { args: [payload], ...(updateId ? { updateId } : {}) })),
    /** Everything at once (view, state, audit, deadlines), from one query: for a reader that needs several parts. */
    snapshot: read,
    view: async () => (await read()).view,
    state: async () => (await read()).state,
    audit: async () => (await read()).audit,
    deadlines: async () => (await read()).deadlines,
  };
}
