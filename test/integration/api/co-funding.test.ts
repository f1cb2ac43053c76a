import type { Client } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BM_COLUMN_INDEX, centsOf } from '../../../domain/export/bm';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { mobility, projectBudget } from '../../../workflows/client';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { application, http, KA131_TERMS, participant, project, seedTenancy, startApi } from './support';

/**
 * Co-funding end to end on the real stack (Temporal, Kafka, Postgres): a network's KA131 project registered through
 * the API with an ERASMUS+ line and a regional line (150 € per month abroad, capped at 600 €, fewer-opportunities
 * participants only); co-funded applications selected through the API; each share reserved on its line by the
 * budget guard, adjusted at the certificate of attendance, released on cancellation; the budget projection per
 * line; the Beneficiary Module export's grant columns the Erasmus+ part alone.
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
const projectId = `2024-1-FR01-KA131-HED-${uniq()}`;
const REGION_RULE = { kind: 'flat', per: 'month', amountEur: 150, capEur: 600, condition: 'fewer-opportunities' };
const LINES = [
  { lineId: 'EPLUS', funder: 'ERASMUS+', allocatedCents: 5_000_000, allocatedMobilities: 10 },
  { lineId: 'REGION', funder: 'Région Auvergne-Rhône-Alpes', allocatedCents: 200_000, allocatedMobilities: 5, rule: REGION_RULE },
];
const ids = { certified: '', notFewer: '', cancelled: '' };
let call: ReturnType<typeof http>['call'];
const must = async <T = any>(r: Promise<{ status: number; body: T }>, status = 200): Promise<T> => {
  const a = await r;
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  return a.body;
};
const act = (id: string, token: string, name: string, body: unknown = {}) => must(call('POST', `/api/mobilities/${id}/actions/${name}`, { token, body }));
const shareOf = (shares: { lineId: string; amountCents: number }[], lineId: string) => shares.filter((s) => s.lineId === lineId).reduce((a, s) => a + s.amountCents, 0);

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `co-funding-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const h = http(api.base);
  call = h.call;
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await h.login(username, tn.password(username));
}, 300_000);

afterAll(async () => {
  for (const id of Object.values(ids).filter(Boolean)) await mobility(temporal, id).handle.terminate('co-funding test done').catch(() => undefined);
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

describe('co-funding: a regional line shows its share on a mobility', () => {
  it('registers funder lines with rules; refuses a flat rule on the ERASMUS+ line and a second erasmus-plus line, naming the field', async () => {
    const body = (lines: unknown[]) => ({ ...project(projectId, tn.id.a1, tn.id.consA, undefined, KA131_TERMS), lines });
    const bad1 = await call('POST', '/api/projects', { token: tokens.coordA, body: body([{ ...LINES[0]!, rule: REGION_RULE }, LINES[1]!]) });
    expect(bad1.status).toBe(400);
    expect(JSON.stringify(bad1.body)).toMatch(/lines\.0\.rule.*ERASMUS\+ line/);
    const bad2 = await call('POST', '/api/projects', { token: tokens.coordA, body: body([LINES[0]!, { ...LINES[1]!, rule: { kind: 'erasmus-plus' } }]) });
    expect(bad2.status).toBe(400);
    expect(JSON.stringify(bad2.body)).toMatch(/lines\.1\.rule.*only one line pays the Erasmus\+ grant/);
    const reg = await must<any>(call('POST', '/api/projects', { token: tokens.coordA, body: body(LINES) }));
    expect(reg.created).toBe(true);
    expect(reg.registration.lines).toEqual([{ ...LINES[0], rule: { kind: 'erasmus-plus' } }, LINES[1]]);
    // The same registration again is idempotent (the default rule of the ERASMUS+ line makes no difference).
    expect((await must<any>(call('POST', '/api/projects', { token: tokens.coordA, body: body([{ ...LINES[0]!, rule: { kind: 'erasmus-plus' } }, LINES[1]!]) }))).created).toBe(false);
  });

  it('submits co-funded applications; refuses a co-funding line the project does not have, or one without a flat rule, naming the field', async () => {
    const submit = async (n: number, plan: Record<string, unknown>, person: Record<string, unknown>, coFundingLineIds: string[], status = 201) => {
      const ref = await participant(api.base, tokens.ioA1!, tn.id.a1, person);
      const app = application(projectId, n, { institutionId: tn.id.a1, consortiumId: tn.id.consA }, ref);
      return { r: await call('POST', '/api/mobilities', { token: tokens.ioA1, body: { ...app, funderLineId: 'EPLUS', coFundingLineIds, plan: { ...app.plan, ...plan } } }), id: app.mobilityId, status };
    };
    const unknown = await submit(9, {}, {}, ['NOPE']);
    expect(unknown.r.status).toBe(400);
    expect((unknown.r.body as any).issues).toEqual([expect.objectContaining({ field: 'coFundingLineIds.0', message: expect.stringMatching(/has no funder line NOPE/) })]);
    const own = await submit(9, {}, {}, ['EPLUS']);
    expect((own.r.body as any).issues).toEqual([expect.objectContaining({ field: 'coFundingLineIds.0', message: expect.stringMatching(/own line/) })]);
    // The flat line is no mobility's own line: it would be asked for the whole Erasmus+ grant.
    const ref = await participant(api.base, tokens.ioA1!, tn.id.a1, {});
    const flatOwn = application(projectId, 9, { institutionId: tn.id.a1, consortiumId: tn.id.consA }, ref);
    const flat = await call('POST', '/api/mobilities', { token: tokens.ioA1, body: { ...flatOwn, funderLineId: 'REGION' } });
    expect(flat.status).toBe(400);
    expect((flat.body as any).issues).toEqual([expect.objectContaining({ field: 'funderLineId', message: expect.stringMatching(/flat rule: it co-funds a share/) })]);

    const fewer = { fewerOpportunitiesCriterion: 'FO-03' };
    const a = await submit(1, { startDate: '2026-05-04', endDate: '2026-09-30' }, fewer, ['REGION']);
    expect(a.r.status, JSON.stringify(a.r.body)).toBe(201);
    ids.certified = a.id;
    const b = await submit(2, { startDate: '2026-05-04', endDate: '2026-09-30' }, {}, ['REGION']);
    expect(b.r.status, JSON.stringify(b.r.body)).toBe(201);
    ids.notFewer = b.id;
    const c = await submit(3, {}, fewer, ['REGION']);
    expect(c.r.status, JSON.stringify(c.r.body)).toBe(201);
    ids.cancelled = c.id;
  });

  it('selection reserves the Erasmus+ grant on its line and the regional share on the regional line; the grant view shows each share with its basis', async () => {
    for (const id of Object.values(ids)) await act(id, tokens.ioA1!, 'select');
    const view = await must<any>(call('GET', `/api/mobilities/${ids.certified}`, { token: tokens.ioA1 }));
    const g = view.grant;
    expect(g.funding.estimated.map((s: any) => [s.lineId, s.funder, s.ruleId])).toEqual([['EPLUS', 'ERASMUS+', 'FUND-ERASMUS-PLUS'], ['REGION', 'Région Auvergne-Rhône-Alpes', 'FUND-FLAT-MONTH']]);
    // 150 €/month over five months is above the cap: the regional share is 600 €; the Erasmus+ share is the Erasmus+ grant itself.
    expect(shareOf(g.funding.estimated, 'REGION')).toBe(60_000);
    expect(g.funding.estimated[1].basis).toMatch(/150\.00 €\/month × \d+ days ÷ 30 = .*capped at 600\.00 €/);
    expect(shareOf(g.funding.estimated, 'EPLUS')).toBe(g.estimated.totalCents);
    expect(g.funding.held).toEqual([{ lineId: 'EPLUS', heldCents: g.estimated.totalCents }, { lineId: 'REGION', heldCents: 60_000 }]);

    // Not a fewer-opportunities participant: the regional rule pays nothing, and nothing is held on the line.
    const other = (await mobility(temporal, ids.notFewer).grant());
    expect(shareOf(other.funding.estimated, 'REGION')).toBe(0);
    expect(other.funding.estimated[1]!.basis).toMatch(/only to participants with fewer opportunities/);
    expect(other.funding.held.map((h) => h.lineId)).toEqual(['EPLUS']);

    const budget = (await projectBudget(temporal, projectId))!;
    const line = (id: string) => budget.lines.find((l) => l.lineId === id)!;
    const eplus = [ids.certified, ids.notFewer, ids.cancelled];
    const estimates = await Promise.all(eplus.map(async (id) => (await mobility(temporal, id).grant()).estimated!.totalCents));
    expect(line('EPLUS')).toMatchObject({ reservedCents: estimates.reduce((a, b) => a + b, 0), reservedMobilities: 3 });
    expect(line('REGION')).toMatchObject({ reservedCents: 120_000, reservedMobilities: 2, remainingCents: 80_000 });
  });

  it('the budget projection shows each line\'s consumption, the co-funding line\'s too, and the Erasmus+ figures stay Erasmus+ only', async () => {
    const estimates = Object.fromEntries(await Promise.all(Object.values(ids).map(async (id) => [id, (await mobility(temporal, id).grant()).estimated!.totalCents] as const)));
    const eplusTotal = Object.values(estimates).reduce((a, b) => a + b, 0);
    const rows = await eventually(async () => {
      const { rows } = await pool.query<{ line_id: string; committed_cents: string; guard_reserved_cents: string; co_funded_mobilities: string; paid_mobilities: string }>(
        'SELECT line_id, committed_cents, guard_reserved_cents, co_funded_mobilities, paid_mobilities FROM budget_line_shares WHERE project_id = $1 ORDER BY line_id', [projectId]);
      return rows.length === 2 && Number(rows[1]!.guard_reserved_cents) === 120_000 && Number(rows[0]!.guard_reserved_cents) === eplusTotal && rows;
    }, 60_000, 'budget_line_shares per line');
    expect(rows.map((r) => [r.line_id, Number(r.committed_cents), Number(r.co_funded_mobilities), Number(r.paid_mobilities)])).toEqual([['EPLUS', eplusTotal, 3, 3], ['REGION', 120_000, 3, 2]]);
    const { rows: reservations } = await pool.query('SELECT mobility_id, line_id, amount_cents::int AS cents, released FROM budget_reservations WHERE project_id = $1 ORDER BY mobility_id, line_id', [projectId]);
    expect(reservations).toEqual([
      { mobility_id: ids.certified, line_id: 'EPLUS', cents: estimates[ids.certified], released: false },
      { mobility_id: ids.certified, line_id: 'REGION', cents: 60_000, released: false },
      { mobility_id: ids.notFewer, line_id: 'EPLUS', cents: estimates[ids.notFewer], released: false },
      { mobility_id: ids.cancelled, line_id: 'EPLUS', cents: estimates[ids.cancelled], released: false },
      { mobility_id: ids.cancelled, line_id: 'REGION', cents: 60_000, released: false },
    ].sort((x, y) => (x.mobility_id + x.line_id).localeCompare(y.mobility_id + y.line_id)));
    // The Erasmus+ consumption: the Erasmus+ grants alone on the ERASMUS+ line; the regional line commits nothing there.
    const { rows: totals } = await pool.query('SELECT funder_line_id, reserved_cents::bigint AS reserved, guard_reserved_cents::bigint AS guard FROM budget_line_totals WHERE project_id = $1 ORDER BY funder_line_id', [projectId]);
    expect(totals.map((t) => [t.funder_line_id, Number(t.reserved), Number(t.guard)])).toEqual([['EPLUS', eplusTotal, eplusTotal], ['REGION', 0, 120_000]]);
    // The Budget page (GET /api/budget by line): the regional line shows its co-funded shares and what it has left
    // after them (200,000 − 120,000 cents), as its guard does; the Erasmus+ line's figures are the Erasmus+ part alone.
    const budget = await call('GET', `/api/budget?groupBy=line&projectId=${projectId}`, { token: tokens.coordA });
    expect(budget.status, JSON.stringify(budget.body)).toBe(200);
    const byLine = Object.fromEntries((budget.body as { rows: { funderLineId: string; reservedCents: string; coFundedCents: string; coFundedMobilities: string; remainingCents: string }[] }).rows
      .map((r) => [r.funderLineId, [Number(r.reservedCents), Number(r.coFundedCents), Number(r.coFundedMobilities), Number(r.remainingCents)]]));
    expect(byLine.REGION).toEqual([0, 120_000, 2, 80_000]);
    expect(byLine.EPLUS!.slice(0, 3)).toEqual([eplusTotal, 0, 0]);
  });

  it('the certificate of attendance adjusts each line to the final shares; the BM export\'s grant columns are the Erasmus+ part only', async () => {
    const id = ids.certified;
    await act(id, tokens.adminA!, 'signAgreement', { participantSignedOn: '2026-04-01', institutionSignedOn: '2026-04-02' });
    await act(id, tokens.ioA1!, 'confirmDeparture', { actualStartDate: '2026-05-04' });
    await act(id, tokens.ioA1!, 'recordCertificateOfAttendance', { actualStartDate: '2026-05-04', actualEndDate: '2026-07-31' });
    const g = await mobility(temporal, id).grant();
    const region = shareOf(g.funding.final, 'REGION');
    // 89 days abroad: 150 € × 89 ÷ 30 = 445.00 €, under the cap.
    expect(region).toBe(44_500);
    expect(shareOf(g.funding.final, 'EPLUS')).toBe(g.final!.totalCents);
    expect(g.funding.held).toEqual([{ lineId: 'EPLUS', heldCents: g.final!.totalCents }, { lineId: 'REGION', heldCents: 44_500 }]);
    const budget = (await projectBudget(temporal, projectId))!;
    expect(budget.lines.find((l) => l.lineId === 'REGION')).toMatchObject({ reservedCents: 104_500, reservedMobilities: 2 });

    const csv = await eventually(async () => {
      const res = await fetch(`${api.base}/api/projects/${projectId}/bm-export.csv`, { headers: { authorization: `Bearer ${tokens.coordA}` } });
      const rows = parse(Buffer.from(await res.arrayBuffer()), { bom: true }) as string[][];
      const row = rows.find((r) => r[BM_COLUMN_INDEX.mobilityId!] === id);
      return row && row[BM_COLUMN_INDEX.status!] === 'Complete' && row;
    }, 60_000, 'the certified co-funded mobility in the BM export');
    expect(centsOf(csv[BM_COLUMN_INDEX.totalCents!]!)).toBe(g.final!.totalCents);
    expect(centsOf(csv[BM_COLUMN_INDEX.totalCents!]!)).not.toBe(g.final!.totalCents + region);
    const shares = await eventually(async () => {
      const { rows } = await pool.query<{ line_id: string; amount_cents: string; rule_id: string }>("SELECT line_id, amount_cents, rule_id FROM budget_funding_shares WHERE mobility_id = $1 AND phase = 'final' ORDER BY share_no", [id]);
      return rows.length === 2 && rows;
    }, 60_000, 'the final shares projected');
    expect(shares.map((r) => [r.line_id, r.rule_id, Number(r.amount_cents)])).toEqual([['EPLUS', 'FUND-ERASMUS-PLUS', g.final!.totalCents], ['REGION', 'FUND-FLAT-MONTH', 44_500]]);
  });

  it('cancellation releases the reservation on every line, once', async () => {
    await act(ids.cancelled, tokens.ioA1!, 'cancel', { reasonCode: 'participant-withdrew' });
    const g = await mobility(temporal, ids.cancelled).grant();
    expect(g.funding.held).toEqual([]);
    const budget = (await projectBudget(temporal, projectId))!;
    expect(budget.lines.find((l) => l.lineId === 'REGION')).toMatchObject({ reservedCents: 44_500, reservedMobilities: 1 });
    expect(budget.lines.find((l) => l.lineId === 'EPLUS')!.reservedMobilities).toBe(2);
    const released = await eventually(async () => {
      const { rows } = await pool.query<{ line_id: string; released: boolean }>('SELECT line_id, released FROM budget_reservations WHERE mobility_id = $1 ORDER BY line_id', [ids.cancelled]);
      return rows.every((r) => r.released) && rows;
    }, 60_000, 'both reservations released in the projection');
    expect(released.map((r) => r.line_id)).toEqual(['EPLUS', 'REGION']);
    const { rows: [region] } = await pool.query("SELECT guard_reserved_cents::int AS guard FROM budget_line_shares WHERE project_id = $1 AND line_id = 'REGION'", [projectId]);
    expect(region.guard).toBe(44_500);
  });
});
