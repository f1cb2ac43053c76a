import { allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

/**
 * The raw baseline of the lifecycle: a Temporal workflow that takes the same Updates as a mobility
 * (same names, same payloads) and runs the same number of activities, each a no-op, without the
 * engine's domain. It ends after its last Update. For the memory figure it simply stays open,
 * waiting on a condition, after its first Update.
 */
export interface RawLifecycleInput {
  /** The Update names, in the order the client sends them (the last one ends the workflow). */
  updates: string[];
  /** Activities run by the workflow before any Update (the engine publishes the application). */
  atStart: number;
  /** Activities run by each Update, by position in `updates`. */
  perUpdate: number[];
  /** The start input of the engine's mobility, carried as is (same bytes in the history). */
  application: unknown;
}

const { noop } = proxyActivities<{ noop(payload: unknown): Promise<void> }>({ startToCloseTimeout: '15s', retry: { initialInterval: '1s', maximumInterval: '30s' } });

export async function rawLifecycle(input: RawLifecycleInput): Promise<{ updates: number }> {
  let calls = 0;
  let last = false;
  for (const name of new Set(input.updates)) {
    setHandler(defineUpdate<{ stage: string }, [unknown]>(name), async (payload) => {
      const i = calls++;
      for (let k = 0; k < (input.perUpdate[i] ?? 0); k++) await noop(payload);
      if (i === input.updates.length - 1) last = true;
      return { stage: name };
    });
  }
  for (let k = 0; k < input.atStart; k++) await noop(null);
  await condition(() => last);
  await condition(allHandlersFinished);
  return { updates: calls };
}
