import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { z } from 'zod';
import type { AdjustReservation, ReleaseReservation, ReserveBudget } from '../domain/budget';

/** What a mobility asks of its project's budget guard: the domain commands without their `type`. */
export type ReserveRequest = Omit<z.infer<typeof ReserveBudget>, 'type'>;
export type AdjustRequest = Omit<z.infer<typeof AdjustReservation>, 'type'>;
export type ReleaseRequest = Omit<z.infer<typeof ReleaseReservation>, 'type'>;

/** The guard's answer to a reservation, an adjustment or a release. */
export interface BudgetReply {
  mobilityId: string;
  lineId: string;
  /** What this mobility now holds on the line. */
  heldCents: number;
  remainingCents: number;
  remainingMobilities: number;
  /** False when the command changed nothing (a retried call). */
  changed: boolean;
  /** Everything the mobility now holds, line by line: its own line, then its co-funding lines (absent from guards before co-funding). */
  lines?: { lineId: string; heldCents: number }[];
}

/**
 * A project's budget guard as these activities need it. The worker gives the real one: a Temporal
 * Update on the project's budget workflow per call, sent with `updateId`, so a retried call is
 * recognised. A refusal rejects with the guard's failure (its `cause` carries the domain's code).
 */
export interface BudgetGuard {
  reserve(projectId: string, req: ReserveRequest, updateId: string): Promise<BudgetReply>;
  adjust(projectId: string, req: AdjustRequest, updateId: string): Promise<BudgetReply>;
  release(projectId: string, req: ReleaseRequest, updateId: string): Promise<BudgetReply>;
}

/** The server's failure types for an Update whose workflow run ended before answering it (the guard continues as new). */
const GUARD_RUN_ENDED = new Set(['AcceptedUpdateCompletedWorkflow']);

/**
 * The mobility workflow's door to its project's budget guard (workflow `budget-<projectId>`):
 * each call is a Temporal Update on that workflow. A workflow cannot send an Update itself, so an
 * activity does, with an update id derived from the mobility and its own operation counter: a
 * retried activity re-sends the same update id, and the decider is idempotent besides.
 * A refusal (InsufficientFunds, NoMobilitiesLeft, …) becomes a non-retryable failure whose type
 * is the domain's code and whose message is the domain's reason.
 */
export function createBudgetActivities(deps: { guard: BudgetGuard }) {
  const call = async (projectId: string, send: () => Promise<BudgetReply>): Promise<BudgetReply> => {
    try {
      return await send();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw ApplicationFailure.nonRetryable(`project ${projectId} has no budget guard: register the project (its funder lines) first`, 'ProjectNotRegistered');
      // Not an answer from the guard: the call timed out, or the guard's run ended (continued as new) before
      // answering it. The activity retries with the same update id, which reaches the guard's current run.
      if ((err as Error)?.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') throw new Error(`the budget guard of ${projectId} did not answer in time: ${(err as Error).message}`);
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof Error && 'type' in cause && typeof (cause as { type?: unknown }).type === 'string') {
          const type = (cause as { type: string }).type;
          if (GUARD_RUN_ENDED.has(type)) throw new Error(`the budget guard of ${projectId} moved to a new run before answering: ${cause.message}`);
          if (type !== 'BudgetError' && type !== 'Error') throw ApplicationFailure.nonRetryable(cause.message, type);
        }
        if (cause instanceof Error) throw ApplicationFailure.nonRetryable(cause.message, 'BudgetRefused');
      }
      throw err;
    }
  };
  const { guard } = deps;
  return {
    reserveBudget: (projectId: string, req: ReserveRequest, opId: string) => call(projectId, () => guard.reserve(projectId, req, `${req.mobilityId}:${opId}`)),
    adjustReservation: (projectId: string, req: AdjustRequest, opId: string) => call(projectId, () => guard.adjust(projectId, req, `${req.mobilityId}:${opId}`)),
    releaseReservation: (projectId: string, req: ReleaseRequest, opId: string) => call(projectId, () => guard.release(projectId, req, `${req.mobilityId}:${opId}`)),
  };
}
