import { allHandlersFinished, condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';

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
  /** Run the no-ops as local activities (the kind the engine's mobility uses) instead of activities. */
  local?: boolean;
}

type Noop = { noop(payload: unknown): Promise<void> };
const options = { startToCloseTimeout: '15s', retry: { initialInterval: '1s', maximumInterval: '30s' } } as const;
const remote = proxyActivities<Noop>(options).noop;
const local = proxyLocalActivities<Noop>(options).noop;

export async function rawLifecycle(input: RawLifecycleInput): Promise<{ updates: number }> {
  const noop = input.local ? local : remote;
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
