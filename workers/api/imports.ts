import { isUtf8 } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { Policy } from '../../domain/calendar/policy';
import { ProjectId } from '../../domain/ids';
import { TakeOverFacts } from '../../domain/mobility/commands';
import { decide } from '../../domain/mobility/decide';
import { evolve } from '../../domain/mobility/evolve';
import { finalGrant, plannedGrant } from '../../domain/mobility/grant';
import { isRejection } from '../../domain/mobility/rejection';
import { grantDue, initialState, type OpenMobility } from '../../domain/mobility/state';
import { mobilityPolicyFor, projectRatesFor, type Registration } from '../../domain/project/registration';
import { type Principal, roleMayDo, type TenantDirectory } from '../../domain/tenancy';
import { projectBudget, projectRegistration, startMobility } from '../../workflows/client';
import { ApplicationRef, COLUMNS, type Column, columnDocs, describeColumn, euroToCents, FileProblem, ImportStage, readSheet, type Sheet, type Target, templateCsv, templateXlsx } from './import-columns';
import { NewParticipant, registerParticipant } from './participants';
import { codeOfProblem, codeOfZodIssue, type IssueCode, type IssueCodeName, type IssueParams } from './issues';
import { HttpError, ok, route, type RouteSpec } from './route';
import type { ApiDeps } from './routes';
import { ApplicationBody, applicationCheck } from './submission';

/**
 * Bulk import of applications, and takeover of mobilities under way (issue 13, items 3 and 4).
 *
 * POST /api/projects/:projectId/imports takes a CSV or XLSX file (the body, with its content type) in the
 * template's columns (import-columns.ts). The file's header is checked at once (an unknown column — a grant,
 * a rate — refuses the whole file: 400, nothing changes); then a job checks every row with the rules of the
 * single submission (`applicationCheck`: the project's rules, the domain's decision, a dry run of the grant)
 * and, for a row at a later stage, the domain's TakeOverMobility with the grants the engine computes; it
 * answers a report per row (row, column, reason). Valid rows start their workflows; refused rows change
 * nothing. Each row's key — its project, institution and application reference — maps to the one mobility it
 * started (import_keys), so importing the same file again starts nothing twice and registers nobody twice.
 * Personal fields of a row go to the participant registry only; the workflow gets the opaque ref.
 */
const IMPORT_FORMATS = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
} as const;
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
const XLSX_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** An uploaded file as the route sees it: its bytes are not enumerable, so the text guard does not walk them. */
export interface Upload { readonly kind: 'upload'; readonly format: 'csv' | 'xlsx' | 'unknown'; readonly bytes: Buffer }
const upload = (format: Upload['format'], bytes: Buffer): Upload => {
  const u = { kind: 'upload', format } as Upload;
  Object.defineProperty(u, 'bytes', { value: bytes, enumerable: false });
  return u;
};

/** The body parsers of imports (CSV, XLSX), up to 10 MiB. Register before the routes. (An octet-stream body, read by documents.ts, is told by its bytes.) */
export function registerUploadParsers(app: FastifyInstance): void {
  app.addContentTypeParser(Object.keys(IMPORT_FORMATS), { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (req, body, done) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() as keyof typeof IMPORT_FORMATS;
    done(null, upload(IMPORT_FORMATS[type] ?? 'unknown', body as Buffer));
  });
}

const ImportId = z.string().regex(/^IMP-[A-Z0-9]{6,40}$/, 'an import id as POST …/imports answered it');
const newImportId = () => `IMP-${Date.now().toString(36).toUpperCase()}${randomBytes(5).toString('hex').toUpperCase()}`;

/** A refused row's problem: its column, the English reason, the rule if any, and a stable code with its parameters (issues.ts) the console renders in the user's language. */
export interface RowIssue { column: string; reason: string; rule: string | null; code: string; params: IssueParams }
const issue = (column: string, reason: string, rule: string | null, c: IssueCode): RowIssue => ({ column, reason, rule, code: c.code, params: c.params });
const code = (name: IssueCodeName, params: IssueParams = {}): IssueCode => ({ code: name, params });
/** A zod issue on a row's input: the column it names, its message and code. */
const zodIssue = (column: string, i: z.core.$ZodIssue, input: unknown): RowIssue => issue(column, i.message, null, codeOfZodIssue(i, input));
export interface RowReport { row: number; applicationRef: string | null; status: 'started' | 'duplicate' | 'refused'; mobilityId: string | null; stage: string | null; issues: RowIssue[] }

// ---------- a row's cells → the domain's inputs ----------
const TRUE = new Set(['true', 'yes', 'y', '1', 'oui', 'vrai', 'x']);
const FALSE = new Set(['false', 'no', 'n', '0', 'non', 'faux']);
const TYPE = new Map(COLUMNS.map((c) => [c.name, describeColumn(c).type]));
const COLUMN_OF = new Map(COLUMNS.map((c) => [`${c.target}.${c.field}`, c.name]));

/** A cell as its column's schema expects it: booleans and numbers typed, anything else as written (the schema says what is wrong). */
const typed = (c: Column, v: string): unknown => {
  const t = TYPE.get(c.name);
  if (t === 'boolean') return TRUE.has(v.toLowerCase()) ? true : FALSE.has(v.toLowerCase()) ? false : v;
  if ((t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (c.schema instanceof z.ZodEnum || c.name === 'activity' || c.name.endsWith('country') || c.name === 'nationality') return v.toUpperCase() === v ? v : c.name === 'gender' || c.name === 'stage' ? v.toLowerCase() : v;
  return v;
};

interface ParsedRow {
  row: number;
  applicationRef: string;
  application: ApplicationBody;
  participant: z.infer<typeof NewParticipant> | null;
  takeover: TakeOverFacts | null;
}

const PLACEHOLDER_REF = 'P-AAAAAAAAAAAA';

/** The column a zod issue on an input is about. */
const columnOf = (target: Target, path: PropertyKey[]): string => {
  const p = path.map(String);
  if (target === 'application' && p[0] === 'plan') return COLUMN_OF.get(`plan.${p[1]}`) ?? 'plan';
  if (target === 'takeover' && p[0] === 'agreement') return COLUMN_OF.get(`agreement.${p[1]}`) ?? 'participant_signed_on';
  if (target === 'takeover' && p[0] === 'attendance') return COLUMN_OF.get(`attendance.${p[1]}`) ?? 'attendance_end_date';
  if (target === 'takeover' && p[0] === 'payments') return COLUMN_OF.get(`prefinancing.${p[2]}`) ?? 'prefinancing_paid_eur';
  return COLUMN_OF.get(`${target}.${p[0]}`) ?? p.join('.') ?? target;
};

/** Parse one row with the domain's schemas; issues name the template's columns. */
function parseRow(projectId: string, defaultPrefinancing: number, r: Sheet['rows'][number]): { ok: ParsedRow } | { issues: RowIssue[] } {
  const issues: RowIssue[] = [];
  const by: Record<Target, Record<string, unknown>> = { row: {}, application: {}, plan: {}, participant: {}, takeover: {}, agreement: {}, attendance: {}, prefinancing: {}, balance: {} };
  for (const c of COLUMNS) {
    const v = r.cells[c.name] ?? '';
    if (v === '') continue;
    by[c.target][c.field] = typed(c, v);
  }
  const ref = ApplicationRef.safeParse(by.row.applicationRef ?? '');
  if (!ref.success) issues.push(issue('application_ref', by.row.applicationRef === undefined ? 'required' : ref.error.issues[0]!.message, null, code(by.row.applicationRef === undefined ? 'required' : 'application-ref-format')));

  // The participant: a registry ref, or the personal fields the registry will hold (never both, never neither).
  const personal = Object.keys(by.participant).length > 0;
  const hasRef = by.application.participantRef !== undefined;
  let participant: ParsedRow['participant'] = null;
  if (hasRef && personal) issues.push(issue('participant_ref', 'give either participant_ref or the participant\'s personal fields, not both', null, code('participant-ref-and-personal')));
  else if (!hasRef && !personal) issues.push(issue('participant_ref', 'required: a participant_ref of the registry, or the participant\'s personal fields (given_name, family_name, email, date_of_birth, gender, nationality)', null, code('participant-missing')));
  else if (personal) {
    const input = { ...by.participant, institutionId: by.application.institutionId, ...(by.application.siteId !== undefined ? { siteId: by.application.siteId } : {}) };
    const p = NewParticipant.safeParse(input);
    if (!p.success) for (const i of p.error.issues) if (!['institutionId', 'siteId'].includes(String(i.path[0]))) issues.push(zodIssue(columnOf('participant', i.path), i, input));
    if (p.success) participant = p.data;
  }

  const appInput = {
    projectId, ...by.application, participantRef: by.application.participantRef ?? PLACEHOLDER_REF,
    plan: { ...by.plan, ...(participant?.fewerOpportunitiesCriterion ? { fewerOpportunities: true } : {}) },
  };
  const app = ApplicationBody.safeParse(appInput);
  if (!app.success) for (const i of app.error.issues) issues.push(zodIssue(i.path[0] === 'plan' && i.path.length === 1 ? 'plan' : columnOf('application', i.path), i, appInput));

  // The stage: a new application, or a mobility under way and its facts.
  let takeover: TakeOverFacts | null = null;
  const stage = ImportStage.safeParse(by.takeover.stage ?? 'applied');
  if (!stage.success) issues.push(issue('stage', `unknown stage ${JSON.stringify(by.takeover.stage)}: ${ImportStage.options.join(', ')}`, null, code('unknown-stage', { stage: String(by.takeover.stage), stages: ImportStage.options.join(', ') })));
  else if (stage.data !== 'applied') {
    const payments = (['prefinancing', 'balance'] as const).flatMap((kind) => {
      const p = by[kind];
      if (Object.keys(p).length === 0) return [];
      const amount = typeof p.amountCents === 'string' && /^\d{1,7}([.,]\d{1,2})?$/.test(p.amountCents) ? euroToCents(p.amountCents) : p.amountCents === undefined ? undefined : NaN;
      if (amount === undefined || Number.isNaN(amount)) issues.push(issue(`${kind}_paid_eur`, amount === undefined ? `required with ${kind}_paid_on` : 'an amount in euros with at most two decimals, e.g. 1234.56', null, amount === undefined ? code('required-with', { column: `${kind}_paid_on` }) : code('euro-amount')));
      if (p.paidOn === undefined) issues.push(issue(`${kind}_paid_on`, `required with ${kind}_paid_eur`, null, code('required-with', { column: `${kind}_paid_eur` })));
      return [{ kind, paymentId: p.paymentId ?? `IMP-${String(by.row.applicationRef ?? '').replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 48)}-${kind === 'prefinancing' ? 'PF' : 'BAL'}`, amountCents: amount, paidOn: p.paidOn }];
    });
    const needsAgreement = stage.data !== 'selected';
    const departed = stage.data === 'departed' || stage.data === 'attended';
    const t = {
      stage: stage.data,
      selectedOn: by.takeover.selectedOn,
      agreement: needsAgreement || Object.keys(by.agreement).length > 0 ? { prefinancingPercent: defaultPrefinancing, ...by.agreement } : null,
      departedOn: departed || by.takeover.departedOn !== undefined ? by.takeover.departedOn ?? null : null,
      attendance: stage.data === 'attended' || Object.keys(by.attendance).length > 0 ? { actualStartDate: by.attendance.actualStartDate ?? by.takeover.departedOn, ...by.attendance } : null,
      payments,
      source: 'import',
    };
    const atStage = code('required-at-stage', { stage: stage.data });
    if (t.selectedOn === undefined) issues.push(issue('selected_on', `required at stage ${stage.data}`, null, atStage));
    if (departed && t.departedOn === null) issues.push(issue('departed_on', `required at stage ${stage.data}`, null, atStage));
    if (stage.data === 'attended' && by.attendance.actualEndDate === undefined) issues.push(issue('attendance_end_date', 'required at stage attended', null, atStage));
    for (const k of ['participantSignedOn', 'institutionSignedOn'] as const) {
      if (needsAgreement && by.agreement[k] === undefined) issues.push(issue(COLUMN_OF.get(`agreement.${k}`)!, `required at stage ${stage.data}`, null, atStage));
    }
    if (issues.length === 0) {
      const parsed = TakeOverFacts.safeParse(t);
      if (parsed.success) takeover = parsed.data;
      else for (const i of parsed.error.issues) {
        const kind = i.path[0] === 'payments' ? payments[Number(i.path[1])]?.kind ?? 'prefinancing' : null;
        issues.push(zodIssue(kind ? COLUMN_OF.get(`${kind}.${String(i.path[2])}`) ?? `${kind}_paid_eur` : columnOf('takeover', i.path), i, t));
      }
    }
  }
  if (issues.length > 0 || !app.success || !ref.success) return { issues: dedupe(issues) };
  return { ok: { row: r.row, applicationRef: ref.data, application: app.data, participant, takeover } };
}

const dedupe = (issues: RowIssue[]) => issues.filter((x, i) => issues.findIndex((y) => y.column === x.column && y.reason === x.reason) === i);

/** Where a takeover's refusal points: the step its reason names. */
const takeoverColumn = (reason: string): string => {
  const step = /\(([^)]+)\)/.exec(reason)?.[1] ?? '';
  if (step === 'selection') return 'selected_on';
  if (step === 'agreement') return /pre-financing of/.test(reason) ? 'prefinancing_percent' : 'participant_signed_on';
  if (step === 'departure') return 'departed_on';
  if (step === 'certificate of attendance') return 'attendance_end_date';
  if (step.startsWith('payment ')) return /-BAL$|balance/.test(reason) ? 'balance_paid_eur' : 'prefinancing_paid_eur';
  const field = /: (\w+(?:\.\w+)*) \d{4}-\d{2}-\d{2} is after the takeover date/.exec(reason)?.[1];
  if (field) return { selectedOn: 'selected_on', departedOn: 'departed_on', 'attendance.actualEndDate': 'attendance_end_date', 'agreement.participantSignedOn': 'participant_signed_on', 'agreement.institutionSignedOn': 'institution_signed_on' }[field] ?? (field.startsWith('payments') ? 'prefinancing_paid_on' : 'stage');
  return 'stage';
};

// ---------- the job ----------
export interface ImportContext {
  pool: pg.Pool;
  temporal: Client;
  taskQueue: string;
  directory: TenantDirectory;
  principal: Principal;
  actor: string;
  registration: Registration;
  importId: string;
  sheet: Sheet;
  /** Workflows started at once (default 16). */
  concurrency?: number;
}

const progress = (pool: pg.Pool, id: string, n: { done: number; started: number; takenOver: number; duplicates: number; refused: number }) =>
  pool.query('UPDATE import_jobs SET done = $2, started = $3, taken_over = $4, duplicates = $5, refused = $6 WHERE import_id = $1', [id, n.done, n.started, n.takenOver, n.duplicates, n.refused]);

/** Check every row, then start the valid ones (idempotently), recording progress and the per-row report. */
export async function runImport(ctx: ImportContext): Promise<RowReport[]> {
  const { pool, registration: project, importId, sheet } = ctx;
  const reports = new Map<number, RowReport>();
  const count = { done: 0, started: 0, takenOver: 0, duplicates: 0, refused: 0 };
  const refuse = (row: number, applicationRef: string | null, issues: RowIssue[]) => {
    reports.set(row, { row, applicationRef, status: 'refused', mobilityId: null, stage: null, issues });
    count.refused++;
    count.done++;
  };
  const policy = Policy.parse(mobilityPolicyFor(project.terms));
  const at = new Date().toISOString();

  // 1. Each row on its own: schemas, tenancy, the single submission's checks, the takeover's decision.
  const valid: (ParsedRow & { grantCents: number })[] = [];
  const seenRefs = new Map<string, number>();
  for (const r of sheet.rows) {
    const parsed = parseRow(project.projectId, project.terms.prefinancingPercent, r);
    const ref = r.cells.application_ref || null;
    if ('issues' in parsed) { refuse(r.row, ref, parsed.issues); continue; }
    const p = parsed.ok;
    const key = `${p.application.institutionId}\u0000${p.applicationRef}`;
    if (seenRefs.has(key)) { refuse(r.row, ref, [issue('application_ref', `the same reference as row ${seenRefs.get(key)}`, null, code('same-ref-as-row', { row: seenRefs.get(key)! }))]); continue; }
    seenRefs.set(key, r.row);
    const ownership = { institutionId: p.application.institutionId, consortiumId: project.consortiumId, siteId: p.application.siteId ?? null };
    if (project.consortiumId === null && p.application.institutionId !== project.institutionId) { refuse(r.row, ref, [issue('institution_id', `project ${project.projectId} belongs to institution ${project.institutionId}`, 'PROJECT-OWNER', code('project-owner', { projectId: project.projectId, institutionId: project.institutionId }))]); continue; }
    const scope = ctx.directory.scopeOf(ownership);
    if (!scope.ok) { refuse(r.row, ref, [issue(p.application.siteId ? 'site_id' : 'institution_id', scope.reason, 'TENANCY', code('out-of-scope'))]); continue; }
    const may = ctx.directory.canAct(ctx.principal, 'mobility.apply', ownership);
    if (!may.allowed) { refuse(r.row, ref, [issue('institution_id', may.reason, 'TENANCY', code('not-allowed'))]); continue; }
    const problems = applicationCheck(project, p.application, ctx.actor, at);
    if (problems.length > 0) { refuse(r.row, ref, problems.map((x) => issue(x.field === 'plan' ? 'receiving_country' : columnOf('application', x.field.split('.')), x.message, x.rule, codeOfProblem(x, project, p.application)))); continue; }
    let grantCents = 0;
    if (p.takeover) {
      const t = p.takeover;
      const rates = projectRatesFor(project.terms, p.application.activity, p.application.plan.receivingCountry);
      const mobilityId = `${project.projectId}-MOB-00000`;
      const applied = decide({ type: 'SubmitApplication', ...p.application, mobilityId, consortiumId: project.consortiumId, actor: ctx.actor, at }, initialState, policy);
      if (isRejection(applied)) { refuse(r.row, ref, [issue('stage', applied.reason, applied.code, { code: applied.code, params: {} })]); continue; }
      const s = applied.reduce(evolve, initialState) as OpenMobility;
      const estimatedGrant = plannedGrant(s, rates);
      let final = null;
      try {
        final = t.attendance ? finalGrant(s, rates, t.attendance) : null;
      } catch (err) {
        const ruleId = (err as { ruleId?: string | null }).ruleId ?? null;
        refuse(r.row, ref, [issue('attendance_end_date', (err as Error).message, ruleId ?? 'GRANT', ruleId?.startsWith('DUR-') ? code('duration-limit', { ruleId }) : code('grant-rule', { ruleId: ruleId ?? 'GRANT' }))]);
        continue;
      }
      const taken = decide({ type: 'TakeOverMobility', ...t, estimatedGrant, finalGrant: final, mobilityId, actor: ctx.actor, at }, s, policy);
      if (isRejection(taken)) { refuse(r.row, ref, [issue(takeoverColumn(taken.reason), taken.reason, taken.ruleId ?? taken.code, { code: taken.code, params: {} })]); continue; }
      grantCents = grantDue(taken.reduce(evolve, s) as OpenMobility) ?? 0;
    }
    valid.push({ ...p, grantCents });
  }

  // 2. What this project already holds of these rows (a second import of the same file).
  const known = new Map<string, { mobility_id: string; participant_ref: string | null; started: boolean }>();
  if (valid.length > 0) {
    const { rows } = await pool.query<{ institution_id: string; application_ref: string; mobility_id: string; participant_ref: string | null; started: boolean }>(
      `SELECT institution_id, application_ref, mobility_id, participant_ref, started FROM import_keys
        WHERE project_id = $1 AND (institution_id, application_ref) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [project.projectId, valid.map((v) => v.application.institutionId), valid.map((v) => v.applicationRef)]);
    for (const k of rows) known.set(`${k.institution_id}\u0000${k.application_ref}`, k);
  }

  // 3. Participant refs given by rows: registered, not erased, of the row's institution (one query); their criterion.
  const refs = [...new Set(valid.filter((v) => !v.participant).map((v) => v.application.participantRef))];
  const registry = new Map<string, { institution_id: string; c: string | null }>();
  if (refs.length > 0) {
    const { rows } = await pool.query<{ participant_ref: string; institution_id: string; c: string | null }>(
      'SELECT participant_ref, institution_id, fewer_opportunities_criterion AS c FROM participants WHERE participant_ref = ANY($1) AND erased_at IS NULL', [refs]);
    for (const x of rows) registry.set(x.participant_ref, x);
  }

  // 4. Takeovers reserve their grant as selection would: refused rows past what each funder line has left.
  const budget = valid.some((v) => v.takeover) ? await projectBudget(ctx.temporal, project.projectId) : null;
  const left = new Map((budget?.lines ?? []).map((l) => [l.lineId, { cents: l.remainingCents, mobilities: l.remainingMobilities }]));

  const todo: (ParsedRow & { grantCents: number; key: string })[] = [];
  for (const v of valid) {
    const key = `${v.application.institutionId}\u0000${v.applicationRef}`;
    const k = known.get(key);
    if (k?.started) {
      reports.set(v.row, { row: v.row, applicationRef: v.applicationRef, status: 'duplicate', mobilityId: k.mobility_id, stage: v.takeover?.stage ?? 'applied', issues: [] });
      count.duplicates++;
      count.done++;
      continue;
    }
    if (!v.participant) {
      const p = registry.get(v.application.participantRef);
      if (!p || p.institution_id !== v.application.institutionId) {
        refuse(v.row, v.applicationRef, [issue('participant_ref', `no participant of institution ${v.application.institutionId} has this ref: register the participant first, or give the personal fields`, 'PARTICIPANT-REGISTRY', code('participant-not-registered', { institutionId: v.application.institutionId }))]);
        continue;
      }
      if (p.c !== null) v.application = { ...v.application, plan: { ...v.application.plan, fewerOpportunities: true } };
    }
    if (v.takeover && !k) {
      const l = left.get(v.application.funderLineId);
      if (!l || l.cents < v.grantCents || l.mobilities < 1) {
        refuse(v.row, v.applicationRef, [issue('stage', `funder line ${v.application.funderLineId} has ${l ? `${(l.cents / 100).toFixed(2)} € and ${l.mobilities} mobilities` : 'nothing'} left: the grant of ${(v.grantCents / 100).toFixed(2)} € cannot be reserved`, 'BUDGET',
          code('budget-insufficient', { funderLineId: v.application.funderLineId, leftCents: l?.cents ?? 0, mobilities: l?.mobilities ?? 0, grantCents: v.grantCents }))]);
        continue;
      }
      l.cents -= v.grantCents;
      l.mobilities -= 1;
    }
    todo.push({ ...v, key });
  }
  await progress(pool, importId, count);

  // 5. Claim a mobility id for each new key (one numbering statement), then start each workflow.
  const fresh = todo.filter((v) => !known.has(v.key));
  if (fresh.length > 0) {
    const { rows } = await pool.query<{ first: number }>(
      `INSERT INTO project_mobility_sequences (project_id, next) VALUES ($1, $2 + 1)
       ON CONFLICT (project_id) DO UPDATE SET next = project_mobility_sequences.next + $2 RETURNING next - $2 AS first`, [project.projectId, fresh.length]);
    const first = Number(rows[0]!.first);
    const ids = fresh.map((_, i) => `${project.projectId}-MOB-${String(first + i).padStart(5, '0')}`);
    await pool.query(
      `INSERT INTO import_keys (project_id, institution_id, application_ref, mobility_id, import_id, row_number)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) ON CONFLICT DO NOTHING`,
      [project.projectId, fresh.map((v) => v.application.institutionId), fresh.map((v) => v.applicationRef), ids, fresh.map(() => importId), fresh.map((v) => v.row)]);
    const { rows: claimed } = await pool.query<{ institution_id: string; application_ref: string; mobility_id: string; participant_ref: string | null; started: boolean }>(
      `SELECT institution_id, application_ref, mobility_id, participant_ref, started FROM import_keys
        WHERE project_id = $1 AND (institution_id, application_ref) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [project.projectId, fresh.map((v) => v.application.institutionId), fresh.map((v) => v.applicationRef)]);
    for (const k of claimed) known.set(`${k.institution_id}\u0000${k.application_ref}`, k);
  }

  let cursor = 0;
  let lastFlush = Date.now();
  const one = async (v: (typeof todo)[number]) => {
    const k = known.get(v.key)!;
    let participantRef = v.participant ? k.participant_ref : v.application.participantRef;
    if (v.participant && !participantRef) {
      participantRef = await registerParticipant(pool, v.participant, ctx.actor);
      await pool.query('UPDATE import_keys SET participant_ref = $4 WHERE project_id = $1 AND institution_id = $2 AND application_ref = $3', [project.projectId, v.application.institutionId, v.applicationRef, participantRef]);
    }
    const rates = projectRatesFor(project.terms, v.application.activity, v.application.plan.receivingCountry);
    const { mobilityId: _none, ...body } = v.application;
    const takeover = v.takeover ? { ...v.takeover, source: `import ${importId}, row ${v.row}` } : undefined;
    try {
      await ctx.temporal.connection.withDeadline(Date.now() + 60_000, () => startMobility(ctx.temporal, ctx.taskQueue, {
        ...body, participantRef: participantRef!, mobilityId: k.mobility_id, consortiumId: project.consortiumId, actor: ctx.actor, rates,
        policy: mobilityPolicyFor(project.terms), ...(takeover ? { takeover } : {}),
      }));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await pool.query(
      `INSERT INTO console_mobilities (mobility_id, project_id, institution_id, consortium_id, site_id, activity, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mobility_id) DO NOTHING`,
      [k.mobility_id, project.projectId, v.application.institutionId, project.consortiumId, v.application.siteId ?? null, v.application.activity, ctx.actor]);
    await pool.query('UPDATE import_keys SET started = true WHERE mobility_id = $1', [k.mobility_id]);
    reports.set(v.row, { row: v.row, applicationRef: v.applicationRef, status: 'started', mobilityId: k.mobility_id, stage: v.takeover?.stage ?? 'applied', issues: [] });
    count.started++;
    if (v.takeover) count.takenOver++;
    count.done++;
    if (Date.now() - lastFlush > 500) {
      lastFlush = Date.now();
      await progress(pool, importId, count);
    }
  };
  const lanes = Array.from({ length: Math.min(ctx.concurrency ?? 16, todo.length) }, async () => {
    while (cursor < todo.length) await one(todo[cursor++]!);
  });
  await Promise.all(lanes);

  const report = [...reports.values()].sort((a, b) => a.row - b.row);
  await progress(pool, importId, count);
  await pool.query(`UPDATE import_jobs SET status = 'done', finished_at = now(), report = $2 WHERE import_id = $1`, [importId, JSON.stringify(report)]);
  return report;
}

// ---------- routes ----------
const ProjectParams = z.strictObject({ projectId: ProjectId });
const ImportParams = z.strictObject({ id: ImportId });
const ImportQuery = z.strictObject({ fileName: z.string().max(200).optional().describe('the name of the uploaded file, shown in the job') });
const ImportReply = z.object({
  importId: z.string(), projectId: z.string(), status: z.enum(['running', 'done', 'failed']), fileName: z.string().nullable(), format: z.string(),
  total: z.number(), done: z.number(), started: z.number(), takenOver: z.number(), duplicates: z.number(), refused: z.number(),
  createdBy: z.string(), createdAt: z.string(), finishedAt: z.string().nullable(), error: z.string().nullable(),
  rows: z.array(z.object({ row: z.number(), applicationRef: z.string().nullable(), status: z.string(), mobilityId: z.string().nullable(), stage: z.string().nullable(), issues: z.array(z.object({
    column: z.string(), reason: z.string().describe('in English'), rule: z.string().nullable(),
    code: z.string().optional().describe('stable code of the reason (issue.<code> or refusal.<code> in the console); absent in reports made before codes existed'),
    params: z.record(z.string(), z.union([z.string(), z.number()])).optional().describe('the values the reason names (…Cents: euro cents)'),
  })) })),
});
const E = (description: string) => ({ description });
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const projectOwnership = (r: { institutionId: string; consortiumId: string | null }) => ({ institutionId: r.institutionId, consortiumId: r.consortiumId, siteId: null });

export function importRoutes(deps: Pick<ApiDeps, 'pool' | 'temporal' | 'taskQueue'>): RouteSpec[] {
  const { pool } = deps;
  return [
    route({
      method: 'GET', path: '/api/imports/template.xlsx', operationId: 'importTemplateXlsx', tag: 'imports',
      summary: 'The import template (XLSX): the header row of columns, and a second sheet documenting each column, its format and its allowed codes',
      responses: { 200: E('the workbook'), 401: E('no live session') },
      handler: async ({ reply }) => {
        reply.header('content-type', XLSX_TYPE).header('content-disposition', 'attachment; filename="mobility-import-template.xlsx"');
        return ok(await templateXlsx());
      },
    }),
    route({
      method: 'GET', path: '/api/imports/template.csv', operationId: 'importTemplateCsv', tag: 'imports',
      summary: 'The import template (CSV): the header row of columns (documented by GET /api/imports/columns and the XLSX template\'s second sheet)',
      responses: { 200: E('the CSV header'), 401: E('no live session') },
      handler: async ({ reply }) => {
        reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="mobility-import-template.csv"');
        return ok(templateCsv());
      },
    }),
    route({
      method: 'GET', path: '/api/imports/columns', operationId: 'importColumns', tag: 'imports',
      summary: 'The template\'s columns: required or not, format and allowed codes (from the domain schemas)',
      responses: { 200: { description: 'the columns', schema: z.object({ columns: z.array(z.object({ column: z.string(), required: z.string(), type: z.string(), format: z.string(), codes: z.array(z.string()), description: z.string() })) }) }, 401: E('no live session') },
      handler: async () => ok({ columns: columnDocs() }),
    }),
    route({
      method: 'POST', path: '/api/projects/:projectId/imports', operationId: 'importApplications', tag: 'imports',
      summary: 'Import applications (and mobilities under way, by their stage) from a CSV or XLSX file sent as the body (Content-Type text/csv or the XLSX type): answers 202 with the job; GET /api/imports/:id gives its progress and the report per row',
      params: ProjectParams,
      query: ImportQuery,
      responses: {
        202: { description: 'the import runs: its id, rows in total', schema: z.object({ importId: z.string(), projectId: z.string(), total: z.number(), status: z.string() }) },
        400: E('not a CSV/XLSX file, unknown or missing columns (a grant or rate column is refused), no rows, too many rows: nothing imported'),
        401: E('no live session'), 403: E('your roles may read the project but not register applications (reason given)'),
        404: E('no such project in your scope'), 415: E('not a CSV or XLSX content type'),
      },
      handler: async ({ params, query, req, session }) => {
        const project = await projectRegistration(deps.temporal, params.projectId);
        const notFound = new HttpError(404, 'not-found', `no project ${params.projectId} in your scope`);
        if (!project || !project.terms) throw notFound;
        const ownership = projectOwnership(project);
        // The project's readers, and the staff of a consortium member who may register applications in it (as one by one).
        const member = project.consortiumId !== null && session.directory.mayApplyInConsortium(session.principal, project.consortiumId);
        if (!session.directory.canRead(session.principal, ownership).allowed && !member) throw notFound;
        // A role that registers applications is needed; each row is then checked against its own institution and site.
        if (!session.principal.roles.some((g) => roleMayDo(g.role, 'mobility.apply'))) {
          const reason = `${session.principal.userRef} holds no role that may register applications (mobility.apply)`;
          throw new HttpError(403, 'forbidden', reason, { reason });
        }
        const body = req.body as Upload | { bytes?: Buffer } | undefined;
        // An octet-stream body (read as bytes for documents) is an XLSX file by its first bytes, or CSV text.
        const file: Upload | undefined = body && 'kind' in body && body.kind === 'upload' ? body
          : body?.bytes instanceof Buffer ? upload(body.bytes.subarray(0, 4).equals(XLSX_MAGIC) ? 'xlsx' : isUtf8(body.bytes) ? 'csv' : 'unknown', body.bytes) : undefined;
        if (!file) throw new HttpError(415, 'unsupported-media-type', 'send the file as the body with Content-Type text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', { issues: [{ field: 'content-type', message: 'text/csv or the XLSX type' }] });
        if (file.format === 'unknown') throw new HttpError(400, 'bad-request', 'the file is neither CSV nor XLSX: send it with its content type', { issues: [{ field: 'file', message: 'not CSV or XLSX' }] });
        let sheet: Sheet;
        try {
          sheet = await readSheet(file.bytes, file.format);
        } catch (err) {
          if (err instanceof FileProblem) throw new HttpError(400, 'bad-request', err.message, { issues: err.issues });
          throw err;
        }
        const importId = newImportId();
        await pool.query(
          `INSERT INTO import_jobs (import_id, project_id, institution_id, consortium_id, created_by, file_name, file_sha256, format, status, total)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9)`,
          [importId, project.projectId, project.institutionId, project.consortiumId, session.username, query.fileName ?? null, createHash('sha256').update(file.bytes).digest('hex'), file.format, sheet.rows.length]);
        // The job runs on after the answer; its progress and report are in import_jobs.
        // It runs outside the request's Temporal deadline (each of its calls has its own, in runImport).
        const registration = { ...project, terms: project.terms };
        const job = () => runImport({ ...deps, directory: session.directory, principal: session.principal, actor: session.username, registration, importId, sheet });
        void deps.temporal.connection.withDeadline(Date.now() + 6 * 3600_000, job)
          .catch(async (err) => {
            req.log.error({ err, importId }, 'import failed');
            await pool.query(`UPDATE import_jobs SET status = 'failed', finished_at = now(), error = $2 WHERE import_id = $1`, [importId, (err as Error).message]).catch(() => undefined);
          });
        return ok({ importId, projectId: project.projectId, total: sheet.rows.length, status: 'running' }, 202);
      },
    }),
    route({
      method: 'GET', path: '/api/imports/:id', operationId: 'getImport', tag: 'imports',
      summary: 'An import: progress (rows done of the total), rows started, taken over, already imported, refused; once done, the report per row (row, column, reason)',
      params: ImportParams,
      responses: { 200: { description: 'the import', schema: ImportReply }, 400: E('invalid id'), 401: E('no live session'), 404: E('no such import in your scope') },
      handler: async ({ params, session }) => {
        const { rows } = await pool.query('SELECT * FROM import_jobs WHERE import_id = $1', [params.id]);
        const j = rows[0];
        const notFound = new HttpError(404, 'not-found', `no import ${params.id} in your scope`);
        if (!j) throw notFound;
        const ownership = projectOwnership({ institutionId: j.institution_id, consortiumId: j.consortium_id });
        if (j.created_by !== session.username && !session.directory.canRead(session.principal, ownership).allowed) throw notFound;
        return ok({
          importId: j.import_id, projectId: j.project_id, status: j.status, fileName: j.file_name, format: j.format,
          total: j.total, done: j.done, started: j.started, takenOver: j.taken_over, duplicates: j.duplicates, refused: j.refused,
          createdBy: j.created_by, createdAt: j.created_at.toISOString(), finishedAt: j.finished_at?.toISOString() ?? null, error: j.error, rows: j.report,
        });
      },
    }),
  ];
}
