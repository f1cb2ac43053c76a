import { ApplicationFailure } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  type AdjustRequest, type BudgetReply, type ReleaseRequest, type ReserveRequest,
  adjustReservationUpdate, budgetWorkflowId, releaseReservationUpdate, reserveBudgetUpdate,
} from '../workflows/budget-messages';

/**
 * The mobility workflow's door to its project's budget guard (workflow `budget-<projectId>`):
 * each call is a Temporal Update on that workflow. A workflow cannot send an Update itself, so an
 * activity does, with an update id derived from the mobility and its own operation counter: a
 * retried activity re-sends the same update id, and the decider is idempotent besides.
 * A refusal (InsufficientFunds, NoMobilitiesLeft, …) becomes a non-retryable failure whose type
 * is the domain's code and whose message is the domain's reason.
 */
export function createBudgetActivities(deps: { client: Client }) {
  const call = async <Req>(projectId: string, update: typeof reserveBudgetUpdate | typeof adjustReservationUpdate | typeof releaseReservationUpdate, req: Req, updateId: string): Promise<BudgetReply> => {
    const handle = deps.client.workflow.getHandle(budgetWorkflowId(projectId));
    try {
      return await handle.executeUpdate(update as never, { args: [req] as never, updateId });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw ApplicationFailure.nonRetryable(`project ${projectId} has no budget guard: register the project (its funder lines) first`, 'ProjectNotRegistered');
      if (err instanceof WorkflowUpdateFailedError || (err as Error)?.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') {
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof Error && 'type' in cause && typeof (cause as { type?: unknown }).type === 'string') {
          const type = (cause as { type: string }).type;
          if (type !== 'BudgetError' && type !== 'Error') throw ApplicationFailure.nonRetryable(cause.message, type);
        }
        if (cause instanceof Error) throw ApplicationFailure.nonRetryable(cause.message, 'BudgetRefused');
      }
      throw err;
    }
  };
  return {
    reserveBudget: (projectId: string, req: ReserveRequest, opId: string) => call(projectId, reserveBudgetUpdate, req, `${req.mobilityId}:${opId}`),
    adjustReservation: (projectId: string, req: AdjustRequest, opId: string) => call(projectId, adjustReservationUpdate, req, `${req.mobilityId}:${opId}`),
    releaseReservation: (projectId: string, req: ReleaseRequest, opId: string) => call(projectId, releaseReservationUpdate, req, `${req.mobilityId}:${opId}`),
  };
}
