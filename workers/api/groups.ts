import { ownLineProblems } from '../../domain/project/registration';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type pg from 'pg';
import { z } from 'zod';
import {
  type Group, GROUP_ACTIONS, GroupAction, GroupId, GroupMember, type MemberGrant, memberPlan, memberProblems, NewGroup,
  groupIdFor, groupLinesByRule, groupTotalCents, planGroupAction, SubgroupId,
} from '../../domain/group';
import { groupOrganisationalSupport } from '../../domain/group/support';
import { ProjectId } from '../../domain/ids';
import type { Stage } from '../../domain/mobility/lifecycle';
import type { MobilityOwnership, Principal, TenantDirectory } from '../../domain/tenancy';
import { mobility, projectRegistration } from '../../workflows/client';
import type { UpdateName } from '../../workflows/messages';
import { ACTION_BODIES, ACTION_PERMISSION } from './actions';
import { explainGrantView } from './grant-explain';
import { participantBelongsTo } from './participants';
import { HttpError, ok, route, type RouteSpec, type Session } from './route';
import type { ApiDeps } from './routes';
import { submitApplicationFor, type SubmissionDeps } from './submission';

/**
 * Group activities (migration 420, domain/group): a group of pupils, VET or adult learners of one
 * project with its accompanying persons (reference §1.8). Each member is ONE mobility with its own
 * workflow and lifecycle, applied for like any other (submission.ts: the same checks, the project's
 * rates — an accompanying person's the sector's staff rate) and linked to the group by `groupId`.
 *
 * - POST /api/projects/:projectId/groups          a group, its subgroups and its first members
 * - GET  /api/groups?projectId                    the groups in your scope
 * - GET  /api/groups/:id                          members with their stages and grant lines, the total, organisational support
 * - POST /api/groups/:id/members                  more members
 * - POST /api/groups/:id/actions/<action>         the action on every member whose stage allows it, answered per member
 *
 * Every route checks the group's tenant like a mobility's: outside your scope 404, a role that may read
 * but not act 403. A group action runs each member's own Update with an id derived from the action's
 * Idempotency-Key, and stores its answers: a retry applies nothing twice and answers the same.
 */

const E = (description: string) => ({ description });
const STD = { 400: E('invalid input: names each field'), 401: E('no live session') };
const IdempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/);

const GroupParams = z.strictObject({ id: GroupId });
const ProjectParams = z.strictObject({ projectId: ProjectId });
const ListQuery = z.strictObject({ projectId: ProjectId.optional() });
const NewMembers = z.strictObject({ members: z.array(GroupMember).min(1).max(60) });

const AddedMember = z.object({ mobilityId: z.string(), participantRef: z.string(), accompanyingPerson: z.boolean(), subgroupId: z.string().nullable() });
const MemberOutcome = z.object({
  mobilityId: z.string(),
  outcome: z.enum(['applied', 'refused', 'skipped']),
  stage: z.string().nullable(),
  events: z.array(z.string()),
  reason: z.string().nullable(),
  code: z.string().nullable(),
  ruleId: z.string().nullable(),
});
type MemberOutcome = z.infer<typeof MemberOutcome>;

interface GroupRow {
  group_id: string; project_id: string; institution_id: string; consortium_id: string | null; site_id: string | null;
  activity: Group['activity']; funder_line_id: string; plan: Group['plan']; subgroups: Group['subgroups']; created_by: string; created_at: Date;
}
interface MemberRow { mobility_id: string; participant_ref: string; accompanying_person: boolean; subgroup_id: string | null }

const toGroup = (r: GroupRow): Group => ({
  groupId: r.group_id, projectId: r.project_id, institutionId: r.institution_id, consortiumId: r.consortium_id, siteId: r.site_id,
  activity: r.activity, funderLineId: r.funder_line_id, plan: r.plan, subgroups: r.subgroups,
});
const ownershipOf = (g: Pick<Group, 'institutionId' | 'consortiumId' | 'siteId'>): MobilityOwnership => ({ institutionId: g.institutionId, consortiumId: g.consortiumId, siteId: g.siteId });

const bad = (issues: { field: string; message: string; rule?: string }[]) =>
  new HttpError(400, 'bad-request', issues.map((i) => `${i.field}: ${i.message}${i.rule ? ` (rule ${i.rule})` : ''}`).join('; '), { issues });

/** The group if the principal may read it; anything else (no such group, another tenant's) the same 404. */
async function readableGroup(pool: pg.Pool, dir: TenantDirectory, p: Principal, id: string): Promise<Group> {
  const { rows } = await pool.query<GroupRow>('SELECT * FROM group_activities WHERE group_id = $1', [id]);
  const notFound = new HttpError(404, 'not-found', `no group ${id} in your scope`);
  if (rows.length === 0) throw notFound;
  const g = toGroup(rows[0]!);
  if (!dir.canRead(p, ownershipOf(g)).allowed) throw notFound;
  return g;
}

const membersOf = async (pool: pg.Pool, groupId: string): Promise<MemberRow[]> =>
  (await pool.query<MemberRow>('SELECT mobility_id, participant_ref, accompanying_person, subgroup_id FROM group_members WHERE group_id = $1 ORDER BY mobility_id', [groupId])).rows;

async function nextGroupId(pool: pg.Pool, projectId: string): Promise<string> {
  const { rows } = await pool.query<{ n: number }>(
    `INSERT INTO project_group_sequences (project_id, next) VALUES ($1, 2)
     ON CONFLICT (project_id) DO UPDATE SET next = project_group_sequences.next + 1 RETURNING next - 1 AS n`, [projectId]);
  return groupIdFor(projectId, rows[0]!.n);
}

/**
 * Members into a group: each checked first (registry ref of the group's institution, once per group, a
 * subgroup of the group), then applied for one by one through the same door as every application.
 * A refusal names the member's field; members applied before it stay (the answer lists them).
 */
async function addMembers(deps: SubmissionDeps, session: Session, group: Group, members: readonly GroupMember[], field: string): Promise<z.infer<typeof AddedMember>[]> {
  const existing = (await membersOf(deps.pool, group.groupId)).map((m) => m.participant_ref);
  const problems = memberProblems(members, group.subgroups, existing).map((p) => ({ field: [field, ...p.path].join('.'), message: p.message }));
  for (const [i, m] of members.entries()) {
    if (!(await participantBelongsTo(deps.pool, m.participantRef, group.institutionId))) {
      problems.push({ field: `${field}.${i}.participantRef`, message: `no participant of institution ${group.institutionId} has this ref: register the participant first (POST /api/participants)` });
    }
  }
  if (problems.length > 0) throw bad(problems);
  const added: z.infer<typeof AddedMember>[] = [];
  for (const [i, m] of members.entries()) {
    const body = {
      projectId: group.projectId, institutionId: group.institutionId, ...(group.siteId ? { siteId: group.siteId } : {}),
      participantRef: m.participantRef, activity: group.activity, funderLineId: group.funderLineId,
      plan: memberPlan(group, m), groupId: group.groupId,
    };
    let mobilityId: string;
    try {
      ({ mobilityId } = await submitApplicationFor(deps, session.directory, session.principal, session.username, body));
    } catch (err) {
      if (err instanceof HttpError && err.status === 400) {
        const issues = ((err.extra.issues ?? []) as { field: string; message: string; rule?: string }[]).map((x) => ({ ...x, field: `${field}.${i}.${x.field}` }));
        throw new HttpError(400, 'bad-request', `${field}.${i}: ${err.message}`, { issues, added });
      }
      throw err;
    }
    await recordGroupMember(deps.pool, group.groupId, mobilityId, m.participantRef, m.accompanyingPerson, session.username, m.subgroupId);
    await deps.pool.query(
      `INSERT INTO console_mobilities (mobility_id, project_id, institution_id, consortium_id, site_id, activity, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mobility_id) DO NOTHING`,
      [mobilityId, group.projectId, group.institutionId, group.consortiumId, group.siteId, group.activity, session.username]);
    added.push({ mobilityId, participantRef: m.participantRef, accompanyingPerson: m.accompanyingPerson, subgroupId: m.subgroupId ?? null });
  }
  return added;
}

/**
 * Each member's live stage and grant (its workflow's snapshot); with the project's registration, each grant line
 * carries the values of its basis (grant-explain.ts), for the console to word it in the user's language.
 */
async function memberDetails(deps: Pick<ApiDeps, 'temporal'>, members: readonly MemberRow[], registration: Parameters<typeof explainGrantView>[2]) {
  return Promise.all(members.map(async (m) => {
    const h = mobility(deps.temporal, m.mobility_id);
    try {
      const { state, grant: stored } = await h.snapshot();
      const grant = explainGrantView(state, stored, registration);
      const current = grant.final ?? grant.estimated;
      return {
        mobilityId: m.mobility_id, participantRef: m.participant_ref, accompanyingPerson: m.accompanying_person, subgroupId: m.subgroup_id,
        stage: state.stage as Stage | 'none',
        fewerOpportunities: state.stage === 'none' ? false : state.plan.fewerOpportunities,
        zeroGrant: state.stage === 'none' ? false : state.grantConditions.zeroGrant,
        certifiedAt: state.stage !== 'none' && 'attendance' in state ? state.audit.lastAt : null,
        grantKind: grant.final ? 'final' as const : grant.estimated ? 'estimated' as const : null,
        grant: current ? { totalCents: current.totalCents, callYear: current.callYear, days: current.days, lines: current.lines } : null,
      };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        return { mobilityId: m.mobility_id, participantRef: m.participant_ref, accompanyingPerson: m.accompanying_person, subgroupId: m.subgroup_id,
          stage: 'none' as const, fewerOpportunities: false, zeroGrant: false, certifiedAt: null, grantKind: null, grant: null };
      }
      throw err;
    }
  }));
}

const GroupBody = z.object({
  groupId: z.string(), projectId: z.string(), institutionId: z.string(), consortiumId: z.string().nullable(), siteId: z.string().nullable(),
  activity: z.string(), funderLineId: z.string(), plan: z.unknown(), subgroups: z.array(z.unknown()),
});

const RuleLine = z.object({ ruleId: z.string(), item: z.string(), amountCents: z.number(), basis: z.string() });
/** The group's organisational support in euros as the domain computes it (domain/group/support.ts, §1.8): never a figure from the client. */
const OrganisationalSupportBody = z.object({
  amountCents: z.number().describe("the group's organisational support in euro cents: unitCents × participants (or the group activity's own amount)"),
  currency: z.literal('EUR'),
  callYear: z.number().describe("the project's call year: its rate table prices the participants"),
  unitCents: z.number().nullable().describe('the unit cost per counted participant for the activity and call year; null when the group activity\'s own amount applies'),
  participants: z.number().describe('participants counted the Beneficiary Module\'s way: accompanying persons excluded, zero-grant mobilities counted'),
  excludedAccompanying: z.number(),
  notTravelling: z.number().describe('members refused, withdrawn or cancelled: no mobility of the report'),
  ruleId: z.string().describe('ORG-KA12X (unit cost × participants) or ORG-GROUP (the group activity\'s own amount)'),
  basis: z.string().describe('the arithmetic and what was excluded, in words'),
  params: z.record(z.string(), z.union([z.string(), z.number()])).describe('the values of the basis (…Cents: euro cents; variant), for a client to word it by rule id in its language'),
  totalCents: z.number().describe('= amountCents (the breakdown\'s total)'),
  lines: z.array(RuleLine),
});
const GroupDetailBody = GroupBody.extend({
  members: z.array(z.looseObject({ mobilityId: z.string(), participantRef: z.string(), accompanyingPerson: z.boolean(), subgroupId: z.string().nullable(), stage: z.string() })),
  totalCents: z.number().describe("the sum of the members' grants"),
  linesByRule: z.array(z.object({ ruleId: z.string(), amountCents: z.number(), members: z.number() })),
  organisationalSupport: OrganisationalSupportBody,
  learners: z.number(),
  accompanyingPersons: z.number(),
  actions: z.array(z.object({ name: z.string(), permission: z.string(), allowed: z.boolean(), reason: z.string().nullable(), members: z.number() })),
});

export function groupRoutes(deps: ApiDeps): RouteSpec[] {
  const { pool } = deps;
  return [
    route({
      method: 'POST', path: '/api/projects/:projectId/groups', operationId: 'createGroup', tag: 'groups',
      summary: 'A group activity of a project (pupils, VET or adult learners): destination, dates, travel, subgroups where funding differs, and its members (learners and accompanying persons, registry refs): each member becomes one mobility',
      params: ProjectParams,
      body: NewGroup,
      responses: {
        201: { description: 'the group and the mobilities of its members', schema: z.object({ groupId: z.string(), members: z.array(AddedMember) }) }, ...STD,
        403: E('your roles may not register applications there (reason given)'),
        404: E('no such project in your scope'),
      },
      handler: async ({ params, body, session }) => {
        const project = await projectRegistration(deps.temporal, params.projectId);
        if (!project || !project.terms) throw new HttpError(404, 'not-found', `no registered project ${params.projectId} in your scope`);
        const projectOwner = { institutionId: project.institutionId, consortiumId: project.consortiumId, siteId: null };
        if (!session.directory.canRead(session.principal, projectOwner).allowed) throw new HttpError(404, 'not-found', `no registered project ${params.projectId} in your scope`);
        if (project.consortiumId === null && body.institutionId !== project.institutionId) {
          throw new HttpError(403, 'forbidden', `project ${project.projectId} belongs to institution ${project.institutionId}: ${body.institutionId} may not use it`, { reason: 'the project belongs to another institution' });
        }
        const ownership = { institutionId: body.institutionId, consortiumId: project.consortiumId, siteId: body.siteId ?? null };
        const scope = session.directory.scopeOf(ownership);
        if (!scope.ok) throw new HttpError(403, 'forbidden', scope.reason, { reason: scope.reason });
        const may = session.directory.canAct(session.principal, 'mobility.apply', ownership);
        if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
        const lineProblems = ownLineProblems(project, body.funderLineId);
        if (lineProblems.length > 0) throw bad(lineProblems);
        if (project.terms.action === 'KA131') throw bad([{ field: 'activity', message: `${body.activity} is not an activity of a KA131 project`, rule: 'PROJECT-ACTION' }]);
        const groupId = await nextGroupId(pool, project.projectId);
        await pool.query(
          `INSERT INTO group_activities (group_id, project_id, institution_id, consortium_id, site_id, activity, funder_line_id, plan, subgroups, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [groupId, project.projectId, body.institutionId, project.consortiumId, body.siteId ?? null, body.activity, body.funderLineId,
            JSON.stringify(body.plan), JSON.stringify(body.subgroups), session.username]);
        const group: Group = { groupId, projectId: project.projectId, institutionId: body.institutionId, consortiumId: project.consortiumId, siteId: body.siteId ?? null,
          activity: body.activity, funderLineId: body.funderLineId, plan: body.plan, subgroups: body.subgroups };
        try {
          const members = await addMembers(deps, session, group, body.members, 'members');
          return ok({ groupId, members }, 201);
        } catch (err) {
          // A group none of whose members could be applied for is not kept: nothing changed.
          if (err instanceof HttpError && err.status === 400 && ((err.extra.added as unknown[] | undefined)?.length ?? 0) === 0) {
            await pool.query('DELETE FROM group_activities WHERE group_id = $1 AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1)', [groupId]);
          }
          throw err;
        }
      },
    }),
    route({
      method: 'GET', path: '/api/groups', operationId: 'listGroups', tag: 'groups', summary: 'The group activities in your scope',
      query: ListQuery,
      responses: { 200: { description: 'groups with their member counts', schema: z.object({ groups: z.array(GroupBody.extend({ members: z.number(), accompanyingPersons: z.number() })) }) }, ...STD },
      handler: async ({ query, session }) => {
        const f = session.directory.readFilter(session.principal);
        const { rows } = await pool.query<GroupRow & { members: string; accompanying: string }>(
          `SELECT g.*, count(m.mobility_id) AS members, count(m.mobility_id) FILTER (WHERE m.accompanying_person) AS accompanying
             FROM group_activities g LEFT JOIN group_members m USING (group_id)
            WHERE (g.institution_id = ANY($1) OR g.consortium_id = ANY($2) OR g.site_id = ANY($3)) AND ($4::text IS NULL OR g.project_id = $4)
            GROUP BY g.group_id ORDER BY g.created_at DESC, g.group_id LIMIT 200`,
          [f.institutionIds, f.consortiumIds, f.siteIds, query.projectId ?? null]);
        const groups = rows.filter((r) => session.directory.canRead(session.principal, ownershipOf(toGroup(r))).allowed)
          .map((r) => ({ ...toGroup(r), members: Number(r.members), accompanyingPersons: Number(r.accompanying) }));
        return ok({ groups });
      },
    }),
    route({
      method: 'GET', path: '/api/groups/:id', operationId: 'getGroup', tag: 'groups',
      summary: "A group: its members with their stages and grant lines, the group's total (the sum of its members' grants) and its organisational support",
      params: GroupParams,
      responses: { 200: { description: "the group (live workflow queries), with its organisational support in euros and its rule basis", schema: GroupDetailBody }, ...STD, 404: E('no such group in your scope') },
      handler: async ({ params, session }) => {
        const group = await readableGroup(pool, session.directory, session.principal, params.id);
        const project = await projectRegistration(deps.temporal, group.projectId);
        const members = await memberDetails(deps, await membersOf(pool, group.groupId), project);
        const grants: MemberGrant[] = members.map((m) => ({ mobilityId: m.mobilityId, accompanyingPerson: m.accompanyingPerson, grant: m.grant }));
        const organisationalSupport = groupOrganisationalSupport(group, members, project?.terms?.callYear ?? Number(group.projectId.slice(0, 4)));
        const actions = GROUP_ACTIONS.map((name) => {
          const d = session.directory.canAct(session.principal, ACTION_PERMISSION[name], ownershipOf(group));
          return { name, permission: ACTION_PERMISSION[name], allowed: d.allowed, reason: d.allowed ? null : d.reason, members: planGroupAction(name, members, 'preview').filter((s) => s.apply).length };
        });
        return ok({
          ...group, members, totalCents: groupTotalCents(grants), linesByRule: groupLinesByRule(grants), organisationalSupport,
          learners: members.filter((m) => !m.accompanyingPerson).length, accompanyingPersons: members.filter((m) => m.accompanyingPerson).length, actions,
        });
      },
    }),
    route({
      method: 'POST', path: '/api/groups/:id/members', operationId: 'addGroupMembers', tag: 'groups',
      summary: 'More members of a group (learners or accompanying persons, registry refs): each becomes one mobility of the group',
      params: GroupParams,
      body: NewMembers,
      responses: {
        201: { description: 'the mobilities of the new members', schema: z.object({ groupId: z.string(), members: z.array(AddedMember) }) }, ...STD,
        403: E('your roles may not register applications there (reason given)'), 404: E('no such group in your scope'),
      },
      handler: async ({ params, body, session }) => {
        const group = await readableGroup(pool, session.directory, session.principal, params.id);
        const may = session.directory.canAct(session.principal, 'mobility.apply', ownershipOf(group));
        if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
        const members = await addMembers(deps, session, group, body.members, 'members');
        return ok({ groupId: group.groupId, members }, 201);
      },
    }),
    ...GROUP_ACTIONS.map((name) =>
      route({
        method: 'POST', path: `/api/groups/:id/actions/${name}`, operationId: `groupAction_${name}`, tag: 'groups',
        summary: `${name} on every member of the group whose stage allows it (needs ${ACTION_PERMISSION[name]}), each through its own workflow Update; answered per member. Optional Idempotency-Key: a retry applies nothing twice and answers the same`,
        params: GroupParams,
        body: ACTION_BODIES[name].extend({ subgroupId: SubgroupId.optional().describe('only the members of this subgroup') }),
        responses: {
          200: { description: 'per member: applied, refused (the domain\'s reason) or skipped (its stage does not allow the action)', schema: z.object({ groupId: z.string(), action: z.string(), results: z.array(MemberOutcome) }) }, ...STD,
          403: E('your roles may not do this here (reason given); nothing changed'),
          404: E('no such group in your scope'),
        },
        handler: async ({ params, body, session, req }) => {
          const group = await readableGroup(pool, session.directory, session.principal, params.id);
          const may = session.directory.canAct(session.principal, ACTION_PERMISSION[name], ownershipOf(group));
          if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
          const header = req.headers['idempotency-key'];
          if (header !== undefined && (typeof header !== 'string' || !IdempotencyKey.safeParse(header).success)) {
            throw new HttpError(400, 'bad-request', 'Idempotency-Key: 1–100 letters, digits, . _ : -', { issues: [{ field: 'Idempotency-Key', message: 'letters, digits, . _ : - (at most 100)' }] });
          }
          const { subgroupId, ...input } = body as { subgroupId?: string } & Record<string, unknown>;
          if (subgroupId !== undefined && !group.subgroups.some((s) => s.subgroupId === subgroupId)) throw bad([{ field: 'subgroupId', message: `no subgroup ${subgroupId} in the group` }]);
          const key = `${session.username}:${header ?? randomUUID()}`;
          const results = await runGroupAction(deps, group, GroupAction.parse(name), input, key, session.username, subgroupId);
          return ok({ groupId: group.groupId, action: name, results });
        },
      }),
    ),
  ];
}

/**
 * One group action: recorded once per key (group_action_runs). A finished run answers its stored results.
 * A first run sends the Update to each member whose stage allows it; a run that was interrupted sends it to
 * every member of the plan again under the same Update ids, so Temporal answers those already applied with
 * their first outcome and applies the rest once.
 */
async function runGroupAction(deps: Pick<ApiDeps, 'pool' | 'temporal'>, group: Group, action: GroupAction, input: Record<string, unknown>, key: string, actor: string, subgroupId: string | undefined): Promise<MemberOutcome[]> {
  const claimed = await deps.pool.query<{ results: MemberOutcome[] | null; action: string }>(
    `INSERT INTO group_action_runs (group_id, run_key, action, actor) VALUES ($1, $2, $3, $4)
     ON CONFLICT (group_id, run_key) DO UPDATE SET run_key = EXCLUDED.run_key RETURNING results, action, (xmax = 0) AS fresh`,
    [group.groupId, key, action, actor]);
  const prior = claimed.rows[0]!;
  const fresh = (prior as unknown as { fresh: boolean }).fresh;
  if (!fresh && prior.action !== action) throw new HttpError(409, 'conflict', `Idempotency-Key already used for ${prior.action} on this group`, { reason: 'key reused for another action', code: 'IdempotencyKeyReused' });
  if (!fresh && prior.results) return prior.results;
  const rows = await membersOf(deps.pool, group.groupId);
  const members = await Promise.all(rows.map(async (m) => {
    try {
      return { mobilityId: m.mobility_id, subgroupId: m.subgroup_id, stage: (await mobility(deps.temporal, m.mobility_id).state()).stage as Stage | 'none' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { mobilityId: m.mobility_id, subgroupId: m.subgroup_id, stage: 'closed' as unknown as Stage };
      throw err;
    }
  }));
  const steps = planGroupAction(action, members, key, subgroupId === undefined ? undefined : { subgroupId });
  const results: MemberOutcome[] = [];
  // A few members at a time: each is its own workflow, its own Update.
  for (let i = 0; i < steps.length; i += 8) {
    results.push(...await Promise.all(steps.slice(i, i + 8).map(async (s): Promise<MemberOutcome> => {
      const stage = members.find((m) => m.mobilityId === s.mobilityId)!.stage;
      const retryable = !fresh && !(subgroupId !== undefined && !s.apply && s.reason.startsWith('not in subgroup'));
      if (!s.apply && !retryable) return { mobilityId: s.mobilityId, outcome: 'skipped', stage, events: [], reason: s.reason, code: 'stage', ruleId: null };
      const updateId = s.apply ? s.updateId : `group:${key}:${action}:${s.mobilityId}`;
      try {
        const r = await mobility(deps.temporal, s.mobilityId).act(action as UpdateName, { ...input, actor } as never, updateId);
        return { mobilityId: s.mobilityId, outcome: 'applied', stage: r.stage, events: r.events, reason: null, code: null, ruleId: null };
      } catch (err) {
        const cause = (err as { cause?: { message?: string; type?: string; details?: unknown[] } }).cause;
        if (cause?.message !== undefined && (err as Error).name === 'WorkflowUpdateFailedError') {
          const ruleId = (cause.details?.[0] as { ruleId?: string } | undefined)?.ruleId ?? null;
          return { mobilityId: s.mobilityId, outcome: 'refused', stage, events: [], reason: cause.message, code: cause.type ?? null, ruleId };
        }
        if (err instanceof WorkflowNotFoundError) return { mobilityId: s.mobilityId, outcome: 'refused', stage, events: [], reason: 'the mobility is closed', code: 'closed', ruleId: null };
        throw err;
      }
    })));
  }
  await deps.pool.query('UPDATE group_action_runs SET results = $3 WHERE group_id = $1 AND run_key = $2', [group.groupId, key, JSON.stringify(results)]);
  return results;
}

/** For POST /api/mobilities with a groupId: the group must be the application's (same project, activity, institution) and in the principal's scope. */
export async function groupOfApplication(pool: pg.Pool, dir: TenantDirectory, p: Principal, app: { groupId: string; projectId: string; activity: string; institutionId: string; participantRef: string }): Promise<Group> {
  let group: Group;
  try {
    group = await readableGroup(pool, dir, p, app.groupId);
  } catch {
    throw bad([{ field: 'groupId', message: `no group ${app.groupId} in your scope`, rule: 'GROUP' }]);
  }
  const issues: { field: string; message: string; rule: string }[] = [];
  if (group.projectId !== app.projectId) issues.push({ field: 'groupId', message: `group ${group.groupId} belongs to project ${group.projectId}, not ${app.projectId}`, rule: 'GROUP-PROJECT' });
  if (group.activity !== app.activity) issues.push({ field: 'activity', message: `the group's activity is ${group.activity}`, rule: 'GROUP-ACTIVITY' });
  if (group.institutionId !== app.institutionId) issues.push({ field: 'institutionId', message: `the group is of institution ${group.institutionId}`, rule: 'GROUP-INSTITUTION' });
  if ((await membersOf(pool, group.groupId)).some((m) => m.participant_ref === app.participantRef)) {
    issues.push({ field: 'participantRef', message: `participant ${app.participantRef} is already a member of group ${group.groupId}`, rule: 'GROUP-MEMBER' });
  }
  if (issues.length > 0) throw bad(issues);
  return group;
}

/** A mobility as a member of its group (after its workflow started). */
export async function recordGroupMember(pool: pg.Pool, groupId: string, mobilityId: string, participantRef: string, accompanyingPerson: boolean, actor: string, subgroupId?: string): Promise<void> {
  await pool.query(
    `INSERT INTO group_members (group_id, mobility_id, participant_ref, accompanying_person, subgroup_id, added_by) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (mobility_id) DO NOTHING`,
    [groupId, mobilityId, participantRef, accompanyingPerson, subgroupId ?? null, actor]);
}
