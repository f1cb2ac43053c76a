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

/**
 * At most `max` calls in flight per key from this process; the others wait their turn, in order. The server
 * admits 10 Updates in flight per workflow and refuses the 11th (ResourceExhausted), which the client then
 * retries with a back-off of seconds: many mobilities of one project selected at once must queue here, on
 * their project's budget guard, instead of piling onto it.
 */
export function limitPerKey(max: number) {
  const lanes = new Map<string, { active: number; waiting: (() => void)[] }>();
  return async <T>(key: string, run: () => Promise<T>): Promise<T> => {
    let lane = lanes.get(key);
    if (!lane) {
      lane = { active: 0, waiting: [] };
      lanes.set(key, lane);
    }
    const l = lane;
    if (l.active >= max) await new Promise<void>((go) => l.waiting.push(go));
    else l.active++;
    try {
      return await run();
    } finally {
      const next = l.waiting.shift();
      if (next) next();
      else if (--l.active === 0) lanes.delete(key);
    }
  };
}
