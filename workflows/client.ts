import type { Client } from '@temporalio/client';
import { mobilityWorkflow } from './mobility.workflow';
import { StartMobility } from './messages';

/** Validate the command at the boundary, then start the mobility's workflow (id = mobility id). */
export async function startMobility(client: Client, taskQueue: string, raw: unknown) {
  const input = StartMobility.parse(raw);
  return client.workflow.start(mobilityWorkflow, { taskQueue, workflowId: input.mobilityId, args: [input] });
}
