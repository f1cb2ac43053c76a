import type { Client } from '@temporalio/client';
import { ENTERS } from '../../domain/mobility/lifecycle';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { buildConsole, type ConsoleAssets } from '../../console/build';
import { OrgId, ProjectId } from '../../domain/ids';
import { OPEN_STAGES } from '../../domain/mobility/lifecycle';
import { type Action, type Principal, Role, roleMayDo, type TenantDirectory } from '../../domain/tenancy';
import { loadConfig } from '../../infra/config';
import { kafkaFor } from '../../infra/kafka/client';
import { EVENT_TOPICS } from '../../infra/kafka/topics';
import { mobility } from '../../workflows/client';
import type { UpdateName } from '../../workflows/messages';
import { ACTION_PERMISSION } from './actions';
import { HttpError, ok, route, type RouteSpec } from './route';

/** The stage in mobility, as the lifecycle table names it (the one a certificate of attendance is awaited in). */
const DEPARTED = ENTERS.DepartureConfirmed;

/**
 * The read side of the operations console (console/): the pages' own queries and the live feed.
 * Every answer is limited to the signed-in staff member's tenants, like the rest of the API, and
 * holds only what the server knows: stages and figures from the projections, due dates from the
 * workflows themselves (their `deadlines` query and the NextDeadline search attribute).
 *
 * - GET /api/console/options    what the filters and forms can offer (projects, funder lines, institutions, sites)
 * - GET /api/console/pipeline   mobilities per stage with filters, search and pagination (+ totals)
 * - GET /api/console/worklist   due this week, overdue, reminders sent; each with the action that fulfils it
 * - GET /api/console/budget/mobilities   drill-down: the mobilities and grant rule lines behind a budget figure
 * - GET /api/console/live       server-sent events: `change` when a projection moved (Postgres NOTIFY), `status` (projection lag)
 * - GET /api/console/status     the same status once, as JSON
 */

export interface ConsoleDeps {
  pool: pg.Pool;
  temporal: Client;
  /** How far the projections are behind the topics; default: Kafka's end offsets against projection_offsets. */
  lagProbe?: LagProbe;
}

export type LagProbe = () => Promise<{ behind: number } | { error: string }>;

export interface LiveStatus {
  /** Events on the topics the projections have not folded yet. */
  behind: number;
  /** Seconds the projections have been behind without catching up (0 when up to date). */
  laggingForSeconds: number;
  /** The event stream could not be asked (Kafka down): figures may be stale. */
  streamUnreachable: boolean;
  checkedAt: string;
}

const E = (description: string) => ({ description });
const STD = { 400: E('invalid input: names each field'), 401: E('no live session') };

// ---------- scope ----------
const grantsFor = (p: Principal, action: Action): Principal => ({ userRef: p.userRef, roles: p.roles.filter((g) => roleMayDo(g.role, action)) });

/** The read filter for a dashboard action (budget.view…): 403 when no role of the principal may. */
function dashboardFilter(dir: TenantDirectory, p: Principal, action: Action) {
  const restricted = grantsFor(p, action);
  if (restricted.roles.length === 0) {
    throw new HttpError(403, 'forbidden', `${p.userRef} holds no role that may ${action}`, { reason: `${action} needs one of the roles: ${Role.options.filter((r) => roleMayDo(r, action)).join(', ')}` });
  }
  return dir.readFilter(restricted);
}

/**
 * Every mobility with its ownership, stage and participant ref: the projections (quality for the
 * stage, applications for the participant ref, budget for the activity) joined with the console's
 * own record of the ownership (with the site, which events do not carry). $1/$2/$3 = the read filter.
 */
const MOBILITIES = `
  SELECT mobility_id,
         coalesce(q.project_id, c.project_id, a.project_id) AS project_id,
         coalesce(q.institution_id, c.institution_id, a.institution_id) AS institution_id,
         CASE WHEN q.mobility_id IS NOT NULL THEN q.consortium_id ELSE c.consortium_id END AS consortium_id,
         c.site_id,
         coalesce(c.activity, a.activity, b.activity) AS activity,
         coalesce(sn.stage, '${ENTERS.ApplicationSubmitted}') AS stage,
         a.participant_ref,
         coalesce(q.fewer_opportunities, false) AS fewer_opportunities,
         coalesce(q.green_travel, false) AS green_travel
    FROM quality_mobilities q
    FULL JOIN console_mobilities c USING (mobility_id)
    LEFT JOIN mobility_applications a USING (mobility_id)
    LEFT JOIN budget_mobilities b USING (mobility_id)
    LEFT JOIN quality_stage_names sn ON sn.rank = q.stage_rank`;

const inScope = (alias: string) => `(${alias}.institution_id = ANY($1) OR ${alias}.consortium_id = ANY($2) OR ${alias}.site_id = ANY($3))`;

const today = () => new Date().toISOString().slice(0, 10);
const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

/** The staff action that fulfils each kind of work item (null: the engine does it itself, e.g. payments). */
export const WORK_ACTION: Record<string, UpdateName | null> = {
  'certificate-of-attendance': 'recordCertificateOfAttendance',
  'participant-report': 'recordReportSubmitted',
  'transcript-of-records': 'recordTranscriptOfRecords',
  recognition: 'recordRecognition',
  'la-change-request': 'changeLearningAgreement',
  'la-change-decision': 'changeLearningAgreement',
  'extension-request': 'requestExtension',
  'prefinancing-payment': null,
  'balance-payment': null,
  'agreement-signature': 'signAgreement',
  'ols-assessment': 'recordOlsAssessment',
  'insurance-travel': null,
};

// ---------- what the projections do not hold ----------
/**
 * The departed mobilities and their planned end (a departed mobility whose planned end has passed
 * waits for its certificate of attendance): MobilityStage from Temporal visibility, the plan from
 * each workflow's state. Read at most every two seconds, and again after any change.
 */
function departedCache(temporal: Client) {
  let cached: { at: number; value: Promise<Map<string, string>> } | null = null;
  const read = async (): Promise<Map<string, string>> => {
    const ids: string[] = [];
    for await (const w of temporal.workflow.list({ query: `WorkflowType = 'mobilityWorkflow' AND ExecutionStatus = 'Running' AND MobilityStage = '${DEPARTED}'`, pageSize: 1000 })) ids.push(w.workflowId);
    const out = new Map<string, string>();
    await mapLimit(ids, 8, async (id) => {
      const st = await mobility(temporal, id).state().catch(() => null);
      if (st?.stage === DEPARTED) out.set(id, st.plan.endDate);
    });
    return out;
  };
  return {
    get(): Promise<Map<string, string>> {
      if (!cached || Date.now() - cached.at > 2_000) {
        const value = read();
        cached = { at: Date.now(), value };
        value.catch(() => { cached = null; });
      }
      return cached.value;
    },
    invalidate() { cached = null; },
  };
}

/** Runs `f` over `xs` with at most `n` at a time. */
async function mapLimit<T, R>(xs: readonly T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, async () => {
    while (i < xs.length) {
      const k = i++;
      out[k] = await f(xs[k]!);
    }
  }));
  return out;
}

// ---------- live updates: Postgres LISTEN → server-sent events ----------
type Listener = (event: 'change' | 'status', data: unknown) => void;

/** One LISTEN connection per API process; tells every open console what changed, at most every 150 ms. */
class LiveHub {
  private listeners = new Set<Listener>();
  private client: pg.PoolClient | null = null;
  private pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private behindSince: number | null = null;
  status: LiveStatus = { behind: 0, laggingForSeconds: 0, streamUnreachable: false, checkedAt: new Date().toISOString() };

  constructor(private readonly pool: pg.Pool, private readonly probe: LagProbe, private readonly onChange: () => void) {}

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    void this.ensureListening();
    this.ensureStatusTimer();
    return () => {
      this.listeners.delete(l);
      if (this.listeners.size === 0 && this.statusTimer) {
        clearInterval(this.statusTimer);
        this.statusTimer = null;
      }
    };
  }

  private async ensureListening(): Promise<void> {
    if (this.client || this.stopped) return;
    try {
      const c = await this.pool.connect();
      this.client = c;
      c.on('notification', (n) => this.changed(n.payload ?? 'projections'));
      c.on('error', () => this.reconnect());
      await c.query('LISTEN console_changes');
    } catch {
      this.reconnect();
    }
  }

  private reconnect() {
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('notification');
      try { c.release(true); } catch { /* already gone */ }
    }
    if (!this.stopped && this.listeners.size > 0) setTimeout(() => void this.ensureListening(), 1_000).unref();
  }

  private changed(what: string) {
    this.pending.add(what);
    this.onChange();
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const topics = [...this.pending].sort();
      this.pending.clear();
      for (const l of this.listeners) l('change', { topics, at: new Date().toISOString() });
    }, 150);
  }

  private ensureStatusTimer() {
    if (this.statusTimer) return;
    const tick = async () => {
      const next = await this.check();
      const changed = next.behind !== this.status.behind || next.streamUnreachable !== this.status.streamUnreachable || next.laggingForSeconds !== this.status.laggingForSeconds;
      this.status = next;
      if (changed) for (const l of this.listeners) l('status', next);
    };
    this.statusTimer = setInterval(() => void tick(), 2_000);
    this.statusTimer.unref();
    void tick();
  }

  async check(): Promise<LiveStatus> {
    const r = await this.probe().catch((err: Error) => ({ error: err.message }));
    const now = Date.now();
    if ('error' in r) return { behind: 0, laggingForSeconds: 0, streamUnreachable: true, checkedAt: new Date(now).toISOString() };
    if (r.behind > 0) this.behindSince ??= now;
    else this.behindSince = null;
    const laggingForSeconds = this.behindSince === null ? 0 : Math.floor((now - this.behindSince) / 1000);
    return { behind: r.behind, laggingForSeconds, streamUnreachable: false, checkedAt: new Date(now).toISOString() };
  }

  async stop() {
    this.stopped = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const l of this.listeners) l('change', { topics: [], closing: true });
    this.listeners.clear();
    const c = this.client;
    this.client = null;
    if (c) {
      await c.query('UNLISTEN *').catch(() => undefined);
      c.release();
    }
  }
}

/** Events on the event topics that no projection has folded yet: Kafka's end offsets minus projection_offsets. */
export function kafkaLagProbe(pool: pg.Pool): LagProbe {
  let admin: ReturnType<ReturnType<typeof kafkaFor>['admin']> | null = null;
  return async () => {
    try {
      if (!admin) {
        const a = kafkaFor(loadConfig(), 'console-lag', 'analytics').admin();
        await a.connect();
        admin = a;
      }
      const topics: string[] = [...EVENT_TOPICS];
      const ends = await Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin!.fetchTopicOffsets(topic) })));
      const { rows } = await pool.query<{ projection: string; topic: string; partition: number; next_offset: string }>(
        'SELECT projection, topic, partition, next_offset FROM projection_offsets WHERE topic = ANY($1)', [topics]);
      const projections = [...new Set(rows.map((r) => r.projection))];
      if (projections.length === 0) return { behind: 0 };
      let worst = 0;
      for (const p of projections) {
        let behind = 0;
        for (const t of ends) {
          for (const part of t.partitions) {
            const at = rows.find((r) => r.projection === p && r.topic === t.topic && r.partition === part.partition);
            behind += Math.max(0, Number(part.high) - Number(at?.next_offset ?? 0));
          }
        }
        worst = Math.max(worst, behind);
      }
      return { behind: worst };
    } catch (err) {
      const a = admin;
      admin = null;
      await a?.disconnect().catch(() => undefined);
      return { error: (err as Error).message };
    }
  };
}

// ---------- schemas ----------
const ConsolePage = z.enum(['worklist', 'pipeline', 'budget', 'quality', 'apply', 'organisation', 'incoming', 'groups', 'imports']);
/** A page is offered when one of the principal's roles may do one of these (the pipeline only needs a session). */
const PAGE_NEEDS: Record<z.infer<typeof ConsolePage>, readonly Action[]> = {
  worklist: ['mobility.select', 'mobility.sign-agreement', 'mobility.certify-attendance', 'mobility.record-report', 'mobility.record-recognition'],
  pipeline: [],
  budget: ['budget.view'],
  quality: ['quality.view'],
  apply: ['mobility.apply'],
  organisation: ['organisation.manage'],
  // Incoming mobilities: the receiving institution's (and site's) coordinators, who record nominations.
  incoming: ['mobility.apply'],
  // Bulk import of applications (and takeover of mobilities under way): the staff who register applications.
  imports: ['mobility.apply'],
  // Group activities: the staff who register a group's applications or move it through its stages.
  groups: ['mobility.apply', 'mobility.select', 'mobility.certify-attendance'],
};
const PageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(25),
  offset: z.coerce.number().int().min(0).default(0),
};
const ScopeFilters = {
  projectId: ProjectId.optional(),
  institutionId: OrgId.optional(),
  siteId: OrgId.optional(),
  activity: z.string().max(40).optional(),
};
const DeadlineState = z.enum(['overdue', 'this-week', 'later', 'none']);
const PipelineQuery = z.strictObject({
  ...ScopeFilters,
  stage: z.string().max(40).optional(),
  deadline: DeadlineState.optional(),
  q: z.string().trim().max(80).optional().describe('search: part of a mobility id or a participant ref'),
  ...PageQuery,
});
const PipelineRow = z.object({
  mobilityId: z.string(), projectId: z.string(), institutionId: z.string(), consortiumId: z.string().nullable(), siteId: z.string().nullable(),
  activity: z.string().nullable(), stage: z.string(), participantRef: z.string().nullable(), fewerOpportunities: z.boolean(), greenTravel: z.boolean(),
  nextDueOn: z.string().nullable(), deadlineState: DeadlineState,
});
const PipelineReply = z.object({
  stages: z.array(z.object({ stage: z.string(), mobilities: z.number() })),
  total: z.number(), limit: z.number(), offset: z.number(), rows: z.array(PipelineRow), today: z.string(),
});
const WorklistQuery = z.strictObject({ ...ScopeFilters, kind: z.string().max(40).optional(), withinDays: z.coerce.number().int().min(0).max(60).default(7) });
const WorkItem = z.object({
  mobilityId: z.string(), projectId: z.string(), institutionId: z.string(), siteId: z.string().nullable(), activity: z.string().nullable(),
  stage: z.string(), participantRef: z.string().nullable(),
  kind: z.string().describe('a calendar deadline id, or certificate-of-attendance (departed, planned end passed)'),
  dueOn: z.string(), daysLate: z.number(), state: z.enum(['overdue', 'due']), action: z.string().nullable(),
  allowed: z.boolean().describe('whether you may perform the action (else another role does it)'),
});
const Reminder = z.object({ mobilityId: z.string(), deadline: z.string(), kind: z.string(), audience: z.string(), dueOn: z.string(), sentAt: z.string() });
const WorklistReply = z.object({ today: z.string(), withinDays: z.number(), items: z.array(WorkItem), reminders: z.array(Reminder) });
const DrillQuery = z.strictObject({
  projectId: ProjectId.optional(), funderLineId: z.string().max(64).optional(), institutionId: OrgId.optional(), consortiumId: OrgId.optional(),
  status: z.enum(['reserved', 'contracted', 'final']).optional(), ...PageQuery,
});
const StatusReply = z.object({ behind: z.number(), laggingForSeconds: z.number(), streamUnreachable: z.boolean(), checkedAt: z.string() });

type Row = Record<string, unknown>;
const pipelineRow = (r: Row, now: string) => {
  const due = (r.next_due_on as string | null) ?? null;
  const state = due === null ? 'none' : due < now ? 'overdue' : due <= addDays(now, 7) ? 'this-week' : 'later';
  return {
    mobilityId: r.mobility_id, projectId: r.project_id, institutionId: r.institution_id, consortiumId: r.consortium_id, siteId: r.site_id,
    activity: r.activity, stage: r.stage, participantRef: r.participant_ref, fewerOpportunities: r.fewer_opportunities, greenTravel: r.green_travel,
    nextDueOn: due, deadlineState: state,
  };
};

/** The console bundle, built once per process (every app of the process serves the same sources). */
let consoleAssets: Promise<ConsoleAssets> | null = null;

/** The console's routes and its static files. */
export function consoleApi(deps: ConsoleDeps) {
  const { pool, temporal } = deps;
  const departed = departedCache(temporal);
  const hub = new LiveHub(pool, deps.lagProbe ?? kafkaLagProbe(pool), () => departed.invalidate());

  /** Filters shared by the pipeline and the worklist, as SQL on MOBILITIES aliased v. */
  const filters = (q: { projectId?: string; institutionId?: string; siteId?: string; activity?: string }, args: unknown[]) => {
    let sql = '';
    if (q.projectId) sql += ` AND v.project_id = $${args.push(q.projectId)}`;
    if (q.institutionId) sql += ` AND v.institution_id = $${args.push(q.institutionId)}`;
    if (q.siteId) sql += ` AND v.site_id = $${args.push(q.siteId)}`;
    if (q.activity) sql += ` AND v.activity = $${args.push(q.activity)}`;
    return sql;
  };

  const routes: RouteSpec[] = [
    route({
      method: 'GET', path: '/api/console/me', operationId: 'consoleMe', tag: 'console',
      summary: 'The console pages your roles may use, and the one you land on',
      responses: { 200: { description: 'pages', schema: z.object({ pages: z.array(ConsolePage), landing: ConsolePage }) }, 401: STD[401] },
      handler: async ({ session }) => {
        const mayAny = (actions: readonly Action[]) => session.principal.roles.some((g) => actions.some((a) => roleMayDo(g.role, a)));
        const pages = ConsolePage.options.filter((p) => p === 'pipeline' || mayAny(PAGE_NEEDS[p]));
        const landing = (['worklist', 'budget', 'quality', 'pipeline'] as const).find((p) => pages.includes(p)) ?? 'pipeline';
        return ok({ pages, landing });
      },
    }),
    route({
      method: 'GET', path: '/api/console/options', operationId: 'consoleOptions', tag: 'console',
      summary: 'What the console can offer in your scope: projects with their funder lines, institutions, consortia, sites, activities in use',
      responses: { 200: { description: 'choices for filters and forms' }, 401: STD[401] },
      handler: async ({ session }) => {
        const f = session.directory.readFilter(session.principal);
        const args = [f.institutionIds, f.consortiumIds, f.siteIds];
        const d = session.directory.data;
        const visible = session.directory.visibleInstitutions(session.principal);
        // A member's staff who may apply are offered the consortium's projects (to apply or import), with no other figure of it.
        const applyIn = d.consortia.filter((c) => session.directory.mayApplyInConsortium(session.principal, c.id)).map((c) => c.id);
        const [lines, used] = await Promise.all([
          pool.query(`SELECT project_id, line_id, funder, institution_id, consortium_id FROM budget_lines b
                       WHERE b.institution_id = ANY($1) OR b.consortium_id = ANY($2) OR b.consortium_id = ANY($4)
                          OR EXISTS (SELECT 1 FROM (${MOBILITIES}) v WHERE v.project_id = b.project_id AND ${inScope('v')})
                       ORDER BY project_id, line_id`, [...args, applyIn]),
          pool.query(`SELECT DISTINCT v.activity FROM (${MOBILITIES}) v WHERE ${inScope('v')} AND v.activity IS NOT NULL ORDER BY 1`, args),
        ]);
        const projects = new Map<string, { projectId: string; institutionId: string; consortiumId: string | null; funderLines: { lineId: string; funder: string }[] }>();
        for (const r of lines.rows) {
          const p = projects.get(r.project_id) ?? { projectId: r.project_id, institutionId: r.institution_id, consortiumId: r.consortium_id, funderLines: [] as { lineId: string; funder: string }[] };
          p.funderLines.push({ lineId: r.line_id, funder: r.funder });
          projects.set(r.project_id, p);
        }
        return ok({
          projects: [...projects.values()],
          institutions: d.institutions.filter((i) => visible.has(i.id)).map((i) => ({ id: i.id, name: i.name })),
          consortia: d.consortia.filter((c) => f.consortiumIds.includes(c.id) || c.members.some((m) => f.institutionIds.includes(m.institutionId)))
            .map((c) => ({ id: c.id, name: c.name, members: c.members })),
          sites: d.sites.filter((s) => visible.has(s.institutionId) && (f.siteIds.length === 0 || f.siteIds.includes(s.id) || f.institutionIds.includes(s.institutionId)))
            .map((s) => ({ id: s.id, institutionId: s.institutionId, name: s.name })),
          activities: used.rows.map((r) => r.activity as string),
          // The lifecycle table's order, for pages that list stages.
          stages: OPEN_STAGES,
        });
      },
    }),
    route({
      method: 'GET', path: '/api/console/pipeline', operationId: 'consolePipeline', tag: 'console',
      summary: 'Mobilities per stage in your scope: counts per stage, then one page of mobilities (filters, search, deadline state, totals)',
      query: PipelineQuery,
      responses: { 200: { description: 'counts and a page', schema: PipelineReply }, ...STD },
      handler: async ({ query, session }) => {
        const f = session.directory.readFilter(session.principal);
        const now = today();
        const args: unknown[] = [f.institutionIds, f.consortiumIds, f.siteIds];
        let where = `${inScope('v')}${filters(query, args)}`;
        if (query.q) {
          const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          where += ` AND (v.mobility_id ILIKE $${args.push(like)} OR v.participant_ref ILIKE $${args.length})`;
        }
        // The next due date of each mobility: the earliest of the open due dates its workflow published (DeadlinesScheduled).
        const nd = `LEFT JOIN (SELECT mobility_id, min(due_on) AS due_on FROM quality_schedule GROUP BY mobility_id) nd ON nd.mobility_id = v.mobility_id`;
        if (query.deadline) {
          const t = `$${args.push(now)}::date`;
          where += {
            overdue: ` AND nd.due_on < ${t}`,
            'this-week': ` AND nd.due_on >= ${t} AND nd.due_on <= ${t} + 7`,
            later: ` AND nd.due_on > ${t} + 7`,
            none: ' AND nd.due_on IS NULL',
          }[query.deadline];
        }
        const base = `FROM (${MOBILITIES}) v ${nd} WHERE ${where}`;
        // Every stage in lifecycle order (quality_stage_names holds the lifecycle table's order), zero counts included.
        const stages = await pool.query(
          `SELECT sn.stage, count(x.mobility_id)::int AS mobilities FROM quality_stage_names sn
             LEFT JOIN (SELECT v.stage, v.mobility_id ${base}) x ON x.stage = sn.stage
            GROUP BY sn.stage, sn.rank ORDER BY sn.rank`, args);
        const pageArgs = [...args];
        let pageWhere = '';
        if (query.stage) pageWhere = ` AND v.stage = $${pageArgs.push(query.stage)}`;
        const total = query.stage
          ? stages.rows.find((r) => r.stage === query.stage)?.mobilities ?? 0
          : stages.rows.reduce((s, r) => s + (r.mobilities as number), 0);
        const page = await pool.query(
          `SELECT v.*, to_char(nd.due_on, 'YYYY-MM-DD') AS next_due_on ${base}${pageWhere} ORDER BY nd.due_on NULLS LAST, v.mobility_id LIMIT $${pageArgs.push(query.limit)} OFFSET $${pageArgs.push(query.offset)}`, pageArgs);
        return ok({
          stages: stages.rows.map((r) => ({ stage: r.stage, mobilities: r.mobilities })),
          total, limit: query.limit, offset: query.offset, today: now,
          rows: page.rows.map((r) => pipelineRow(r, now)),
        });
      },
    }),
    route({
      method: 'GET', path: '/api/console/worklist', operationId: 'consoleWorklist', tag: 'console',
      summary: "What is overdue or due within the week (the due dates each mobility's workflow published; a departed mobility past its planned end waits for its certificate), and the reminders sent in the last 30 days",
      query: WorklistQuery,
      responses: { 200: { description: 'work items, most overdue first', schema: WorklistReply }, ...STD },
      handler: async ({ query, session }) => {
        const f = session.directory.readFilter(session.principal);
        const now = today();
        const horizon = addDays(now, query.withinDays);
        const args: unknown[] = [f.institutionIds, f.consortiumIds, f.siteIds];
        const scoped = `${inScope('v')}${filters(query, args)}`;
        // Obligations due by the horizon (overdue ones included until fulfilled), and windows still open, as the workflows published them.
        const due = await pool.query(
          `SELECT v.*, s.deadline, to_char(s.due_on, 'YYYY-MM-DD') AS due_on
             FROM quality_schedule s JOIN (${MOBILITIES}) v USING (mobility_id)
            WHERE ${scoped} AND s.due_on <= $${args.push(horizon)}::date AND (s.kind = 'obligation' OR s.due_on >= $${args.push(now)}::date)`, args);
        const item = (r: Row, kind: string, dueOn: string) => {
          const action = WORK_ACTION[kind] ?? null;
          // Whether this user may do it (the tenancy's rule, as the action route checks it): else someone else's work.
          const ownership = { institutionId: r.institution_id as string, consortiumId: r.consortium_id as string | null, siteId: r.site_id as string | null };
          const allowed = action !== null && session.directory.canAct(session.principal, ACTION_PERMISSION[action as UpdateName], ownership).allowed;
          return {
            mobilityId: r.mobility_id as string, projectId: r.project_id as string, institutionId: r.institution_id as string, siteId: r.site_id as string | null,
            activity: r.activity as string | null, stage: r.stage as string, participantRef: r.participant_ref as string | null, kind, dueOn,
            daysLate: Math.max(0, daysBetween(dueOn, now)), state: dueOn < now ? 'overdue' as const : 'due' as const, action, allowed,
          };
        };
        const items = due.rows.map((r) => item(r, r.deadline, r.due_on));
        // Departed mobilities whose planned end has passed wait for their certificate of attendance.
        const ends = await departed.get();
        const dargs: unknown[] = [f.institutionIds, f.consortiumIds, f.siteIds];
        const dscoped = `${inScope('v')}${filters(query, dargs)}`;
        const gone = await pool.query(`SELECT v.* FROM (${MOBILITIES}) v WHERE ${dscoped} AND v.mobility_id = ANY($${dargs.push([...ends.keys()])})`, dargs);
        // (Mobilities started since the calendar has the certificate's own deadline carry it in their schedule.)
        const scheduled = new Set(items.filter((i) => i.kind === 'certificate-of-attendance').map((i) => i.mobilityId));
        for (const r of gone.rows) {
          const end = ends.get(r.mobility_id)!;
          if (end <= horizon && !scheduled.has(r.mobility_id)) items.push(item({ ...r, stage: DEPARTED }, 'certificate-of-attendance', end));
        }
        const shown = items
          .filter((i) => !query.kind || i.kind === query.kind)
          .sort((a, b) => (a.dueOn === b.dueOn ? a.mobilityId.localeCompare(b.mobilityId) : a.dueOn < b.dueOn ? -1 : 1));
        const rargs: unknown[] = [f.institutionIds, f.consortiumIds, f.siteIds];
        const reminders = await pool.query(
          `SELECT o.mobility_id, o.deadline_id, o.kind, o.recipient_role, to_char(o.due_date, 'YYYY-MM-DD') AS due_on, o.sent_at
             FROM notification_outbox o JOIN (${MOBILITIES}) v USING (mobility_id)
            WHERE o.status = 'sent' AND o.sent_at > now() - interval '30 days' AND ${inScope('v')}${filters(query, rargs)}
            ORDER BY o.sent_at DESC LIMIT 100`, rargs);
        return ok({
          today: now, withinDays: query.withinDays, items: shown,
          reminders: reminders.rows.map((r) => ({ mobilityId: r.mobility_id, deadline: r.deadline_id, kind: r.kind, audience: r.recipient_role, dueOn: r.due_on, sentAt: new Date(r.sent_at).toISOString() })),
        });
      },
    }),
    route({
      method: 'GET', path: '/api/console/budget/mobilities', operationId: 'consoleBudgetDrillDown', tag: 'console',
      summary: 'The mobilities and grant rule lines behind a budget figure (needs budget.view)',
      query: DrillQuery,
      responses: { 200: { description: 'mobilities with their current grant lines (euro cents)' }, ...STD, 403: E('no role of yours may view budgets') },
      handler: async ({ query, session }) => {
        const f = dashboardFilter(session.directory, session.principal, 'budget.view');
        const args: unknown[] = [f.institutionIds, f.consortiumIds];
        let where = '(s.institution_id = ANY($1) OR s.consortium_id = ANY($2))';
        if (query.projectId) where += ` AND s.project_id = $${args.push(query.projectId)}`;
        if (query.funderLineId) where += ` AND s.funder_line_id = $${args.push(query.funderLineId)}`;
        if (query.institutionId) where += ` AND s.institution_id = $${args.push(query.institutionId)}`;
        if (query.consortiumId) where += ` AND s.consortium_id = $${args.push(query.consortiumId)}`;
        where += query.status ? ` AND s.budget_status = $${args.push(query.status)}` : ` AND s.budget_status IN ('reserved', 'contracted', 'final')`;
        const total = (await pool.query(`SELECT count(*)::int AS n FROM budget_mobility_status s WHERE ${where}`, args)).rows[0].n as number;
        const page = await pool.query(
          `SELECT s.mobility_id, s.project_id, s.funder_line_id, s.institution_id, s.consortium_id, s.activity, s.budget_status,
                  s.estimated_cents, s.final_cents, s.prefinanced_cents, s.balance_paid_cents, s.recovered_cents
             FROM budget_mobility_status s WHERE ${where} ORDER BY s.mobility_id LIMIT $${args.push(query.limit)} OFFSET $${args.push(query.offset)}`, args);
        const ids = page.rows.map((r) => r.mobility_id as string);
        const lines = await pool.query(
          `SELECT mobility_id, rule_id, item, amount_cents, basis FROM budget_mobility_grant_lines WHERE mobility_id = ANY($1) ORDER BY mobility_id, line_no`, [ids]);
        return ok({
          total, limit: query.limit, offset: query.offset,
          rows: page.rows.map((r) => ({
            mobilityId: r.mobility_id, projectId: r.project_id, funderLineId: r.funder_line_id, institutionId: r.institution_id, consortiumId: r.consortium_id,
            activity: r.activity, status: r.budget_status, estimatedCents: Number(r.estimated_cents), finalCents: Number(r.final_cents),
            paidCents: Number(r.prefinanced_cents) + Number(r.balance_paid_cents) - Number(r.recovered_cents),
            lines: lines.rows.filter((l) => l.mobility_id === r.mobility_id).map((l) => ({ ruleId: l.rule_id, item: l.item, amountCents: Number(l.amount_cents), basis: l.basis })),
          })),
        });
      },
    }),
    route({
      method: 'GET', path: '/api/console/status', operationId: 'consoleStatus', tag: 'console',
      summary: 'Whether the figures are up to date: events not yet folded into the projections, and for how long',
      responses: { 200: { description: 'projection lag', schema: StatusReply }, 401: STD[401] },
      handler: async () => ok(await hub.check()),
    }),
    route({
      method: 'GET', path: '/api/console/live', operationId: 'consoleLive', tag: 'console',
      summary: 'Server-sent events (text/event-stream): `change` {topics} when projections, applications or reminders changed (Postgres NOTIFY); `status` (lag) when it changes. Refetch what you show on `change`.',
      responses: { 200: { description: 'an event stream; it stays open' }, 401: STD[401] },
      handler: async ({ req, reply }) => {
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        send('status', hub.status);
        const unsubscribe = hub.subscribe((event, data) => {
          send(event, data);
          if ((data as { closing?: boolean }).closing) res.end();
        });
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
        await new Promise<void>((resolve) => {
          const done = () => {
            clearInterval(heartbeat);
            unsubscribe();
            resolve();
          };
          req.raw.once('close', done);
          res.once('close', done);
        });
        return { status: 200, body: null };
      },
    }),
  ];

  /** The console's files and page URLs (one per page: the back button and links work), and the live feed's shutdown. */
  async function register(app: FastifyInstance): Promise<void> {
    consoleAssets ??= buildConsole();
    const built = await consoleAssets;
    const csp = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";
    const page = (_req: unknown, reply: { type: (t: string) => { header: (k: string, v: string) => { send: (b: string) => unknown } } }) =>
      reply.type('text/html; charset=utf-8').header('content-security-policy', csp).send(built.html);
    for (const url of ['/', '/login', '/pipeline', '/worklist', '/budget', '/quality', '/applications/new', '/mobilities/:id', '/organisation', '/set-password', '/incoming', '/link/:token', '/groups', '/imports']) app.get(url, page as never);
    app.get('/console.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(built.js));
    app.get('/console.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(built.css));
    app.addHook('preClose', async () => hub.stop());
  }

  return { routes, register, hub };
}
