import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BudgetState, BudgetSummary, Registered } from '../domain/budget/decide';
import type { AdjustRequest, RegisterProjectInput, ReleaseRequest, ReserveRequest } from '../domain/budget/requests';
import type { ProjectEventEnvelope } from '../domain/budget/events';

/** Workflow id of a project's budget guard. */
export const budgetWorkflowId = (projectId: string): string => `budget-${projectId}`;

/** Payloads of the budget guard's Updates: the domain commands without their `type` (domain/budget/requests.ts). */
export { AdjustRequest, RegisterProjectInput, ReleaseRequest, ReserveRequest } from '../domain/budget/requests';

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

export interface BudgetWorkflowInput {
  register: RegisterProjectInput;
  /** Set by continueAsNew: the state and the events not yet published. */
  carried?: { state: BudgetState; pending: ProjectEventEnvelope[] };
}

export const reserveBudgetUpdate = defineUpdate<BudgetReply, [ReserveRequest]>('reserveBudget');
export const adjustReservationUpdate = defineUpdate<BudgetReply, [AdjustRequest]>('adjustReservation');
export const releaseReservationUpdate = defineUpdate<BudgetReply, [ReleaseRequest]>('releaseReservation');
export const budgetQuery = defineQuery<BudgetSummary | null>('budget');
/** The project as registered: owner, funder lines and terms. */
export const registrationQuery = defineQuery<Registered>('registration');
