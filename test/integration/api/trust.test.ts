import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { mobility, projectBudget } from '../../../workflows/client';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { application, http, KA131_TERMS, LINES, participant, project, seedTenancy, startApi, today, unregisteredRef } from './support';

/**
 * The trust boundaries, tried as a hostile user would through the HTTP API on the real stack:
 * each reproduction of the trust issue is refused with a clear error and changes nothing.
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
const lyon = `2024-1-FR01-KA131-HED-${uniq()}`;
let call: ReturnType<typeof http>['call'];
let refA3 = '';
let refOut = '';

const workflowCount = async (projectId: string) => {
  let n = 0;
  for await (const _ of temporal.workflow.list({ query: `ProjectId = '${projectId}' AND WorkflowType = 'mobilityWorkflow'` })) n++;
  return n;
};
const guard = async (projectId: string) => (await projectBudget(temporal, projectId))!.lines.map((l) => ({ lineId: l.lineId, reservedCents: l.reservedCents, reservedMobilities: l.reservedMobilities }));

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `trust-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  ({ call } = http(api.base));
  const { login } = http(api.base);
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await login(username, tn.password(username));
  refA3 = await participant(api.base, tokens.ioA3!, tn.id.a3);
  refOut = await participant(api.base, tokens.ioOut!, tn.id.out);
  // "Lyon": consortium A's project, registered by its coordinator.
  const reg = await call('POST', '/api/projects', { token: tokens.coordA, body: project(lyon, tn.id.a1, tn.id.consA) });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
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

describe('no tenant touches another\'s money', () => {
  it("an institution outside the consortium cannot submit into Lyon's project with its own institution id: 403, the guard unchanged", async () => {
    const before = await guard(lyon);
    const app = { ...application(lyon, 1, { institutionId: tn.id.out }, refOut), mobilityId: undefined };
    const r = await call('POST', '/api/mobilities', { token: tokens.ioOut, body: app });
    expect(r.status).toBe(403);
    expect(r.body.reason).toMatch(/not a member of consortium/);
    expect(await guard(lyon)).toEqual(before);
    expect(await workflowCount(lyon)).toBe(0);
  });

  it('a project id is registered once: another beneficiary gets 409 without seeing it; other content 409 naming the fields; the same content 200', async () => {
    const squat = await call('POST', '/api/projects', { token: tokens.coordB, body: project(lyon, tn.id.b1, tn.id.consB, [{ lineId: 'erasmus', funder: 'x', allocatedCents: 1, allocatedMobilities: 1 }]) });
    expect(squat.status).toBe(409);
    expect(JSON.stringify(squat.body)).not.toContain('2000000');
    expect(JSON.stringify(squat.body)).not.toContain(tn.id.a1);
    const again = await call('POST', '/api/projects', { token: tokens.coordA, body: project(lyon, tn.id.a1, tn.id.consA) });
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    const other = await call('POST', '/api/projects', { token: tokens.coordA, body: project(lyon, tn.id.a1, tn.id.consA, [{ ...LINES[0]!, allocatedCents: 1 }], { ...KA131_TERMS, prefinancingPercent: 90 }) });
    expect(other.status).toBe(409);
    expect(other.body.fields).toEqual(['lines', 'terms.prefinancingPercent']);
    // A project number that is not the registration's call, NA or action is refused too.
    const wrong = await call('POST', '/api/projects', { token: tokens.coordA, body: project(`2023-1-DE02-KA131-HED-${uniq()}`, tn.id.a1, tn.id.consA) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.issues.map((i: { field: string }) => i.field)).toEqual(['terms.callYear', 'terms.country']);
    // An NA rate outside the EU range of the call is refused, naming it.
    const rate = await call('POST', '/api/projects', { token: tokens.coordA, body: project(`2024-1-FR01-KA131-HED-${uniq()}`, tn.id.a1, tn.id.consA, LINES, { ...KA131_TERMS, applicableRates: { 'HE-SMS': { '2': { monthlyEur: 9000 } } } }) });
    expect(rate.status).toBe(400);
    expect(rate.body.issues[0].field).toMatch(/terms\.applicableRates\.HE-SMS\.2\.monthlyEur/);
  });

  it('the server numbers mobilities and sets every euro: a client rate is refused; the estimate is at the project\'s rate', async () => {
    const app = { ...application(lyon, 1, { institutionId: tn.id.a3 }, refA3), mobilityId: undefined };
    const withRate = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...app, rates: { callYear: 2024, rates: { monthlyEur: 9000 } } } });
    expect(withRate.status).toBe(400);
    expect(withRate.body.issues.map((i: { field: string }) => i.field)).toContain('rates');
    const ok = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: app });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.mobilityId).toBe(`${lyon}-MOB-00001`);
    const second = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: app });
    expect(second.body.mobilityId).toBe(`${lyon}-MOB-00002`);
    const sel = await call('POST', `/api/mobilities/${ok.body.mobilityId}/actions/select`, { token: tokens.ioA3, body: {} });
    expect(sel.status, JSON.stringify(sel.body)).toBe(200);
    const d = await call('GET', `/api/mobilities/${ok.body.mobilityId}`, { token: tokens.coordA });
    const individual = d.body.grant.estimated.lines.find((l: { ruleId: string }) => l.ruleId === 'GRANT-HE-LT');
    expect(individual.basis).toMatch(/600\.00 €\/month/);
    // A mobility id outside the project, or one already taken, is refused.
    expect((await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...app, mobilityId: `2024-1-FR01-KA131-HED-000001-MOB-00001` } })).status).toBe(400);
    expect((await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...app, mobilityId: ok.body.mobilityId } })).status).toBe(409);
  });
});

describe("a project's deadline policy", () => {
  it('is checked field by field at registration, and its mobilities run under it (here: the agreement 30 days before the start, the certificate as a required proof)', async () => {
    const id = `2024-1-FR01-KA131-HED-${uniq()}`;
    const bad = await call('POST', '/api/projects', { token: tokens.coordA, body: project(id, tn.id.a1, tn.id.consA, LINES, { ...KA131_TERMS, deadlinePolicy: { laChangeWeeks: 9, prefinancingPercent: 90 } }) });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['terms.deadlinePolicy.laChangeWeeks', 'terms.deadlinePolicy.prefinancingPercent']);
    const deadlinePolicy = { agreementSignatureDays: 30, requiredProofs: { RecordCertificateOfAttendance: ['certificate-of-attendance'] } };
    const reg = await call('POST', '/api/projects', { token: tokens.coordA, body: project(id, tn.id.a1, tn.id.consA, LINES, { ...KA131_TERMS, deadlinePolicy }) });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const app = { ...application(id, 1, { institutionId: tn.id.a3 }, refA3), mobilityId: undefined };
    const sub = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: app });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    expect((await call('POST', `/api/mobilities/${sub.body.mobilityId}/actions/select`, { token: tokens.ioA3, body: {} })).status).toBe(200);
    const m = mobility(temporal, sub.body.mobilityId);
    const signature = (await m.deadlines()).deadlines.find((d) => d.id === 'agreement-signature')!;
    expect(signature.basis).toContain(`${app.plan.startDate} − 30 days`);
    const input = JSON.stringify((await m.handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.map((p) => Buffer.from(p.data!).toString('utf8')));
    expect(input).toContain('certificate-of-attendance');
  });
});

describe('per-participant switches are staff decisions, audited, and the grant follows them', () => {
  it('real-cost inclusion support and a zero grant are recorded by a role that may, and the estimate reflects them', async () => {
    const submit = async () => (await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...application(lyon, 1, { institutionId: tn.id.a3 }, refA3), mobilityId: undefined } })).body.mobilityId as string;
    const inclusion = await submit();
    const body = { travelSupport: null, inclusionSupportCents: 50_000, exceptionalTravelCostCents: null, zeroGrant: false };
    expect((await call('POST', `/api/mobilities/${inclusion}/actions/recordGrantConditions`, { token: tokens.director, body })).status).toBe(403);
    const rec = await call('POST', `/api/mobilities/${inclusion}/actions/recordGrantConditions`, { token: tokens.ioA3, body });
    expect(rec.status, JSON.stringify(rec.body)).toBe(200);
    expect(rec.body.events).toEqual(['GrantConditionsRecorded']);
    expect((await call('POST', `/api/mobilities/${inclusion}/actions/select`, { token: tokens.ioA3, body: {} })).status).toBe(200);
    const d = await call('GET', `/api/mobilities/${inclusion}`, { token: tokens.coordA });
    expect(d.body.grant.estimated.lines).toEqual(expect.arrayContaining([expect.objectContaining({ ruleId: 'GRANT-INCLUSION-REAL-COSTS', amountCents: 50_000 })]));
    expect(d.body.audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: tn.users.ioA3, action: 'recordGrantConditions', outcome: 'applied' })]));

    const zero = await submit();
    expect((await call('POST', `/api/mobilities/${zero}/actions/recordGrantConditions`, { token: tokens.ioA3, body: { ...body, inclusionSupportCents: 0, zeroGrant: true } })).status).toBe(200);
    expect((await call('POST', `/api/mobilities/${zero}/actions/select`, { token: tokens.ioA3, body: {} })).status).toBe(200);
    expect((await call('GET', `/api/mobilities/${zero}`, { token: tokens.coordA })).body.grant.estimated.totalCents).toBe(0);
    // Contradictory switches are refused by the domain with its reason, never a raw dump.
    const both = await call('POST', `/api/mobilities/${await submit()}/actions/recordGrantConditions`, { token: tokens.ioA3, body: { ...body, zeroGrant: true } });
    expect(both.status).toBe(409);
    expect(both.body.reason).toMatch(/zero-grant mobility receives no inclusion support/);
  });
});

describe('personal data stays in the registry', () => {
  it("a participant registered with a fewer-opportunities criterion applies as fewer-opportunities; the code is in no workflow input or event", async () => {
    const ref = await participant(api.base, tokens.ioA3!, tn.id.a3, { fewerOpportunitiesCriterion: 'FO-03' });
    const sub = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...application(lyon, 1, { institutionId: tn.id.a3 }, ref), mobilityId: undefined } });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const m = mobility(temporal, sub.body.mobilityId);
    expect((await m.state() as { plan: { fewerOpportunities: boolean } }).plan.fewerOpportunities).toBe(true);
    // Every payload of the history, decoded: the start input, the Updates, the activities' inputs and results.
    const texts: string[] = [];
    const walk = (v: unknown): void => {
      if (v instanceof Uint8Array) texts.push(Buffer.from(v).toString('utf8'));
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(await m.handle.fetchHistory());
    expect(texts.join('\n')).toContain(ref);
    expect(texts.join('\n')).not.toContain('FO-03');
  });
});

describe('idempotent actions', () => {
  it('a client that timed out retries with the same Idempotency-Key: the action is applied once and answers the same', async () => {
    const id = (await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...application(lyon, 1, { institutionId: tn.id.a3 }, refA3), mobilityId: undefined } })).body.mobilityId as string;
    const headers = { 'idempotency-key': `retry-${uniq()}` };
    const first = await call('POST', `/api/mobilities/${id}/actions/select`, { token: tokens.ioA3, body: {}, headers });
    expect(first.status).toBe(200);
    // The answer was lost on the way back: the client sends the same request again.
    const retry = await call('POST', `/api/mobilities/${id}/actions/select`, { token: tokens.ioA3, body: {}, headers });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const audit = (await call('GET', `/api/mobilities/${id}`, { token: tokens.coordA })).body.audit as { action: string }[];
    expect(audit.filter((a) => a.action === 'select')).toHaveLength(1);
    expect(audit.filter((a) => a.action === 'budget.reserve')).toHaveLength(1);
    // Without the key, a second select is the domain's refusal; a malformed key is a 400 naming the header.
    expect((await call('POST', `/api/mobilities/${id}/actions/select`, { token: tokens.ioA3, body: {} })).status).toBe(409);
    const bad = await call('POST', `/api/mobilities/${id}/actions/select`, { token: tokens.ioA3, body: {}, headers: { 'idempotency-key': 'no spaces please' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].field).toBe('Idempotency-Key');
  });
});

describe('the API refuses what the domain refuses, before anything starts', () => {
  const cases: [string, (a: ReturnType<typeof application>) => unknown, string][] = [
    ['end before start', (a) => ({ ...a, plan: { ...a.plan, endDate: a.plan.startDate.replace(/^(\d{4})/, (y) => String(Number(y) - 1)) } }), 'plan.'],
    ['ten years', (a) => ({ ...a, plan: { ...a.plan, endDate: a.plan.startDate.replace(/^(\d{4})/, (y) => String(Number(y) + 10)) } }), 'plan.endDate'],
    ['year 9999', (a) => ({ ...a, plan: { ...a.plan, startDate: '9999-01-01', endDate: '9999-05-31' } }), 'plan.startDate'],
    ['a 1990 start', (a) => ({ ...a, plan: { ...a.plan, startDate: '1990-01-01', endDate: '1990-05-31' } }), 'plan.startDate'],
    ['40,101 km', (a) => ({ ...a, plan: { ...a.plan, distanceKm: 40_101 } }), 'plan.distanceKm'],
    ['the same sending and receiving country', (a) => ({ ...a, plan: { ...a.plan, receivingCountry: 'FR' } }), 'plan'],
    ['an unknown funder line', (a) => ({ ...a, funderLineId: 'no-such-line' }), 'funderLineId'],
    ['a VET activity in a KA131 project', (a) => ({ ...a, activity: 'VET-LEARN-ST' }), 'activity'],
    ['a host organisation named in free text', (a) => ({ ...a, plan: { ...a.plan, hostOrgId: 'Dr-Jean-Dupont-Clinique' } }), 'plan.hostOrgId'],
    ['a participant ref the registry does not hold', (a) => ({ ...a, participantRef: unregisteredRef() }), 'participantRef'],
    ['a participant ref that is a name and a birth date', (a) => ({ ...a, participantRef: 'P-JeanDupont19900412' }), 'participantRef'],
    ['a criterion code sent with the application', (a) => ({ ...a, plan: { ...a.plan, fewerOpportunities: true, fewerOpportunitiesCriterion: 'FO-02' } }), 'plan.fewerOpportunitiesCriterion'],
    ['an unregistered project', (a) => ({ ...a, projectId: `2024-1-FR01-KA131-HED-${uniq()}` }), 'projectId'],
  ];
  for (const [what, mutate, field] of cases) {
    it(`${what}: 400 naming the field, no workflow, no row`, async () => {
      const before = await workflowCount(lyon);
      const rows = (await pool.query('SELECT count(*)::int AS n FROM console_mobilities')).rows[0].n;
      const body = mutate({ ...application(lyon, 1, { institutionId: tn.id.a3 }, refA3), mobilityId: undefined } as never);
      const r = await call('POST', '/api/mobilities', { token: tokens.ioA3, body });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.issues.map((i: { field: string }) => i.field).join(' ')).toContain(field);
      expect(r.body.message).not.toMatch(/"code":|"path":/); // never a raw zod dump
      expect(await workflowCount(lyon)).toBe(before);
      expect((await pool.query('SELECT count(*)::int AS n FROM console_mobilities')).rows[0].n).toBe(rows);
    });
  }

  it('a departure dated 1900-01-01 is refused with the rule (DEP-WINDOW), and the stage stays', async () => {
    const sub = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...application(lyon, 1, { institutionId: tn.id.a3 }, refA3), mobilityId: undefined } });
    const id = sub.body.mobilityId as string;
    expect((await call('POST', `/api/mobilities/${id}/actions/select`, { token: tokens.ioA3, body: {} })).status).toBe(200);
    expect((await call('POST', `/api/mobilities/${id}/actions/signAgreement`, { token: tokens.adminA, body: { participantSignedOn: today(), institutionSignedOn: today() } })).status).toBe(200);
    const dep = await call('POST', `/api/mobilities/${id}/actions/confirmDeparture`, { token: tokens.ioA3, body: { actualStartDate: '1900-01-01' } });
    expect(dep.status).toBe(409);
    expect(dep.body).toMatchObject({ code: 'invalid-dates', ruleId: 'DEP-WINDOW' });
    expect((await mobility(temporal, id).state()).stage).toBe('agreed');
  });
});

describe("each role's budget view agrees with the guard", () => {
  it("the consortium coordinator, the network director and the member institution see the project's allocation and what the guard holds, to the cent", async () => {
    const g = (await projectBudget(temporal, lyon))!;
    const line = g.lines.find((l) => l.lineId === 'erasmus')!;
    for (const who of ['coordA', 'director'] as const) {
      const row = await eventually(async () => {
        const b = await call('GET', `/api/budget?projectId=${lyon}&groupBy=line`, { token: tokens[who] });
        const r = b.body.rows?.[0];
        return r && r.committedCents === line.reservedCents && r.mobilitiesUsed === line.reservedMobilities ? r : undefined;
      }, 60_000, `${who}'s budget view`);
      expect(row).toMatchObject({ allocatedCents: line.allocatedCents, allocatedMobilities: line.allocatedMobilities, remainingCents: line.allocatedCents - line.reservedCents });
    }
    // A member institution holds no allocation of its own: it sees its own commitments and what remains of the consortium's line it draws on.
    const member = await call('GET', `/api/budget?projectId=${lyon}&groupBy=institution`, { token: tokens.ioA3 });
    expect(member.body.rows).toHaveLength(1);
    expect(member.body.rows[0]).toMatchObject({ institutionId: tn.id.a3, allocatedCents: 0, committedCents: line.reservedCents, remainingCents: line.allocatedCents - line.reservedCents, mobilitiesRemaining: line.allocatedMobilities - line.reservedMobilities });
    // Per member, the coordinator's view adds up to the guard's line.
    const perMember = (await call('GET', `/api/budget?projectId=${lyon}&groupBy=institution`, { token: tokens.coordA })).body.rows as { committedCents: number; remainingCents: number }[];
    expect(perMember.reduce((n, r) => n + r.committedCents, 0)).toBe(line.reservedCents);
    for (const r of perMember) expect(r.remainingCents).toBe(line.allocatedCents - line.reservedCents);
  });
});
