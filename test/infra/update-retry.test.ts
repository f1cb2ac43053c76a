import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUnprocessedUpdate, limitPerKey, sendUpdate } from '../../workflows/update-retry';

/**
 * An Update the server rejected because no worker took it (it reached a workflow task busy with local
 * activities) was never applied: it is sent again. A refusal by the workflow is not.
 */
const unprocessed = () => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker." }));
const refused = () => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('insufficient funds on line erasmus', 'InsufficientFunds'));

describe('sending an Update again when no worker took it', () => {
  it('given a rejection "not processed by worker" twice, when sent, then the third send answers', async () => {
    let sends = 0;
    const r = await sendUpdate(async () => {
      sends++;
      if (sends < 3) throw unprocessed();
      return 'applied';
    });
    expect(r).toBe('applied');
    expect(sends).toBe(3);
  });

  it("given the workflow's refusal, when sent, then it is not sent again", async () => {
    let sends = 0;
    await expect(sendUpdate(async () => { sends++; throw refused(); })).rejects.toThrow('Workflow Update failed');
    expect(sends).toBe(1);
    expect(isUnprocessedUpdate(refused())).toBe(false);
    expect(isUnprocessedUpdate(new Error("wasn't processed by worker"))).toBe(false);
  });

  it('given a rejection every time, when sent, then it gives up after the attempts allowed', async () => {
    let sends = 0;
    await expect(sendUpdate(async () => { sends++; throw unprocessed(); }, 3)).rejects.toSatisfy(isUnprocessedUpdate);
    expect(sends).toBe(3);
  });
});

describe('a few Updates at a time per budget guard', () => {
  it('given calls on two guards arriving at random, some failing, then never more than the limit in flight per guard, and every call answers (its own result or error)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ key: fc.constantFrom('P1', 'P2'), arriveMs: fc.integer({ min: 0, max: 8 }), takesMs: fc.integer({ min: 0, max: 5 }), fails: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        async (max, calls) => {
          const inTurn = limitPerKey(max);
          const active = new Map<string, number>();
          let worst = 0;
          const outcomes = await Promise.all(calls.map(async (c, i) => {
            await new Promise((r) => setTimeout(r, c.arriveMs));
            return inTurn(c.key, async () => {
              active.set(c.key, (active.get(c.key) ?? 0) + 1);
              worst = Math.max(worst, active.get(c.key)!);
              await new Promise((r) => setTimeout(r, c.takesMs));
              active.set(c.key, active.get(c.key)! - 1);
              if (c.fails) throw new Error(`call ${i} refused`);
              return i;
            }).catch((e: Error) => e.message);
          }));
          expect(worst).toBeLessThanOrEqual(max);
          expect(outcomes).toEqual(calls.map((c, i) => (c.fails ? `call ${i} refused` : i)));
        },
      ),
      { numRuns: 50 },
    );
  });
});
