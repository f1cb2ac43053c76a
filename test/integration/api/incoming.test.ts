import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { saveStaffUser } from '../../../workers/api/directory';
import { startIncomingProjector } from '../../../workers/projections/incoming';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { workflowBundle } from '../workflow/harness';
import { eventually, testConfig, uniq } from '../../support/env';
import { http, participant, seedTenancy, startApi, today } from './support';

/**
 * POST/GET /api/incoming and the incoming actions: the receiving institution's staff only (another
 * institution's staff get 404, a role that may read but not act gets 403), every hostile body a 400
 * naming the field that starts nothing, the participant a ref of the institution's own registry.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startIncomingProjector>>;
let api: Awaited<ReturnType<typeof startApi>>;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const tokens = {} as Record<string, string>;
let call: ReturnType<typeof http>['call'];
let ref: string;
let body: Record<string, unknown>;

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  // The workflow bundle built once per file (as the workflow tests do).
  worker = await createMobilityWorker(cfg, { workflowBundle: await workflowBundle() });
  running = worker.worker.run();
  projector = await startIncomingProjector(cfg, pool, { groupId: `incoming-api-test-${uniq()}` });
  tn = await seedTenancy(pool);
  const observer = `observer-in-ia1.${tn.t}`.toLowerCase();
  await saveStaffUser(pool, { username: observer, displayName: 'observer of A1', password: `pw-${observer}`, roles: [{ role: 'observer', scope: { kind: 'institution', id: tn.id.a1 } }] });
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const h = http(api.base);
  call = h.call;
  for (const key of ['ioA1', 'ioOut', 'director', 'observerA', 'siteA1'] as const) tokens[key] = await h.login(tn.users[key], tn.password(tn.users[key]));
  tokens.observerIA1 = await h.login(observer, `pw-${observer}`);
  ref = await participant(api.base, tokens.ioA1!, tn.id.a1);
  const start = addDays(today(), 20);
  body = { receivingInstitutionId: tn.id.a1, participantRef: ref, kind: 'student-studies', sendingOrgId: 'D-BERLIN-01', sendingCountry: 'DE', startDate: start, endDate: addDays(start, 119) };
});

afterAll(async () => {
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

const list = async (token: string) => (await call<{ incoming: { incomingId: string; stage: string }[]; total: number }>('GET', '/api/incoming', { token })).body;

describe('incoming mobilities through the API', () => {
  let id: string;

  it('refuses hostile nominations with a 400 naming the field, and starts nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...body, grant: 100 }, 'grant'],
      [{ ...body, kind: 'tourist' }, 'kind'],
      [{ ...body, participantRef: 'Alice Martin' }, 'participantRef'],
      [{ ...body, participantRef: 'P-AAAAAAAAAAAA' }, 'participantRef'],
      [{ ...body, sendingOrgId: 'Clinique Saint-Jean' }, 'sendingOrgId'],
      [{ ...body, sendingCountry: 'de' }, 'sendingCountry'],
      [{ ...body, startDate: '2025-02-30' }, 'startDate'],
      [{ ...body, endDate: body.startDate, startDate: addDays(body.startDate as string, 3) }, 'endDate'],
      [{ ...body, kind: 'preparatory-visit' }, 'endDate'],
      [{ ...body, receivingInstitutionId: undefined }, 'receivingInstitutionId'],
    ];
    for (const [b, field] of cases) {
      const r = await call('POST', '/api/incoming', { token: tokens.ioA1, body: b });
      expect(r.status, `${field}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.issues.map((i: { field: string }) => i.field), JSON.stringify(r.body)).toContain(field);
    }
    const prep = await call('POST', '/api/incoming', { token: tokens.ioA1, body: { ...body, kind: 'preparatory-visit' } });
    expect(prep.body).toMatchObject({ code: 'duration-out-of-range', ruleId: 'DUR-PREP-VISIT' });
    // Another institution's registry ref is not this institution's participant.
    const otherRef = await participant(api.base, tokens.ioOut!, tn.id.out);
    expect((await call('POST', '/api/incoming', { token: tokens.ioA1, body: { ...body, participantRef: otherRef } })).status).toBe(400);
    expect((await pool.query('SELECT count(*)::int AS n FROM console_incoming WHERE institution_id = $1', [tn.id.a1])).rows[0].n).toBe(0);
  });

  it('lets only the receiving institution\'s staff record a nomination: 404 outside its scope, 403 for a reader', async () => {
    expect((await call('POST', '/api/incoming', { token: tokens.ioOut, body })).status).toBe(404);
    expect((await call('POST', '/api/incoming', { token: tokens.observerA, body })).status).toBe(404);
    const reader = await call('POST', '/api/incoming', { token: tokens.observerIA1, body });
    expect(reader.status).toBe(403);
    expect((await call('POST', '/api/incoming', { token: tokens.director, body })).status).toBe(403);
    const r = await call('POST', '/api/incoming', { token: tokens.ioA1, body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    id = r.body.incomingId;
    expect(id).toBe(`IN-${tn.id.a1}-MOB-00001`);
    expect(r.body.stage).toBe('nominated');
  });

  it('scopes reading and acting on the stay', async () => {
    expect((await call('GET', `/api/incoming/${id}`, { token: tokens.ioOut })).status).toBe(404);
    expect((await call('GET', `/api/incoming/${id}`, { token: tokens.observerA })).status).toBe(404);
    expect((await call('GET', '/api/incoming/IN-NOPE-MOB-00001', { token: tokens.ioA1 })).status).toBe(404);
    expect((await call('GET', '/api/incoming/not-an-id', { token: tokens.ioA1 })).status).toBe(400);
    const seen = await call('GET', `/api/incoming/${id}`, { token: tokens.observerIA1 });
    expect(seen.status).toBe(200);
    expect(seen.body.actions.every((a: { allowed: boolean }) => !a.allowed)).toBe(true);
    expect((await call('POST', `/api/incoming/${id}/actions/signAgreement`, { token: tokens.observerIA1, body: { signedOn: today(), ectsPlanned: 30 } })).status).toBe(403);
    expect((await call('POST', `/api/incoming/${id}/actions/signAgreement`, { token: tokens.ioOut, body: { signedOn: today(), ectsPlanned: 30 } })).status).toBe(404);
    const mine = await call('GET', `/api/incoming/${id}`, { token: tokens.ioA1 });
    expect(mine.body.actions.map((a: { name: string; allowed: boolean }) => [a.name, a.allowed])).toEqual([['signAgreement', true], ['cancel', true], ['recordNoShow', true]]);
    expect((await list(tokens.ioOut!)).incoming.map((r) => r.incomingId)).not.toContain(id);
    expect((await list(tokens.ioA1!)).incoming.map((r) => r.incomingId)).toContain(id);
  });

  it('runs the actions through the domain: bad bodies 400 by field, refusals 409 with the rule, then the agreement is signed', async () => {
    const post = (name: string, b: unknown) => call('POST', `/api/incoming/${id}/actions/${name}`, { token: tokens.ioA1, body: b });
    const missing = await post('signAgreement', { signedOn: today() });
    expect(missing.status).toBe(400);
    expect(missing.body.issues[0].field).toBe('ectsPlanned');
    const extra = await post('signAgreement', { signedOn: today(), ectsPlanned: 30, actor: 'someone.else' });
    expect(extra.status).toBe(400);
    expect(extra.body.issues.map((i: { field: string }) => i.field)).toContain('actor');
    const noCredits = await post('signAgreement', { signedOn: today(), ectsPlanned: null });
    expect(noCredits.status).toBe(409);
    expect(noCredits.body).toMatchObject({ code: 'ects-required', ruleId: 'IN-LA-TABLE-A', issues: [{ field: 'ectsPlanned' }] });
    const future = await post('signAgreement', { signedOn: addDays(today(), 2), ectsPlanned: 30 });
    expect(future.body.code).toBe('date-in-future');
    const early = await post('confirmArrival', { arrivedOn: today() });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('agreement-required');
    const signed = await post('signAgreement', { signedOn: today(), ectsPlanned: 30 });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body).toMatchObject({ stage: 'agreed', events: ['IncomingAgreementSigned'] });
    await eventually(async () => (await list(tokens.ioA1!)).incoming.find((r) => r.incomingId === id)?.stage === 'agreed', 20_000, 'projected as agreed');
    const cancelled = await post('cancel', { reasonCode: 'withdrawn-by-sender' });
    expect(cancelled.body.stage).toBe('cancelled');
    expect((await post('confirmArrival', { arrivedOn: today() })).status).toBe(409);
    // Nothing of it reached a budget: no sending-side projection row, no money anywhere in its events' table.
    expect((await pool.query('SELECT 1 FROM budget_mobilities WHERE mobility_id = $1', [id])).rowCount).toBe(0);
  });
});
