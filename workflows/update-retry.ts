import { WorkflowUpdateFailedError } from '@temporalio/client';

/**
 * An Update the server rejected because the worker's workflow task completed without taking it: "Workflow
 * Update is rejected because it wasn't processed by worker". It was never accepted, so nothing of it is in
 * the history, and sending it again (same update id) is safe. It happens when the Update reaches a workflow
 * task that is busy with local activities (the SDK's core then completes that task without the Update).
 */
export const isUnprocessedUpdate = (err: unknown): boolean =>
  err instanceof WorkflowUpdateFailedError && /wasn't processed by worker/.test(String((err.cause as Error | undefined)?.message ?? ''));

/** Send an Update, sending it again while the server says no worker processed it (a few times, a short back-off). */
export async function sendUpdate<T>(send: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!isUnprocessedUpdate(err) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 2_000)));
    }
  }
}
