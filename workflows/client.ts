import type { Client } from '@temporalio/client';
import { projectBudgetWorkflow } from './budget.workflow';
import { budgetQuery, budgetWorkflowId, RegisterProjectInput } from './budget-messages';
import { mobilityWorkflow } from './mobility.workflow';
import { StartMobility } from './messages';

/** Validate the command at the boundary, then start the mobility's workflow (id = mobility id). */
export async function startMobility(client: Client, taskQueue: string, raw: unknown) {
  const input = StartMobility.parse(raw);
  return client.workflow.start(mobilityWorkflow, { taskQueue, workflowId: input.mobilityId, args: [input] });
}

/** Register a project's funder lines: starts its budget guard (workflow id `budget-<projectId>`). Idempotent. */
export async function registerProject(client: Client, taskQueue: string, raw: RegisterProjectInput) {
  const register = RegisterProjectInput.parse(raw);
  const workflowId = budgetWorkflowId(register.projectId);
  try {
    return await client.workflow.start(projectBudgetWorkflow, { taskQueue, workflowId, args: [{ register }] });
  } catch (err) {
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return client.workflow.getHandle<typeof projectBudgetWorkflow>(workflowId);
    throw err;
  }
}

/** The project's funder lines with what is reserved and what is left. */
export const projectBudget = (client: Client, projectId: string) => client.workflow.getHandle(budgetWorkflowId(projectId)).query(budgetQuery);
