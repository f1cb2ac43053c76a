import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { isUnprocessedUpdate, sendUpdate } from '../../workflows/update-retry';

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
