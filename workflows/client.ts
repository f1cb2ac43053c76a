import type { Client, WorkflowHandle } from '@temporalio/client';
import { projectBudgetWorkflow } from './budget.workflow';
import { budgetQuery, budgetWorkflowId, RegisterProjectInput, registrationQuery } from './budget-messages';
import { mobilityWorkflow } from './mobility.workflow';
import { readOneAtATime } from './reads';
import { sendUpdate } from './update-retry';
import {
  ExternalFacts, hostCertificateOfAttendanceSignal, type PayloadOf, snapshotQuery, StartMobility,
  type StartMobilityInput, surveySubmittedSignal, transcriptReceivedSignal, type UpdateName, type UpdateResult, updates,
} from './messages';

/**
 * The typed client of the mobility engine's workflows, used by tests, the demo and the HTTP API.
 * Inputs are validated at this boundary (zod); the workflows validate again in their Update validators.
 */

/** Validate the application at the boundary, then start the mobility's workflow (id = mobility id). */
export async function startMobility(client: Client, taskQueue: string, raw: StartMobilityInput | unknown) {
  const input = StartMobility.parse(raw);
  return client.workflow.start(mobilityWorkflow, { taskQueue, workflowId: input.mobilityId, args: [input] });
}

/**
 * A handle on one mobility: every staff action, external fact and read, typed. The reads share one snapshot
 * query, sent one at a time per mobility from this process (workflows/reads.ts).
 */
export function mobility(client: Client, mobilityId: string) {
  const handle: WorkflowHandle<typeof mobilityWorkflow> = client.workflow.getHandle(mobilityId);
  const read = () => readOneAtATime(mobilityId, () => handle.query(snapshotQuery));
  return {
    handle,
    /** Run a staff action (Temporal Update); a refusal rejects with the domain's reason (err.cause.message, err.cause.type = code). */
    act: <U extends UpdateName>(name: U, payload: PayloadOf<U>, updateId?: string): Promise<UpdateResult> =>
      sendUpdate(() => handle.executeUpdate(updates[name] as never, { args: [payload] as never, ...(updateId ? { updateId } : {}) }) as Promise<UpdateResult>),
    hostCertificateOfAttendance: (f: PayloadOfFact<'hostCertificateOfAttendance'>) => handle.signal(hostCertificateOfAttendanceSignal, ExternalFacts.hostCertificateOfAttendance.parse(f)),
    surveySubmitted: (f: PayloadOfFact<'surveySubmitted'>) => handle.signal(surveySubmittedSignal, ExternalFacts.surveySubmitted.parse(f)),
    transcriptReceived: (f: PayloadOfFact<'transcriptReceived'>) => handle.signal(transcriptReceivedSignal, ExternalFacts.transcriptReceived.parse(f)),
    /** Everything at once (view, state, deadlines, grant, audit), from one query: for a reader that needs several parts. */
    snapshot: read,
    view: async () => (await read()).view,
    state: async () => (await read()).state,
    deadlines: async () => (await read()).deadlines,
    grant: async () => (await read()).grant,
    audit: async () => (await read()).audit,
  };
}
type PayloadOfFact<K extends keyof typeof ExternalFacts> = Parameters<(typeof ExternalFacts)[K]['parse']>[0] & object;

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

/** The project as its beneficiary registered it (owner, lines, terms), or null when no such project is registered. */
export async function projectRegistration(client: Client, projectId: string) {
  try {
    return await client.workflow.getHandle(budgetWorkflowId(projectId)).query(registrationQuery);
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

/** The project's funder lines with what is reserved and what is left. */
export const projectBudget = (client: Client, projectId: string) => client.workflow.getHandle(budgetWorkflowId(projectId)).query(budgetQuery);
