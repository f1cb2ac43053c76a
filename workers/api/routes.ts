import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import { z } from 'zod';
import { MobilityId, OrgId, ProjectId } from '../../domain/ids';
import { ENTERS, StageName } from '../../domain/mobility/lifecycle';
import { type Action, type MobilityOwnership, type Principal, Role, RoleGrant, roleMayDo, type TenantDirectory } from '../../domain/tenancy';
import { mobility, projectBudget, projectRegistration } from '../../workflows/client';
import { type MobilityView, type UpdateName } from '../../workflows/messages';
import { explainGrantView } from './grant-explain';
import { ACTION_BODIES, ACTION_NAMES, ACTION_PERMISSION, stageActions } from './actions';
import { participantRoutes } from './participants';
import { groupOfApplication, groupRoutes, recordGroupMember } from './groups';
import { incomingRoutes } from './incoming';
import { importRoutes } from './imports';
import { documentRoutes } from './documents';
import { linkRoutes } from './links';
import { onboardingRoutes } from './onboarding';
import { calendarFeedRoutes } from './calendar-feed';
import { exportRoutes } from './exports';
import { recognitionRoutes } from './recognition';
import { dummyHash, verifyPassword } from './passwords';
import { HttpError, ok, route, type RouteSpec } from './route';
import { createSession, revokeSession } from './sessions';
import { loginThrottle, type LoginThrottleOptions } from './throttle';
import { ApplicationBody, ProjectBody, registerProjectFor, submitApplicationFor } from './submission';

export interface ApiDeps {
  pool: pg.Pool;
  temporal: Client;
  taskQueue: string;
  /** How long a session lives (default 8 hours). */
  sessionTtlMs: number;
  /** Sign-in throttling (default: DEFAULT_LOGIN_THROTTLE of throttle.ts). */
  loginThrottle?: LoginThrottleOptions;
}

const E = (description: string) => ({ description });
const STD = { 400: E('invalid input: names each field'), 401: E('no live session') };

// ---------- schemas of answers (documented in the OpenAPI document) ----------
const Login = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
const LoginReply = z.object({ token: z.string(), expiresAt: z.string(), username: z.string(), displayName: z.string(), roles: z.array(RoleGrant) });
const MobilityRow = z.object({
  mobilityId: z.string(), projectId: z.string(), institutionId: z.string(), consortiumId: z.string().nullable(), siteId: z.string().nullable(),
  activity: z.string().nullable(), stage: z.string(), nextDeadline: z.string().nullable(), nextDeadlineDue: z.string().nullable(),
});
const ListQuery = z.strictObject({
  stage: StageName.optional(),
  projectId: ProjectId.optional(),
  institutionId: OrgId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const IdParams = z.strictObject({ id: MobilityId });
const IdempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/);
const ActionReply = z.object({ mobilityId: z.string(), action: z.string(), stage: z.string(), events: z.array(z.string()) });
const BudgetQuery = z.strictObject({
  groupBy: z.enum(['line', 'project', 'institution', 'consortium', 'row']).default('line'),
  projectId: ProjectId.optional(),
});
const QualityQuery = z.strictObject({ scope: z.enum(['project', 'institution', 'consortium']).default('project'), projectId: ProjectId.optional() });

// ---------- helpers ----------
/** The principal restricted to the grants whose role may do `action` (e.g. budget.view). */
const grantsFor = (p: Principal, action: Action): Principal => ({ userRef: p.userRef, roles: p.roles.filter((g) => roleMayDo(g.role, action)) });

function viewFilter(dir: TenantDirectory, p: Principal, action: Action) {
  const restricted = grantsFor(p, action);
  if (restricted.roles.length === 0) throw new HttpError(403, 'forbidden', `${p.userRef} holds no role that may ${action}`, { reason: `${action} needs one of the roles: ${Role.options.filter((r) => roleMayDo(r, action)).join(', ')}` });
  const f = dir.readFilter(restricted);
  return [f.institutionIds, f.consortiumIds, f.siteIds] as const;
}

/** Every mobility with its scope (projection row, or the console's record before the projection has it). */
const VISIBLE_MOBILITIES = `
  WITH m AS (
    SELECT mobility_id,
           coalesce(q.project_id, c.project_id) AS project_id,
           coalesce(q.institution_id, c.institution_id) AS institution_id,
           CASE WHEN q.mobility_id IS NOT NULL THEN q.consortium_id ELSE c.consortium_id END AS consortium_id,
           c.site_id,
           coalesce(c.activity, b.activity) AS activity,
           coalesce(sn.stage, '${ENTERS.ApplicationSubmitted}') AS stage
      FROM quality_mobilities q
      FULL JOIN console_mobilities c USING (mobility_id)
      LEFT JOIN budget_mobilities b USING (mobility_id)
      LEFT JOIN quality_stage_names sn ON sn.rank = q.stage_rank
  )
  SELECT m.*, nd.deadline AS next_deadline, to_char(nd.due_on, 'YYYY-MM-DD') AS next_deadline_due
    FROM m
    LEFT JOIN LATERAL (
      SELECT d.deadline, d.due_on FROM quality_schedule d
       WHERE d.mobility_id = m.mobility_id AND d.due_on >= (now() AT TIME ZONE 'UTC')::date
       ORDER BY d.due_on, d.deadline LIMIT 1) nd ON true
   WHERE (m.institution_id = ANY($1) OR m.consortium_id = ANY($2) OR m.site_id = ANY($3))`;

const ownershipOf = (identity: { institutionId: string; consortiumId: string | null; siteId: string | null }): MobilityOwnership => ({
  institutionId: identity.institutionId, consortiumId: identity.consortiumId, siteId: identity.siteId,
});

/**
 * The mobility's workflow and its ownership, if the principal may read it. Anything else — no such
 * mobility, or one outside the principal's scope — answers the same 404, so existence does not leak.
 */
export async function readable(deps: ApiDeps, dir: TenantDirectory, p: Principal, id: string) {
  const m = mobility(deps.temporal, id);
  const notFound = new HttpError(404, 'not-found', `no mobility ${id} in your scope`);
  let snapshot;
  try {
    snapshot = await m.snapshot();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound;
    throw err;
  }
  const { state } = snapshot;
  if (state.stage === 'none') throw notFound;
  const ownership = ownershipOf(state.identity);
  const read = dir.canRead(p, ownership);
  if (!read.allowed) throw notFound;
  return { m, state, snapshot, ownership };
}

/** The domain's refusal of an Update (ApplicationFailure: type = code, message = reason). */
export function updateFailure(err: unknown): HttpError | null {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : null;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'InvalidInput') return new HttpError(400, 'bad-request', cause.message);
    const ruleId = (cause.details?.[0] as { ruleId?: string } | undefined)?.ruleId ?? null;
    return new HttpError(409, 'refused', cause.message, { reason: cause.message, code: cause.type, ruleId });
  }
  return null;
}

export function buildRoutes(deps: ApiDeps): RouteSpec[] {
  const { pool } = deps;
  return [
    route({
      method: 'GET', path: '/health', operationId: 'health', summary: 'Liveness (no session)', tag: 'system', public: true,
      responses: { 200: { description: 'up', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ok({ status: 'ok' }),
    }),
    route({
      method: 'POST', path: '/api/login', operationId: 'login', summary: 'Sign in: returns an opaque bearer token', tag: 'session', public: true,
      body: Login,
      responses: {
        200: { description: 'signed in', schema: LoginReply }, 400: STD[400], 401: E('wrong username or password'),
        429: E('too many failed sign-ins for this username or client address: locked for Retry-After seconds (even the right password is refused)'),
      },
      handler: async ({ body, req, reply }) => {
        const throttle = loginThrottle(pool, deps.loginThrottle);
        const admission = await throttle.admit(body.username, req.ip, req.log);
        if (!admission.admitted) {
          reply.header('retry-after', String(admission.retryAfterSeconds));
          return { status: 429, body: { error: 'too-many-attempts', message: `too many failed sign-ins for this ${admission.lockedBy.join(' and ')}: try again in ${admission.retryAfterSeconds} s`, retryAfterSeconds: admission.retryAfterSeconds } };
        }
        const { rows } = await pool.query<{ username: string; display_name: string; password_hash: string; disabled: boolean }>(
          'SELECT username, display_name, password_hash, disabled FROM staff_users WHERE username = $1', [body.username]);
        const user = rows[0];
        const good = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash()));
        if (!user || !good || user.disabled) {
          await throttle.failed(admission, req.log);
          throw new HttpError(401, 'unauthorized', 'wrong username or password');
        }
        await throttle.succeeded(admission);
        const s = await createSession(pool, user.username, deps.sessionTtlMs);
        const roles = (await pool.query('SELECT role, scope_kind, scope_id FROM staff_role_grants WHERE username = $1 ORDER BY 1, 2, 3', [user.username])).rows
          .map((r: { role: string; scope_kind: string; scope_id: string }) => ({ role: r.role, scope: { kind: r.scope_kind, id: r.scope_id } }));
        return ok({ token: s.token, expiresAt: s.expiresAt, username: user.username, displayName: user.display_name, roles });
      },
    }),
    route({
      method: 'POST', path: '/api/logout', operationId: 'logout', summary: 'End the session', tag: 'session',
      responses: { 204: E('signed out'), 401: STD[401] },
      handler: async ({ session }) => {
        await revokeSession(pool, session.token);
        return { status: 204, body: null };
      },
    }),
    route({
      method: 'GET', path: '/api/me', operationId: 'me', summary: 'Who is signed in: roles, scopes and what they may do', tag: 'session',
      responses: { 200: { description: 'the principal', schema: z.object({ username: z.string(), displayName: z.string(), expiresAt: z.string(), roles: z.array(RoleGrant), may: z.array(z.string()) }) }, 401: STD[401] },
      handler: async ({ session }) => {
        const may = (['budget.view', 'quality.view', 'mobility.apply', 'project.manage'] as const).filter((a) => session.principal.roles.some((g) => roleMayDo(g.role, a)));
        return ok({ username: session.username, displayName: session.displayName, expiresAt: session.expiresAt, roles: session.principal.roles, may });
      },
    }),
    route({
      method: 'GET', path: '/api/mobilities', operationId: 'listMobilities', summary: 'Mobilities in your scope, with stage and next deadline', tag: 'mobilities',
      query: ListQuery,
      responses: { 200: { description: 'the page', schema: z.object({ mobilities: z.array(MobilityRow), limit: z.number(), offset: z.number() }) }, ...STD },
      handler: async ({ query, session }) => {
        const f = session.directory.readFilter(session.principal);
        const args: unknown[] = [f.institutionIds, f.consortiumIds, f.siteIds];
        let sql = `SELECT * FROM (${VISIBLE_MOBILITIES}) v WHERE true`;
        if (query.stage) sql += ` AND v.stage = $${args.push(query.stage)}`;
        if (query.projectId) sql += ` AND v.project_id = $${args.push(query.projectId)}`;
        if (query.institutionId) sql += ` AND v.institution_id = $${args.push(query.institutionId)}`;
        sql += ` ORDER BY v.next_deadline_due NULLS LAST, v.mobility_id LIMIT $${args.push(query.limit)} OFFSET $${args.push(query.offset)}`;
        const { rows } = await pool.query(sql, args);
        return ok({
          mobilities: rows.map((r) => ({
            mobilityId: r.mobility_id, projectId: r.project_id, institutionId: r.institution_id, consortiumId: r.consortium_id, siteId: r.site_id,
            activity: r.activity, stage: r.stage, nextDeadline: r.next_deadline, nextDeadlineDue: r.next_deadline_due,
          })),
          limit: query.limit, offset: query.offset,
        });
      },
    }),
    route({
      method: 'POST', path: '/api/mobilities', operationId: 'submitApplication', summary: 'Submit an application: starts the mobility workflow', tag: 'mobilities',
      body: ApplicationBody,
      responses: {
        201: { description: 'application registered; the server numbered the mobility', schema: z.object({ mobilityId: z.string(), stage: z.string() }) }, ...STD,
        400: E('invalid application: each issue names the field and the rule; nothing started'),
        403: E('your roles may not register an application there, or the project is not yours (reason given)'), 409: E('the mobility id already exists'),
      },
      handler: async ({ body, session }) => {
        // A member of a group activity: the group must be the application's, in scope (groups.ts).
        if (body.groupId !== undefined) await groupOfApplication(pool, session.directory, session.principal, { ...body, groupId: body.groupId });
        const { mobilityId, consortiumId } = await submitApplicationFor(deps, session.directory, session.principal, session.username, body);
        if (body.groupId !== undefined) await recordGroupMember(pool, body.groupId, mobilityId, body.participantRef, body.plan.accompanyingPerson ?? false, session.username);
        await pool.query(
          `INSERT INTO console_mobilities (mobility_id, project_id, institution_id, consortium_id, site_id, activity, submitted_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mobility_id) DO NOTHING`,
          [mobilityId, body.projectId, body.institutionId, consortiumId, body.siteId ?? null, body.activity, session.username],
        );
        return ok({ mobilityId, stage: ENTERS.ApplicationSubmitted }, 201);
      },
    }),
    route({
      method: 'GET', path: '/api/mobilities/:id', operationId: 'getMobility', summary: 'One mobility: state, due dates, grant lines, payments, audit trail', tag: 'mobilities',
      params: IdParams,
      responses: { 200: { description: 'the mobility (live workflow queries)' }, ...STD, 404: E('no such mobility in your scope') },
      handler: async ({ params, session }) => {
        const { state, snapshot, ownership } = await readable(deps, session.directory, session.principal, params.id);
        const { view, deadlines, grant: stored, audit } = snapshot;
        const registration = await projectRegistration(deps.temporal, state.identity.projectId);
        // Each grant line with the values of its basis (for the console to word it by rule id), where the domain reproduces it.
        const grant = explainGrantView(state, stored, registration);
        const actions = stageActions(state.stage).map((name) => {
          const d = session.directory.canAct(session.principal, ACTION_PERMISSION[name], ownership);
          return { name, permission: ACTION_PERMISSION[name], allowed: d.allowed, reason: d.allowed ? null : d.reason };
        });
        return ok({ mobilityId: params.id, stage: state.stage, view: view satisfies MobilityView, state, deadlines, grant, audit, actions });
      },
    }),
    ...ACTION_NAMES.map((name: UpdateName) =>
      route({
        method: 'POST', path: `/api/mobilities/:id/actions/${name}`, operationId: `action_${name}`, tag: 'actions',
        summary: `${name} (needs ${ACTION_PERMISSION[name]}): runs the workflow's Update; the domain may refuse`,
        params: IdParams,
        body: ACTION_BODIES[name],
        responses: {
          200: { description: 'applied', schema: ActionReply }, ...STD,
          403: E('your roles may not do this here (reason given); nothing changed'),
          404: E('no such mobility in your scope'),
          409: E("the domain refused (reason, code and rule); nothing changed"),
        },
        handler: async ({ params, body, session, req }) => {
          const { m, ownership } = await readable(deps, session.directory, session.principal, params.id);
          const may = session.directory.canAct(session.principal, ACTION_PERMISSION[name], ownership);
          if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
          // Idempotency-Key: the Temporal Update id, so a client that timed out retries safely (applied once, same answer).
          const key = req.headers['idempotency-key'];
          if (key !== undefined && (typeof key !== 'string' || !IdempotencyKey.safeParse(key).success)) {
            throw new HttpError(400, 'bad-request', 'Idempotency-Key: 1–100 letters, digits, . _ : -', { issues: [{ field: 'Idempotency-Key', message: 'letters, digits, . _ : - (at most 100)' }] });
          }
          try {
            const r = await m.act(name, { ...(body as object), actor: session.username } as never, key ? `${name}:${session.username}:${key}` : undefined);
            return ok({ mobilityId: params.id, action: name, stage: r.stage, events: r.events });
          } catch (err) {
            const mapped = updateFailure(err);
            if (mapped) throw mapped;
            if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'refused', `mobility ${params.id} is closed`, { reason: 'the mobility is closed', code: 'closed' });
            throw err;
          }
        },
      }),
    ),
    route({
      method: 'POST', path: '/api/projects', operationId: 'registerProject', summary: 'Register a project once: its owner, funder lines and terms (call year, action, NA rates); the same content again is idempotent', tag: 'projects',
      body: ProjectBody,
      responses: {
        200: { description: "the project's registration and budget guard" }, ...STD,
        403: E('your roles may not manage projects of this owner (reason given)'),
        409: E('the project id is registered by another beneficiary, or with other content (the fields that differ)'),
      },
      handler: async ({ body, session }) => {
        const { registration, created } = await registerProjectFor(deps, session.directory, session.principal, body);
        const summary = await projectBudget(deps.temporal, body.projectId);
        return ok({ projectId: body.projectId, created, registration, budget: summary });
      },
    }),
    route({
      method: 'GET', path: '/api/budget', operationId: 'budgetConsumption', summary: 'Budget consumption in your scope, per funder line, project, institution or consortium', tag: 'dashboards',
      query: BudgetQuery,
      responses: { 200: { description: 'figures in euro cents' }, ...STD, 403: E('no role of yours may view budgets') },
      handler: async ({ query, session }) => {
        // Budget rows are per project x line x institution x consortium: sites do not split them (site roles may not view budgets).
        const [inst, cons] = viewFilter(session.directory, session.principal, 'budget.view');
        const keys = { line: ['project_id', 'funder_line_id'], project: ['project_id'], institution: ['institution_id'], consortium: ['consortium_id'], row: ['project_id', 'funder_line_id', 'institution_id', 'consortium_id'] }[query.groupBy];
        const sums = ['allocated_cents', 'allocated_mobilities', 'reserved_cents', 'contracted_cents', 'final_cents', 'committed_cents', 'prefinanced_cents', 'paid_cents',
          'recovered_cents', 'mobilities_used', 'zero_grant_mobilities', 'fewer_opportunity_mobilities', 'org_support_cents', 'org_support_participants',
          'inclusion_support_cents', 'org_inclusion_support_cents'];
        const args: unknown[] = [inst, cons];
        let where = '(c.institution_id = ANY($1) OR c.consortium_id = ANY($2))';
        if (query.projectId) where += ` AND c.project_id = $${args.push(query.projectId)}`;
        // Every figure is a budget_consumption figure: the route only adds up the rows in the caller's view. What
        // remains is the remaining of the funder lines the group draws from (each line once): a consortium member
        // holds no allocation of its own but draws on the consortium's line, so it sees that pool, never a negative.
        const on = keys.map((k) => `g.${k} IS NOT DISTINCT FROM p.${k}`).join(' AND ');
        const onShares = keys.map((k) => `g.${k} IS NOT DISTINCT FROM s.${k}`).join(' AND ');
        // Co-funded shares (the co-funding lines' part of the grants in force, never the Erasmus+ part): each on its
        // own line beside the Erasmus+ figures, and taken from what that line has left.
        const { rows } = await pool.query(
          `WITH v AS (SELECT * FROM budget_consumption c WHERE ${where}),
                cs AS (SELECT m.project_id, f.line_id AS funder_line_id, m.institution_id, m.consortium_id, f.mobility_id, f.amount_cents
                         FROM budget_funding_shares f JOIN budget_mobilities m USING (mobility_id)
                        WHERE m.ended IS NULL AND f.phase = CASE WHEN m.certified THEN 'final' ELSE 'estimated' END AND f.rule_id <> 'FUND-ERASMUS-PLUS'),
                lc AS (SELECT project_id, funder_line_id, sum(amount_cents)::bigint AS cents FROM cs GROUP BY project_id, funder_line_id),
                s AS (SELECT ${keys.join(', ')}, sum(amount_cents)::bigint AS co_funded_cents, count(DISTINCT mobility_id) FILTER (WHERE amount_cents > 0)::bigint AS co_funded_mobilities
                        FROM cs c WHERE ${where} GROUP BY ${keys.join(', ')}),
                g AS (SELECT ${keys.join(', ')}, ${sums.map((s) => `sum(${s})::bigint AS ${s}`).join(', ')} FROM v GROUP BY ${keys.join(', ')}),
                p AS (SELECT ${keys.join(', ')}, sum(lr)::bigint AS remaining_cents, sum(lm)::bigint AS mobilities_remaining
                        FROM (SELECT DISTINCT ${keys.map((k) => `v.${k}`).join(', ')}, v.project_id AS lp, v.funder_line_id AS ll,
                                     v.line_remaining_cents - coalesce(lc.cents, 0) AS lr, v.line_mobilities_remaining AS lm
                                FROM v LEFT JOIN lc ON lc.project_id = v.project_id AND lc.funder_line_id = v.funder_line_id) d
                       GROUP BY ${keys.join(', ')})
           SELECT g.*, p.remaining_cents, p.mobilities_remaining, coalesce(s.co_funded_cents, 0)::bigint AS co_funded_cents, coalesce(s.co_funded_mobilities, 0)::bigint AS co_funded_mobilities
             FROM g JOIN p ON ${on} LEFT JOIN s ON ${onShares} ORDER BY ${keys.map((k) => `g.${k}`).join(', ')}`, args);
        return ok({ groupBy: query.groupBy, rows: rows.map(camel) });
      },
    }),
    route({
      method: 'GET', path: '/api/quality', operationId: 'qualityDashboard', summary: 'Quality dashboard per project, institution or consortium (only scopes wholly in your view)', tag: 'dashboards',
      query: QualityQuery,
      responses: { 200: { description: 'dashboard rows and mobilities per stage' }, ...STD, 403: E('no role of yours may view the quality dashboard') },
      handler: async ({ query, session }) => {
        const [inst, cons, sites] = viewFilter(session.directory, session.principal, 'quality.view');
        const args: unknown[] = [inst, cons, sites, query.scope];
        // A dashboard row is shown only if every mobility it aggregates is readable (an
        // institution's row also counts its own-project mobilities, which a consortium role does not see).
        let sql = `SELECT d.* FROM quality_dashboard d WHERE d.scope = $4 AND NOT EXISTS (
            SELECT 1 FROM quality_mobilities q LEFT JOIN console_mobilities c USING (mobility_id)
             WHERE (CASE d.scope WHEN 'project' THEN q.project_id WHEN 'institution' THEN q.institution_id ELSE q.consortium_id END) = d.scope_id
               AND NOT (coalesce(q.institution_id = ANY($1), false) OR coalesce(q.consortium_id = ANY($2), false) OR coalesce(c.site_id = ANY($3), false)))`;
        if (query.projectId) sql += ` AND EXISTS (SELECT 1 FROM quality_mobilities q WHERE q.project_id = $${args.push(query.projectId)}
            AND (CASE d.scope WHEN 'project' THEN q.project_id WHEN 'institution' THEN q.institution_id ELSE q.consortium_id END) = d.scope_id)`;
        sql += ' ORDER BY d.scope_id';
        const { rows } = await pool.query(sql, args);
        const stages = await pool.query(`SELECT stage, count(*)::bigint AS mobilities FROM (${VISIBLE_MOBILITIES}) v GROUP BY stage ORDER BY stage`, [inst, cons, sites]);
        return ok({ scope: query.scope, rows: rows.map(camel), stages: stages.rows });
      },
    }),
    // The participant registry: the one place of personal data (participants.ts).
    ...participantRoutes(deps),
    // Group activities: members are mobilities linked by groupId (groups.ts).
    ...groupRoutes(deps),
    // Incoming mobilities: the receiving side (incoming.ts).
    ...incomingRoutes(deps),
    // Bulk import of applications and takeover of mobilities under way (imports.ts).
    ...importRoutes(deps),
    // Documents and proofs (documents.ts) and the signed participant and host links (links.ts).
    ...documentRoutes(deps),
    ...linkRoutes(deps),
    // Onboarding: the organisation, staff accounts and their invitations (onboarding.ts, invitations.ts).
    ...onboardingRoutes(deps),
    // The Beneficiary Module export (exports.ts) and private calendar feeds of due dates (calendar-feed.ts).
    ...exportRoutes(deps),
    ...calendarFeedRoutes(deps),
    // Recognition records: Europass Mobility, open badges (signed credentials), staff career record (recognition.ts).
    ...recognitionRoutes(deps),
  ];
}

const camel = (r: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), typeof v === 'string' && /^-?\d+\.\d+$/.test(v) ? Number(v) : v]));
