import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BM_COLUMN_INDEX, BM_COLUMNS, BM_HEADERS, BM_MONEY_COLUMN, centsOf } from '../../../domain/export/bm';
import type { GrantBreakdown } from '../../../domain/grant/breakdown';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { mobility } from '../../../workflows/client';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { application, http, KA131_TERMS, participant, project, seedTenancy, startApi } from './support';

/**
 * The Beneficiary Module export (issue 13 item 5) on the real stack: mobilities of three kinds driven
 * through the API and the workflows (an HE study estimate, a certified staff mobility with green
 * travel, a certified long-term study with an interruption and fewer opportunities), folded by the
 * projector, exported as XLSX and CSV, read back with the same libraries: every grant column equals
 * the workflow's grant to the cent, the two formats agree, a second export is byte-identical, the
 * tenancy holds and personal data reaches only the registry's readers.
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
const projectB = `2024-1-FR01-KA131-HED-${uniq()}`;
const TERMS = { ...KA131_TERMS, applicableRates: { 'HE-SMS': { '1': { monthlyEur: 600 }, '2': { monthlyEur: 600 } }, 'HE-STA': { '1': { dailyEur: 180 }, '2': { dailyEur: 160 }, '3': { dailyEur: 140 } } } };
const LINES = [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 5_000_000, allocatedMobilities: 10 }];
const ids = { estimate: '', staff: '', longTerm: '', applied: '' };
const family = { estimate: `Estimé${uniq()}`, staff: `Staffé${uniq()}`, longTerm: `Longterm${uniq()}` };

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `bm-export-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await login(username, tn.password(username));
  const must = async (r: Promise<{ status: number; body: any }>, status = 200) => {
    const a = await r;
    expect(a.status, JSON.stringify(a.body)).toBe(status);
    return a.body;
  };
  await must(call('POST', '/api/projects', { token: tokens.coordA, body: project(projectA, tn.id.a1, tn.id.consA, LINES, TERMS) }));
  await must(call('POST', '/api/projects', { token: tokens.coordB, body: project(projectB, tn.id.b1, tn.id.consB, LINES, TERMS) }));
  const act = (id: string, token: string, name: string, body: unknown = {}) => must(call('POST', `/api/mobilities/${id}/actions/${name}`, { token, body }));
  const submit = async (n: number, who: 'ioA1' | 'ioA3', institutionId: string, familyName: string, plan: Record<string, unknown>, extra: Record<string, unknown> = {}, person: Record<string, unknown> = {}) => {
    const ref = await participant(api.base, tokens[who]!, institutionId, { familyName, ...person });
    const app = application(projectA, n, { institutionId, consortiumId: tn.id.consA }, ref);
    const body = { ...app, ...extra, plan: { ...app.plan, ...plan } };
    await must(call('POST', '/api/mobilities', { token: tokens[who], body }), 201);
    return app.mobilityId;
  };

  // 1. An HE study mobility still to come: selected, its estimate in the file (Draft).
  ids.estimate = await submit(1, 'ioA1', tn.id.a1, family.estimate, {});
  await act(ids.estimate, tokens.ioA1!, 'select');
  // 2. A five-day staff teaching mobility done in October, green travel: certified (Complete).
  ids.staff = await submit(2, 'ioA1', tn.id.a1, family.staff, { startDate: '2026-10-05', endDate: '2026-10-09', greenTravel: true, distanceKm: 1200 }, { activity: 'HE-STA' });
  await act(ids.staff, tokens.ioA1!, 'select');
  await act(ids.staff, tokens.adminA!, 'signAgreement', { participantSignedOn: '2026-09-20', institutionSignedOn: '2026-09-21' });
  await act(ids.staff, tokens.ioA1!, 'confirmDeparture', { actualStartDate: '2026-10-05' });
  await act(ids.staff, tokens.ioA1!, 'recordCertificateOfAttendance', { actualStartDate: '2026-10-05', actualEndDate: '2026-10-09' });
  // 3. A long-term study of member A3 with fewer opportunities, interrupted for ten days, certified.
  ids.longTerm = await submit(3, 'ioA3', tn.id.a3, family.longTerm, { startDate: '2026-05-04', endDate: '2026-09-30', fewerOpportunities: true }, {}, { fewerOpportunitiesCriterion: 'FO-03' });
  await act(ids.longTerm, tokens.ioA3!, 'select');
  await act(ids.longTerm, tokens.adminA!, 'signAgreement', { participantSignedOn: '2026-04-01', institutionSignedOn: '2026-04-02' });
  await act(ids.longTerm, tokens.ioA3!, 'confirmDeparture', { actualStartDate: '2026-05-04' });
  await act(ids.longTerm, tokens.ioA3!, 'recordInterruption', { from: '2026-07-01', to: '2026-07-10', reasonCode: 'personal' });
  await act(ids.longTerm, tokens.ioA3!, 'recordCertificateOfAttendance', { actualStartDate: '2026-05-04', actualEndDate: '2026-09-30' });
  // 4. An application not selected: nothing to report to the BM yet.
  ids.applied = await submit(4, 'ioA1', tn.id.a1, `Applied${uniq()}`, {});

  await eventually(async () => {
    const { rows } = await pool.query<{ mobility_id: string; certified: boolean; selected: boolean }>('SELECT mobility_id, certified, selected FROM bm_mobilities WHERE project_id = $1', [projectA]);
    const by = new Map(rows.map((r) => [r.mobility_id, r]));
    return by.get(ids.estimate)?.selected && by.get(ids.staff)?.certified && by.get(ids.longTerm)?.certified && by.has(ids.applied);
  }, 60_000, 'the bm projection folded the four mobilities');
}, 300_000);

afterAll(async () => {
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

async function download(token: string, kind: 'xlsx' | 'csv', projectId = projectA) {
  const res = await fetch(`${api.base}/api/projects/${projectId}/bm-export.${kind}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes: Buffer.from(await res.arrayBuffer()) };
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The XLSX read back with exceljs: header and rows as text (money as the cents the number stands for). */
async function readXlsx(bytes: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Mobilities')!;
  const out: string[][] = [];
  ws.eachRow((row) => {
    out.push(BM_COLUMNS.map((c, i) => {
      const v = row.getCell(i + 1).value;
      if (c.money && typeof v === 'number') return String(Math.round(v * 100));
      return v === null || v === undefined ? '' : String(v);
    }));
  });
  return out;
}
/** The CSV read back with csv-parse (money as cents). */
function readCsv(bytes: Buffer) {
  const rows = parse(bytes, { bom: true }) as string[][];
  return rows.map((r, n) => (n === 0 ? r : r.map((v, i) => (BM_COLUMNS[i]!.money ? String(centsOf(v)) : v))));
}
const col = (row: string[], key: string) => row[BM_COLUMN_INDEX[key]!]!;

describe('Beneficiary Module export', () => {
  it('round trip: every mobility\'s grant columns in the XLSX and the CSV equal the workflow\'s grant to the cent; both formats agree; a second export is byte-identical', async () => {
    // The workflows go on by themselves (the report invitation after a certificate): take the two files of one state,
    // a CSV before and after the XLSX that are the same.
    const { x1, c1 } = await eventually(async () => {
      const before = await download(tokens.coordA!, 'csv');
      const x = await download(tokens.coordA!, 'xlsx');
      const after = await download(tokens.coordA!, 'csv');
      return sha(before.bytes) === sha(after.bytes) && { x1: x, c1: after };
    }, 30_000, 'two exports of one state');
    expect(x1.status, x1.bytes.toString()).toBe(200);
    expect(c1.status).toBe(200);
    expect(x1.type).toContain('spreadsheetml');
    expect(c1.type).toContain('text/csv');
    expect(x1.disposition).toContain(`${projectA}-bm-mobilities.xlsx`);
    const xlsx = await readXlsx(x1.bytes);
    const csv = readCsv(c1.bytes);
    expect(xlsx[0]).toEqual(BM_HEADERS);
    expect(csv[0]).toEqual(BM_HEADERS);
    expect(csv).toEqual(xlsx);
    // Selected mobilities only, by mobility id; the application not selected is not there.
    expect(csv.slice(1).map((r) => col(r, 'mobilityId'))).toEqual([ids.estimate, ids.staff, ids.longTerm].sort());

    for (const row of csv.slice(1)) {
      const id = col(row, 'mobilityId');
      const g = await mobility(temporal, id).grant();
      const grant = (g.final ?? g.estimated) as GrantBreakdown;
      const sum = (column: string) => grant.lines.filter((l) => BM_MONEY_COLUMN[l.ruleId] === column).reduce((s, l) => s + l.amountCents, 0);
      for (const c of BM_COLUMNS.filter((c) => c.money && c.key !== 'totalCents')) expect(Number(col(row, c.key)), `${id} ${c.key}`).toBe(sum(c.key));
      expect(Number(col(row, 'totalCents')), `${id} total`).toBe(grant.totalCents);
      expect(col(row, 'grantAgreementNo')).toBe(projectA);
      expect(col(row, 'dataType')).toBe('Mobility');
      expect(col(row, 'status')).toBe(g.final ? 'Complete' : 'Draft');
    }
    const staff = csv.find((r) => col(r, 'mobilityId') === ids.staff)!;
    expect([col(staff, 'activityType'), col(staff, 'longTerm'), col(staff, 'greenTravel'), col(staff, 'distanceBand')]).toEqual(['HE-STA', 'No', 'Yes', '500-1999 km']);
    expect([col(staff, 'startDate'), col(staff, 'endDate')]).toEqual(['2026-10-05', '2026-10-09']);
    expect(Number(col(staff, 'travel'))).toBeGreaterThan(0);
    const lt = csv.find((r) => col(r, 'mobilityId') === ids.longTerm)!;
    expect([col(lt, 'interruptedDuration'), col(lt, 'fewerOpportunities'), col(lt, 'longTerm')]).toEqual(['10', 'Yes', 'Yes']);
    expect(Number(col(lt, 'topUpFewerOpportunities'))).toBeGreaterThan(0);
    const ltGrant = (await mobility(temporal, ids.longTerm).grant()).final!;
    expect(Number(col(lt, 'duration'))).toBe(ltGrant.days);

    // Exporting again gives the same bytes for the same state (fixed order, workbook and zip dates from the state, not
    // the clock). The workflows may still move meanwhile (a reminder, the report invitation): then the pair is taken again.
    const again = await eventually(async () => {
      const { x1: xa, c1: ca } = await eventually(async () => {
        const before = await download(tokens.coordA!, 'csv');
        const x = await download(tokens.coordA!, 'xlsx');
        const after = await download(tokens.coordA!, 'csv');
        return sha(before.bytes) === sha(after.bytes) && { x1: x, c1: after };
      }, 30_000, 'two exports of one state');
      await new Promise((r) => setTimeout(r, 2_100));
      const [x2, c2] = [await download(tokens.coordA!, 'xlsx'), await download(tokens.coordA!, 'csv')];
      return sha(c2.bytes) === sha(ca.bytes) && { xa, x2 };
    }, 60_000, 'the same state exported twice');
    expect(sha(again.x2.bytes)).toBe(sha(again.xa.bytes));
  });

  it('personal fields only for the registry\'s readers: the consortium coordinator gets blanks, each institution its own participants; never a criterion code', async () => {
    const coord = readCsv((await download(tokens.coordA!, 'csv')).bytes);
    for (const r of coord.slice(1)) for (const k of ['firstName', 'lastName', 'email', 'dateOfBirth', 'gender', 'nationality']) expect(col(r, k), k).toBe('');
    const a1 = readCsv((await download(tokens.ioA1!, 'csv')).bytes);
    expect(a1.slice(1).map((r) => col(r, 'mobilityId'))).toEqual([ids.estimate, ids.staff].sort());
    expect(a1.find((r) => col(r, 'mobilityId') === ids.staff)!.slice(BM_COLUMN_INDEX.lastName, BM_COLUMN_INDEX.lastName! + 1)).toEqual([family.staff]);
    const a3bytes = (await download(tokens.ioA3!, 'csv')).bytes;
    const a3 = readCsv(a3bytes);
    expect(a3.slice(1).map((r) => [col(r, 'mobilityId'), col(r, 'lastName'), col(r, 'gender')])).toEqual([[ids.longTerm, family.longTerm, 'Undefined']]);
    expect(a3bytes.toString('utf8')).not.toContain('FO-03');
    // Who exported whose personal data is in the registry's audit trail.
    const { rows } = await pool.query(`SELECT a.actor FROM participant_audit a JOIN bm_mobilities m USING (participant_ref) WHERE m.mobility_id = $1 AND a.action = 'exported'`, [ids.longTerm]);
    expect(rows.map((r) => r.actor)).toContain(tn.users.ioA3);
  });

  it('scope: another tenant\'s project, an unknown project and an institution outside answer 404; a bad project id 400', async () => {
    expect((await download(tokens.coordA!, 'csv', projectB)).status).toBe(404);
    expect((await download(tokens.coordB!, 'xlsx', projectA)).status).toBe(404);
    expect((await download(tokens.ioOut!, 'csv', projectA)).status).toBe(404);
    expect((await download(tokens.coordA!, 'csv', `2024-1-FR01-KA131-HED-${uniq()}`)).status).toBe(404);
    const bad = await http(api.base).call('GET', '/api/projects/not_a*project/bm-export.csv', { token: tokens.coordA });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { field: string }) => i.field)).toEqual(['projectId']);
    const noSession = await fetch(`${api.base}/api/projects/${projectA}/bm-export.csv`);
    expect(noSession.status).toBe(401);
    // Coordinator B's own (empty) project: a file with the header only.
    const own = readCsv((await download(tokens.coordB!, 'csv', projectB)).bytes);
    expect(own).toEqual([BM_HEADERS]);
  });
});
