import type { Client } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { mobility, projectBudget } from '../../../workflows/client';
import { BM_COLUMN_INDEX, centsOf } from '../../../domain/export/bm';
import { COLUMN_NAMES } from '../../../workers/api/import-columns';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { http, participant, project, seedTenancy, startApi, today } from './support';

/**
 * Bulk import of applications and takeover of mobilities under way (issue 13, items 3 and 4), through the
 * HTTP API on the real stack: a 500-row XLSX with 20 bad rows of 20 kinds, the same file again, a CSV,
 * the template, 50 mobilities already departed, and hostile files.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let api: Awaited<ReturnType<typeof startApi>>;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const tokens = {} as Record<string, string>;
const projectA = `2024-1-FR01-KA131-HED-${uniq()}`;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const LINES = [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 500_000_000, allocatedMobilities: 2_000 }];

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
type Row = Record<string, string | number | boolean>;

/** A good new application of institution A1 (the participant's personal fields go to the registry). */
const goodRow = (ref: string): Row => {
  const start = addDays(today(), 40);
  return {
    application_ref: ref, institution_id: tn.id.a1, given_name: 'Camille', family_name: `Durand ${ref}`, email: `${ref.toLowerCase()}@student.example.org`,
    date_of_birth: '2003-05-17', gender: 'female', nationality: 'FR', activity: 'HE-SMS', funder_line_id: 'erasmus',
    start_date: start, end_date: addDays(start, 149), receiving_country: 'DE', sending_country: 'FR', host_org_id: 'D-BERLIN-01', distance_km: 800,
    green_travel: false, fewer_opportunities: false,
  };
};

async function xlsx(rows: Row[], columns = COLUMN_NAMES): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('applications');
  ws.addRow(columns);
  for (const r of rows) ws.addRow(columns.map((c) => r[c] ?? null));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
const csv = (rows: Row[], sep = ';') => [COLUMN_NAMES.join(sep), ...rows.map((r) => COLUMN_NAMES.map((c) => String(r[c] ?? '')).join(sep))].join('\n');

async function upload(token: string, projectId: string, body: Buffer | string, type: string) {
  const res = await fetch(`${api.base}/api/projects/${projectId}/imports?fileName=test`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: body as BodyInit });
  return { status: res.status, body: await res.json() as any };
}
async function finished(token: string, importId: string) {
  const { call } = http(api.base);
  const seen: number[] = [];
  const job = await eventually(async () => {
    const r = await call('GET', `/api/imports/${importId}`, { token });
    expect(r.status).toBe(200);
    seen.push(r.body.done);
    return r.body.status !== 'running' ? r.body : null;
  }, 110_000, `import ${importId} done`);
  return { job, seen };
}

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `import-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await login(username, tn.password(username));
  const reg = await call('POST', '/api/projects', { token: tokens.coordA, body: project(projectA, tn.id.a1, tn.id.consA, LINES) });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
}, 180_000);

afterAll(async () => {
  await api?.close();
  await projector?.stop();
  // The ~530 mobilities this file starts end with it: left open, their alarms would keep the worker of the next files busy.
  const open: string[] = [];
  for await (const w of temporal.workflow.list({ query: `ProjectId = '${projectA}' AND ExecutionStatus = 'Running'` })) open.push(w.workflowId);
  for (let i = 0; i < open.length; i += 50) {
    await Promise.all(open.slice(i, i + 50).map((id) => temporal.workflow.getHandle(id).terminate('import test done').catch(() => undefined)));
  }
  // The worker may still be running the imported workflows' first tasks: give it 30 s to drain, then leave.
  worker?.worker.shutdown();
  await Promise.race([running, new Promise((r) => setTimeout(r, 30_000))]);
  await worker?.close().catch(() => undefined);
  await temporal?.connection.close();
  await pool.end();
});

// The takeover runs first, on an idle worker: the 500-row import leaves hundreds of new workflows for it to run.
describe('taking over mobilities under way', () => {
  it('takes over 50 departed mobilities: each at its stage with the imported facts in its audit, the budget reserved = the engine\'s grants, its deadlines scheduled', async () => {
    const t = uniq();
    const before = (await projectBudget(temporal, projectA))!.lines[0]!.reservedCents;
    const start = addDays(today(), -30);
    const rows: Row[] = Array.from({ length: 50 }, (_, i) => ({
      ...goodRow(`TO-${t}-${i}`), start_date: start, end_date: addDays(start, 149),
      stage: 'departed', selected_on: addDays(today(), -120), participant_signed_on: addDays(today(), -90), institution_signed_on: addDays(today(), -89),
      prefinancing_percent: 80, departed_on: addDays(start, i % 3), prefinancing_paid_eur: '1000.50', prefinancing_paid_on: addDays(today(), -60),
    }));
    rows.push({ ...rows[0]!, application_ref: `TO-${t}-bad`, stage: 'departed', departed_on: addDays(today(), 5) }); // departs in the future
    const post = await upload(tokens.ioA1!, projectA, await xlsx(rows), XLSX);
    expect(post.status, JSON.stringify(post.body)).toBe(202);
    const { job } = await finished(tokens.ioA1!, post.body.importId);
    expect(job).toMatchObject({ status: 'done', started: 50, takenOver: 50, refused: 1 });
    expect(job.rows.find((r: any) => r.status === 'refused').issues[0]).toMatchObject({ column: 'departed_on' });

    const ids: string[] = job.rows.filter((r: any) => r.status === 'started').map((r: any) => r.mobilityId);
    // Listed as departed (the projection folded each one's TakeOverRecorded): every workflow has run its first task,
    // so the queries below answer at once even on a busy machine.
    const { call } = http(api.base);
    await eventually(async () => {
      const r = await call('GET', `/api/mobilities?projectId=${projectA}&stage=departed&limit=500`, { token: tokens.ioA1 });
      return r.body.mobilities.filter((x: any) => ids.includes(x.mobilityId)).length === 50;
    }, 180_000, '50 listed as departed');
    let grants = 0;
    const grantOf = new Map<string, number>();
    for (const id of ids) {
      const m = mobility(temporal, id);
      const state = await eventually(async () => { const s = await m.state(); return s.stage === 'departed' ? s : null; }, 60_000, `${id} departed`);
      if (state.stage !== 'departed') throw new Error('not departed');
      grants += state.selection.estimatedGrant.totalCents;
      grantOf.set(id, state.selection.estimatedGrant.totalCents);
      expect(state.payments.prefinancingCents).toBe(100_050);
      expect(state.agreement.prefinancingPercent).toBe(80);
    }
    // Imported (who and when) in the audit; the budget guard holds the engine's grants; deadlines of the stage are armed.
    const m = mobility(temporal, ids[0]!);
    const audit = await m.audit();
    expect(audit.find((a) => a.action === 'takeOver')).toMatchObject({ actor: tn.users.ioA1, outcome: 'applied', events: ['TakeOverRecorded'] });
    expect(audit.find((a) => a.action === 'takeOver')!.detail).toContain(`import ${post.body.importId}`);
    expect(audit.some((a) => a.action === 'budget.reserve' && a.outcome === 'applied')).toBe(true);
    const deadlines = await m.deadlines();
    expect(deadlines.deadlines.map((d) => d.id)).toContain('extension-request');
    expect(deadlines.alarms.length).toBeGreaterThan(0);
    await eventually(async () => (await projectBudget(temporal, projectA))!.lines[0]!.reservedCents - before === grants, 60_000, 'reservations = the engine\'s grants');
    // Budget and quality figures include them.
    await eventually(async () => {
      const { rows: b } = await pool.query('SELECT count(*)::int AS n, sum(estimated_cents)::bigint AS cents, sum(prefinanced_cents)::bigint AS pf FROM budget_mobilities WHERE mobility_id = ANY($1) AND selected AND agreed', [ids]);
      return b[0].n === 50 && Number(b[0].cents) === grants && Number(b[0].pf) === 50 * 100_050;
    }, 60_000, 'budget projection counts the taken-over mobilities');
    // The Beneficiary Module file lists them, each with the engine's grant to the cent.
    await eventually(async () => {
      const res = await fetch(`${api.base}/api/projects/${projectA}/bm-export.csv`, { headers: { authorization: `Bearer ${tokens.coordA}` } });
      expect(res.status).toBe(200);
      const rows = (parse(Buffer.from(await res.arrayBuffer()), { bom: true }) as string[][]).slice(1);
      const total = new Map(rows.map((r) => [r[BM_COLUMN_INDEX.mobilityId!]!, centsOf(r[BM_COLUMN_INDEX.totalCents!]!)]));
      return ids.every((id) => total.get(id) === grantOf.get(id));
    }, 60_000, 'the BM export lists the taken-over mobilities with their grants');
  }, 360_000);
});

describe('bulk import of applications', () => {
  it('imports a 500-row XLSX with 20 bad rows: each reported by row and column, 480 mobilities start; the same file again starts none', async () => {
    const t = uniq();
    const registered = await participant(api.base, tokens.ioA1!, tn.id.a1);
    const rows: Row[] = Array.from({ length: 500 }, (_, i) => goodRow(`APP-${t}-${i}`));
    const personal = ['given_name', 'family_name', 'email', 'date_of_birth', 'gender', 'nationality'];
    const withRef = (r: Row, ref: string): Row => { const x: Row = { ...r, participant_ref: ref }; for (const k of personal) delete x[k]; return x; };
    rows[1] = withRef(rows[1]!, registered); // a registry ref: good
    // 20 bad rows, each of another kind: [index, change, the column the report must name]
    const bad: [number, (r: Row) => Row, string][] = [
      [10, (r) => ({ ...r, application_ref: '' }), 'application_ref'],
      [20, (r) => ({ ...r, activity: 'HE-XXX' }), 'activity'],
      [30, (r) => ({ ...r, end_date: addDays(String(r.start_date), -3) }), 'end_date'],
      [40, (r) => ({ ...r, end_date: addDays(String(r.start_date), 20) }), 'end_date'],
      [50, (r) => ({ ...r, receiving_country: 'FR' }), 'receiving_country'],
      [60, (r) => ({ ...r, funder_line_id: 'regional' }), 'funder_line_id'],
      [70, (r) => ({ ...r, email: 'not-an-address' }), 'email'],
      [80, (r) => ({ ...r, date_of_birth: '17/05/2003' }), 'date_of_birth'],
      [90, (r) => ({ ...r, gender: 'robot' }), 'gender'],
      [100, (r) => ({ ...r, receiving_country: 'XX1' }), 'receiving_country'],
      [110, (r) => ({ ...r, start_date: '2031-01-05', end_date: '2031-06-03' }), 'start_date'],
      [120, (r) => withRef(r, 'P-ZZZZZZZZZZZZ'), 'participant_ref'],
      [130, (r) => ({ ...r, participant_ref: registered }), 'participant_ref'],
      [140, (r) => ({ ...r, institution_id: tn.id.out }), 'institution_id'],
      [150, (r) => ({ ...r, green_travel: 'maybe' }), 'green_travel'],
      [160, (r) => ({ ...r, distance_km: -5 }), 'distance_km'],
      [170, (r) => ({ ...r, stage: 'graduated' }), 'stage'],
      [180, (r) => ({ ...r, stage: 'departed', selected_on: addDays(today(), -60), participant_signed_on: addDays(today(), -30), institution_signed_on: addDays(today(), -30) }), 'departed_on'],
      [190, (r) => ({ ...r, application_ref: rows[189]!.application_ref! }), 'application_ref'],
      [200, (r) => ({ ...r, fewer_opportunities_criterion: 'FO-99' }), 'fewer_opportunities_criterion'],
    ];
    for (const [i, change] of bad) rows[i] = change(rows[i]!);
    const file = await xlsx(rows);

    const started = Date.now();
    const post = await upload(tokens.ioA1!, projectA, file, XLSX);
    expect(post.status, JSON.stringify(post.body)).toBe(202);
    expect(post.body.total).toBe(500);
    const { job, seen } = await finished(tokens.ioA1!, post.body.importId);
    const seconds = (Date.now() - started) / 1000;
    console.log(`500-row XLSX imported in ${seconds.toFixed(1)} s (progress seen: ${[...new Set(seen)].join(', ')})`);
    expect(job, job.error).toMatchObject({ status: 'done', total: 500, done: 500, started: 480, refused: 20, duplicates: 0 });
    const refused = job.rows.filter((r: any) => r.status === 'refused');
    expect(refused).toHaveLength(20);
    for (const [i, , column] of bad) {
      const report = job.rows.find((r: any) => r.row === i + 2); // row 1 is the header
      expect(report, `row ${i + 2}`).toMatchObject({ status: 'refused' });
      expect(report.issues.map((x: any) => x.column), `row ${i + 2}: ${JSON.stringify(report.issues)}`).toContain(column);
      expect(report.issues.every((x: any) => x.reason.length > 5)).toBe(true);
    }
    // 480 mobilities exist: keys, workflows, and the projections (listed through the API).
    const { rows: keys } = await pool.query('SELECT count(*)::int AS n FROM import_keys WHERE project_id = $1 AND import_id = $2 AND started', [projectA, post.body.importId]);
    expect(keys[0].n).toBe(480);
    const some = job.rows.find((r: any) => r.status === 'started');
    expect((await mobility(temporal, some.mobilityId).view()).stage).toBe('applied');
    const { call } = http(api.base);
    const mine = new Set(job.rows.filter((r: any) => r.status === 'started').map((r: any) => r.mobilityId));
    expect(mine.size).toBe(480);
    const listed = [0, 500].map((offset) => call('GET', `/api/mobilities?projectId=${projectA}&limit=500&offset=${offset}`, { token: tokens.ioA1 }));
    const all = (await Promise.all(listed)).flatMap((r) => r.body.mobilities);
    expect(all.filter((m: any) => mine.has(m.mobilityId))).toHaveLength(480);
    // The projections follow as the worker runs the new workflows; waiting for all 480 would only measure how
    // busy the machine is, so one row's mobility in the quality projection proves the path.
    await eventually(async () => {
      const { rows: q } = await pool.query('SELECT 1 FROM quality_mobilities WHERE mobility_id = $1', [some.mobilityId]);
      return q.length === 1;
    }, 180_000, `${some.mobilityId} in the quality projection`);
    // Personal data went to the registry only: the workflow input carries the opaque ref.
    const history = JSON.stringify(await mobility(temporal, some.mobilityId).handle.fetchHistory());
    expect(history).not.toContain('student.example.org');

    // The same file again: nothing new, every good row named as already imported.
    const again = await upload(tokens.ioA1!, projectA, file, XLSX);
    expect(again.status).toBe(202);
    const second = (await finished(tokens.ioA1!, again.body.importId)).job;
    expect(second).toMatchObject({ status: 'done', started: 0, duplicates: 480, refused: 20 });
    const { rows: after } = await pool.query('SELECT count(*)::int AS n FROM import_keys WHERE project_id = $1 AND application_ref LIKE $2', [projectA, `APP-${t}-%`]);
    expect(after[0].n).toBe(480);
    const { rows: people } = await pool.query("SELECT count(*)::int AS n FROM participants WHERE family_name LIKE $1", [`Durand APP-${t}-%`]);
    expect(people[0].n).toBe(479); // one row used a registry ref; none registered twice
  }, 300_000);

  it('imports a CSV (semicolons, as French spreadsheets write it); a file with a grant column or another tenant\'s project changes nothing', async () => {
    const t = uniq();
    const rows = Array.from({ length: 5 }, (_, i) => goodRow(`CSV-${t}-${i}`));
    const post = await upload(tokens.ioA1!, projectA, csv(rows), 'text/csv');
    expect(post.status, JSON.stringify(post.body)).toBe(202);
    const { job } = await finished(tokens.ioA1!, post.body.importId);
    expect(job).toMatchObject({ status: 'done', started: 5, refused: 0 });

    // A client-sent amount column: refused as a whole, naming the column.
    const withGrant = `${COLUMN_NAMES.join(',')},estimated_grant_eur\n${COLUMN_NAMES.map((c) => String(goodRow(`G-${t}`)[c] ?? '')).join(',')},99999`;
    const refused = await upload(tokens.ioA1!, projectA, withGrant, 'text/csv');
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([{ field: 'estimated_grant_eur', message: expect.stringContaining('engine computes every euro') }]);
    // Another tenant's project: as if it did not exist.
    const other = await upload(tokens.ioOut!, projectA, csv(rows), 'text/csv');
    expect(other.status).toBe(404);
    // A read-only role of the consortium: 403.
    expect((await upload(tokens.observerA!, projectA, csv(rows), 'text/csv')).status).toBe(403);
    const { rows: keys } = await pool.query('SELECT count(*)::int AS n FROM import_keys WHERE application_ref LIKE $1', [`G-${t}%`]);
    expect(keys[0].n).toBe(0);
  }, 120_000);

  it("a member institution's coordinator with no mobility yet is offered the consortium's project and imports its own rows into it", async () => {
    const t = uniq();
    const options = await fetch(`${api.base}/api/console/options`, { headers: { authorization: `Bearer ${tokens.ioA3}` } }).then((r) => r.json()) as { projects: { projectId: string }[] };
    expect(options.projects.map((p) => p.projectId)).toContain(projectA);
    const post = await upload(tokens.ioA3!, projectA, csv([{ ...goodRow(`A3-${t}`), institution_id: tn.id.a3 }]), 'text/csv');
    expect(post.status, JSON.stringify(post.body)).toBe(202);
    const { job } = await finished(tokens.ioA3!, post.body.importId);
    expect(job).toMatchObject({ status: 'done', started: 1, refused: 0 });
    // Its rows are its own: a row of another member institution is refused, by row and column.
    const other = await upload(tokens.ioA3!, projectA, csv([goodRow(`A1-${t}`)]), 'text/csv');
    expect(other.status).toBe(202);
    expect((await finished(tokens.ioA3!, other.body.importId)).job).toMatchObject({ started: 0, refused: 1 });
  }, 120_000);

  it('serves the documented template: the XLSX parses, its second sheet gives each column its format and codes; the CSV is the header', async () => {
    const res = await fetch(`${api.base}/api/imports/template.xlsx`, { headers: { authorization: `Bearer ${tokens.ioA1}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    expect((wb.getWorksheet('applications')!.getRow(1).values as string[]).slice(1)).toEqual(COLUMN_NAMES);
    const doc = wb.getWorksheet('columns')!;
    const byName = new Map<string, string[]>();
    doc.eachRow((r, n) => { if (n > 1) byName.set(String(r.getCell(1).value), (r.values as string[]).slice(1).map(String)); });
    expect(byName.get('activity')![3]).toContain('HE-SMS');
    expect(byName.get('stage')![3]).toBe('applied, selected, agreed, departed, attended');
    expect(byName.get('start_date')![2]).toBe('date YYYY-MM-DD');
    const text = await (await fetch(`${api.base}/api/imports/template.csv`, { headers: { authorization: `Bearer ${tokens.ioA1}` } })).text();
    expect(text.trim().split(',')).toEqual(COLUMN_NAMES);
  });
});
