import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { type BudgetGuard, type BudgetReply, createBudgetActivities } from '../../activities/budget';

/**
 * The mobility's door to its project's budget guard tells a refusal (final: the mobility is told why) from a
 * call the guard never answered (retried by the activity, same update id): a timeout, or the guard's run ending
 * (continue-as-new) before it answered. A rollover must never read as "budget refused".
 */
const reply: BudgetReply = { mobilityId: 'M', lineId: 'erasmus', heldCents: 100, remainingCents: 0, remainingMobilities: 0, changed: true };
const guardThrowing = (err: () => unknown): BudgetGuard => ({ reserve: async () => { throw err(); }, adjust: async () => reply, release: async () => reply });
const req = { mobilityId: 'M', lineId: 'erasmus', amountCents: 100 } as never;

describe('budget guard calls', () => {
  it('given the guard refuses (insufficient funds), when reserving, then a non-retryable failure with the domain code', async () => {
    const a = createBudgetActivities({ guard: guardThrowing(() => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('not enough left on erasmus', 'InsufficientFunds'))) });
    await expect(a.reserveBudget('P', req, 'select')).rejects.toMatchObject({ nonRetryable: true, type: 'InsufficientFunds', message: 'not enough left on erasmus' });
  });

  it("given the guard's run ended before answering (continued as new), when reserving, then a retryable error, not a refusal", async () => {
    const a = createBudgetActivities({ guard: guardThrowing(() => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'Workflow Update failed because the Workflow completed before the Update completed.', type: 'AcceptedUpdateCompletedWorkflow' }))) });
    const err = await a.reserveBudget('P', req, 'select').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(String(err)).toMatch(/moved to a new run/);
  });

  it('given the call timed out, when reserving, then a retryable error, not a refusal', async () => {
    const timedOut = Object.assign(new Error('Timed out while waiting for the Update'), { name: 'WorkflowUpdateRPCTimeoutOrCancelledError', cause: new Error('deadline exceeded') });
    const a = createBudgetActivities({ guard: guardThrowing(() => timedOut) });
    const err = await a.reserveBudget('P', req, 'select').catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(String(err)).toMatch(/did not answer in time/);
  });
});
