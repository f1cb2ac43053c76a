/**
 * Reads of one workflow from this process, one at a time.
 *
 * A closed workflow answers each query by replaying its whole history on a worker, which then evicts the run.
 * When a second query for the same run reaches the worker during that replay, the SDK's core buffers it and
 * drops it with the eviction ("There were leftover buffered tasks when evicting run"): the caller then waits
 * until its deadline. So the engine never has two reads of one workflow in flight from a process: a read asked
 * while another is in flight waits for it, then one fresh read answers every caller that waited (each answer
 * comes from a query sent after its caller asked, so a read that follows an Update sees the Update).
 */
interface Queue {
  current: Promise<unknown> | null;
  waiting: Promise<unknown> | null;
}

const queues = new Map<string, Queue>();

export function readOneAtATime<T>(workflowId: string, read: () => Promise<T>): Promise<T> {
  let q = queues.get(workflowId);
  if (!q) {
    q = { current: null, waiting: null };
    queues.set(workflowId, q);
  }
  const inFlight = q.current;
  if (!inFlight) return start(workflowId, q, read);
  if (!q.waiting) {
    const queue = q;
    const settle = () => undefined;
    queue.waiting = inFlight.then(settle, settle).then(() => {
      queue.waiting = null;
      return start(workflowId, queue, read);
    });
  }
  return q.waiting as Promise<T>;
}

function start<T>(workflowId: string, q: Queue, read: () => Promise<T>): Promise<T> {
  const p = Promise.resolve().then(read);
  q.current = p;
  const done = () => {
    // Readers that queued behind this read get the next one, which takes its place (no gap for a third to slip in).
    if (q.current !== p || q.waiting) return;
    q.current = null;
    queues.delete(workflowId);
  };
  p.then(done, done);
  return p;
}

/** How many workflows have a read in flight (for tests). */
export const readsInFlight = (): number => queues.size;
