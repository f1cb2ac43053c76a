import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type pg from 'pg';
import { z } from 'zod';
import { Policy } from '../../domain/calendar/policy';
import type { Registered } from '../../domain/budget/decide';
import { MobilityId, ProjectId } from '../../domain/ids';
import { SubmitApplication } from '../../domain/mobility/commands';
import { FunderLineId } from '../../domain/mobility/codes';
import { decide } from '../../domain/mobility/decide';
import { evolve } from '../../domain/mobility/evolve';
import { plannedGrant } from '../../domain/mobility/grant';
import { isRejection } from '../../domain/mobility/rejection';
import { initialState, type OpenMobility } from '../../domain/mobility/state';
import { ProjectTerms } from '../../domain/project/agreement';
import { applicationProblems, coFundingOf, mobilityPolicyFor, type Problem, projectIdProblems, projectRatesFor, type Registration, registrationDifferences } from '../../domain/project/registration';
import type { Principal, TenantDirectory } from '../../domain/tenancy';
import { RegisterProjectInput } from '../../workflows/budget-messages';
import { projectRegistration, registerProject, startMobility } from '../../workflows/client';
import { codeOfProblem } from './issues';
import { fewerOpportunitiesCriterionOf, participantBelongsTo, RegistryRef } from './participants';
import { HttpError } from './route';

/**
 * The two doors through which money enters the engine, checked before anything starts:
 * - a project is registered once, within its owner's tenancy, with its terms (the NA's rate table);
 * - an application is refused with the field and the rule by the same domain decision the workflow
 *   runs (and a dry run of its grant under the project's terms), so an invalid one leaves no
 *   workflow, no row and no event. The server generates the mobility id and sets every rate.
 */

/** A project registration as the API takes it: the budget guard's registration, whose terms are required. */
export const ProjectBody = RegisterProjectInput.extend({ terms: ProjectTerms });
export type ProjectBody = z.infer<typeof ProjectBody>;

/** An application as the API takes it: no rates, no policy, no consortium (the project's), an optional mobility id of the project. */
export const ApplicationBody = SubmitApplication.omit({ type: true, at: true, actor: true, consortiumId: true, mobilityId: true }).extend({
  mobilityId: MobilityId.optional().describe('omit it: the server numbers the project\'s mobilities'),
  participantRef: RegistryRef.describe('the ref the participant registry gave (POST /api/participants); personal data stays there'),
  // The criterion code is special-category data: it is held by the participant registry, never sent with an application.
  plan: SubmitApplication.shape.plan.omit({ fewerOpportunitiesCriterion: true }),
  coFundingLineIds: z.array(FunderLineId).max(9).optional()
    .describe("co-funded mobility: the project's other funder lines (each with a flat rule) that pay a share beside the Erasmus+ grant of funderLineId; each line's rule gives its share"),
});
export type ApplicationBody = z.infer<typeof ApplicationBody>;

/** 400 naming each field, its English message and rule, and its code and parameters (issues.ts) for a client's language. */
const bad = (problems: readonly (Problem & { code?: string })[], project: Registration | null = null, app: ApplicationBody | null = null) =>
  new HttpError(400, 'bad-request', problems.map((p) => `${p.field}: ${p.message} (rule ${p.rule})`).join('; '), {
    issues: problems.map((p) => ({ field: p.field, message: p.message, rule: p.rule, ...codeOfProblem(p, project, app) })),
  });

const ownershipOf = (r: { institutionId: string; consortiumId: string | null }) => ({ institutionId: r.institutionId, consortiumId: r.consortiumId, siteId: null });

export interface SubmissionDeps {
  pool: pg.Pool;
  temporal: Client;
  taskQueue: string;
}

/** Register a project; the same content again answers the registration, other content a 409 naming what differs. */
export async function registerProjectFor(deps: SubmissionDeps, dir: TenantDirectory, principal: Principal, body: ProjectBody): Promise<{ registration: Registered; created: boolean }> {
  const idProblems = projectIdProblems(body.projectId, body.terms);
  if (idProblems.length > 0) throw bad(idProblems);
  const may = dir.canAct(principal, 'project.manage', ownershipOf({ institutionId: body.institutionId, consortiumId: body.consortiumId ?? null }));
  if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
  const existing = await projectRegistration(deps.temporal, body.projectId);
  if (existing) {
    // Another beneficiary's project: its content is not shown.
    if (!dir.canRead(principal, ownershipOf(existing)).allowed) {
      throw new HttpError(409, 'conflict', `project ${body.projectId} is already registered by another beneficiary`, { reason: 'project id taken', code: 'AlreadyRegistered' });
    }
    const diff = registrationDifferences(existing, { ...body, consortiumId: body.consortiumId ?? null });
    if (diff.length > 0) throw new HttpError(409, 'conflict', `project ${body.projectId} is already registered with other content: ${diff.join(', ')}`, { reason: 'registered with other content', code: 'AlreadyRegistered', fields: diff });
    return { registration: existing, created: false };
  }
  await registerProject(deps.temporal, deps.taskQueue, body);
  return { registration: (await projectRegistration(deps.temporal, body.projectId))!, created: true };
}

/** The next free mobility number of a project (per-project sequence in Postgres). */
async function nextMobilityId(pool: pg.Pool, projectId: string): Promise<string> {
  const { rows } = await pool.query<{ n: number }>(
    `INSERT INTO project_mobility_sequences (project_id, next) VALUES ($1, 2)
     ON CONFLICT (project_id) DO UPDATE SET next = project_mobility_sequences.next + 1 RETURNING next - 1 AS n`, [projectId]);
  return `${projectId}-MOB-${String(rows[0]!.n).padStart(5, '0')}`;
}

/**
 * Check an application against its project, the actor's tenancy and the domain, then start its
 * workflow. Returns the mobility id. Every refusal names the field and, where there is one, the rule.
 */
export async function submitApplicationFor(deps: SubmissionDeps, dir: TenantDirectory, principal: Principal, actor: string, body: ApplicationBody): Promise<{ mobilityId: string; consortiumId: string | null }> {
  const project = await projectRegistration(deps.temporal, ProjectId.parse(body.projectId));
  if (!project || !project.terms) throw bad([{ field: 'projectId', rule: 'PROJECT-REGISTERED', message: `no registered project ${body.projectId} with its terms in your scope` }]);
  // The project's owner is the tenant: a consortium project's mobilities are its members', an institution's project its own.
  const consortiumId = project.consortiumId;
  if (consortiumId === null && body.institutionId !== project.institutionId) {
    throw new HttpError(403, 'forbidden', `project ${project.projectId} belongs to institution ${project.institutionId}: ${body.institutionId} may not use it`, { reason: 'the project belongs to another institution' });
  }
  const ownership = { institutionId: body.institutionId, consortiumId, siteId: body.siteId ?? null };
  const scope = dir.scopeOf(ownership);
  if (!scope.ok) throw new HttpError(403, 'forbidden', scope.reason, { reason: scope.reason });
  const may = dir.canAct(principal, 'mobility.apply', ownership);
  if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
  if (body.mobilityId !== undefined && !body.mobilityId.startsWith(`${project.projectId}-MOB-`)) {
    throw bad([{ field: 'mobilityId', rule: 'PROJECT-ID', message: `a mobility of project ${project.projectId} is numbered ${project.projectId}-MOB-NNNNN` }]);
  }

  if (!(await participantBelongsTo(deps.pool, body.participantRef, body.institutionId))) {
    throw bad([{ field: 'participantRef', rule: 'PARTICIPANT-REGISTRY', message: `no participant of institution ${body.institutionId} has this ref: register the participant first (POST /api/participants)` }], null, body);
  }

  // A participant the registry records with a fewer-opportunities criterion is a fewer-opportunities participant (the flag only enters the stream).
  if ((await fewerOpportunitiesCriterionOf(deps.pool, body.participantRef)) !== null) body = { ...body, plan: { ...body.plan, fewerOpportunities: true } };

  const problems = applicationCheck({ ...project, terms: project.terms }, body, actor);
  if (problems.length > 0) throw bad(problems, { ...project, terms: project.terms }, body);
  const policy = Policy.parse(mobilityPolicyFor(project.terms));
  const rates = projectRatesFor(project.terms, body.activity, body.plan.receivingCountry, { accompanyingPerson: body.plan.accompanyingPerson ?? false });

  const { coFundingLineIds: _ids, ...application } = body;
  const { coFunding } = coFundingOf(project, body);
  const plan = body.plan;
  for (let attempt = 0; attempt < 20; attempt++) {
    const mobilityId = body.mobilityId ?? (await nextMobilityId(deps.pool, project.projectId));
    try {
      await startMobility(deps.temporal, deps.taskQueue, { ...application, plan, mobilityId, consortiumId, actor, rates, policy: mobilityPolicyFor(project.terms), ...(coFunding ? { coFunding } : {}) });
      return { mobilityId, consortiumId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (body.mobilityId !== undefined) throw new HttpError(409, 'conflict', `mobility ${body.mobilityId} already exists`);
    }
  }
  throw new HttpError(503, 'unavailable', 'could not number the mobility: try again');
}

/**
 * What refuses an application of a registered project, field by field (empty: none): the project's rules,
 * the same decision the workflow will take, and a dry run of the grant it will reserve at selection.
 * The single submission and the bulk import (imports.ts) both check with it.
 */
export function applicationCheck(registration: Registration, body: ApplicationBody, actor: string, at = new Date().toISOString()): (Problem & { code?: string })[] {
  const project = registration;
  const problems = applicationProblems(registration, body);
  if (problems.length > 0) return problems;
  const policy = Policy.parse(mobilityPolicyFor(project.terms));
  const rates = projectRatesFor(project.terms, body.activity, body.plan.receivingCountry, { accompanyingPerson: body.plan.accompanyingPerson ?? false });
  const probeId = body.mobilityId ?? `${project.projectId}-MOB-00000`;
  const { coFundingLineIds: _ids, ...application } = body;
  const command = { type: 'SubmitApplication' as const, ...application, mobilityId: probeId, consortiumId: project.consortiumId, actor, at };
  const decided = decide(command, initialState, policy);
  if (isRejection(decided)) return [{ field: fieldOfRejection(decided.code), rule: decided.ruleId ?? decided.code, message: decided.reason, code: decided.code }];
  try {
    plannedGrant(decided.reduce(evolve, initialState) as OpenMobility, rates);
  } catch (err) {
    if (err instanceof z.ZodError) return err.issues.map((i) => ({ field: `plan.${i.path.join('.')}`, rule: 'GRANT-INPUT', message: i.message }));
    const e = err as { field?: string; ruleId?: string | null; message: string };
    return [{ field: e.field ? `plan.${e.field}` : 'plan', rule: e.ruleId ?? 'GRANT', message: e.message }];
  }
  return [];
}

/** The field a plan rejection is about, for the 400's issues. */
export const fieldOfRejection = (code: string): string =>
  code === 'criterion-without-fewer-opportunities' ? 'plan.fewerOpportunitiesCriterion' : code.startsWith('duration') || code === 'invalid-dates' ? 'plan.endDate' : 'plan';
