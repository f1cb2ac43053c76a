import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { mobility } from '../../../workflows/client';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { application, http, participant, project, seedTenancy, startApi, today } from './support';

/**
 * Through the HTTP API on the real stack (Temporal worker, Kafka, projector, Postgres): tenant
 * isolation, role refusals, bad input, domain refusals, and actions driving the real workflow.
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
let mobA = '';
let mobB = '';

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `api-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login } = http(api.base);
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await login(username, tn.password(username));

  // Consortium A's project (its coordinator registers it), and consortium B's.
  const { call } = http(api.base);
  const regA = await call('POST', '/api/projects', { token: tokens.coordA, body: project(projectA, tn.id.a1, tn.id.consA) });
  expect(regA.status, JSON.stringify(regA.body)).toBe(200);
  const regB = await call('POST', '/api/projects', { token: tokens.coordB, body: project(projectB, tn.id.b1, tn.id.consB) });
  expect(regB.status).toBe(200);

  // A mobility of member A3 (quality control) funded by consortium A, registered by A3's international office.
  const appA = application(projectA, 1, { institutionId: tn.id.a3, consortiumId: tn.id.consA }, await participant(api.base, tokens.ioA3!, tn.id.a3));
  const subA = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: appA });
  expect(subA.status, JSON.stringify(subA.body)).toBe(201);
  mobA = appA.mobilityId;
  const appB = application(projectB, 1, { institutionId: tn.id.b1, consortiumId: tn.id.consB });
  // coordB is a consortium role: registering applications belongs to the institution's staff.
  const refusedB = await call('POST', '/api/mobilities', { token: tokens.coordB, body: appB });
  expect(refusedB.status).toBe(403);
  mobB = appB.mobilityId;
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

const ids = (r: { body: { mobilities: { mobilityId: string }[] } }) => r.body.mobilities.map((m) => m.mobilityId);

describe('tenant isolation', () => {
  it("a coordinator of consortium B can neither list, read nor act on consortium A's mobility: 404, as for one that does not exist", async () => {
    const { call } = http(api.base);
    const list = await call('GET', '/api/mobilities?limit=500', { token: tokens.coordB });
    expect(list.status).toBe(200);
    expect(ids(list)).not.toContain(mobA);
    const read = await call('GET', `/api/mobilities/${mobA}`, { token: tokens.coordB });
    const ghost = await call('GET', `/api/mobilities/${projectA}-MOB-09999`, { token: tokens.coordB });
    expect(read.status).toBe(404);
    expect(ghost.status).toBe(404);
    expect(read.body.error).toBe(ghost.body.error);
    const act = await call('POST', `/api/mobilities/${mobA}/actions/select`, { token: tokens.coordB, body: {} });
    expect(act.status).toBe(404);
    // Nor staff of an institution outside the consortium, a site of another institution, or another member's office.
    for (const who of ['ioOut', 'siteA1', 'ioA2'] as const) {
      expect((await call('GET', `/api/mobilities/${mobA}`, { token: tokens[who] })).status).toBe(404);
      expect(ids(await call('GET', '/api/mobilities?limit=500', { token: tokens[who] }))).not.toContain(mobA);
    }
    expect((await temporal.workflow.getHandle(mobA).query('state') as { stage: string }).stage).toBe('applied');
  });

  it('the network director and the consortium roles read it; the director may not act (403 with the reason)', async () => {
    const { call } = http(api.base);
    for (const who of ['director', 'coordA', 'adminA', 'qualityA', 'observerA', 'ioA3'] as const) {
      expect(ids(await call('GET', '/api/mobilities?limit=500', { token: tokens[who] })), who).toContain(mobA);
      const d = await call('GET', `/api/mobilities/${mobA}`, { token: tokens[who] });
      expect(d.status, who).toBe(200);
      expect(d.body.state.identity).toMatchObject({ institutionId: tn.id.a3, consortiumId: tn.id.consA });
    }
    const dir = await call('POST', `/api/mobilities/${mobA}/actions/select`, { token: tokens.director, body: {} });
    expect(dir.status).toBe(403);
    expect(dir.body.reason).toMatch(/network-director@network:.* may not mobility\.select/);
    const obs = await call('POST', `/api/mobilities/${mobA}/actions/select`, { token: tokens.observerA, body: {} });
    expect(obs.status).toBe(403);
    expect(obs.body.reason).toMatch(/observer@consortium:.* is read-only/);
    // A member's staff may not sign for the consortium: the administrative member does.
    const detail = await call('GET', `/api/mobilities/${mobA}`, { token: tokens.ioA3 });
    expect(detail.body.actions.find((a: { name: string }) => a.name === 'select')).toMatchObject({ allowed: true });
    const observerView = await call('GET', `/api/mobilities/${mobA}`, { token: tokens.observerA });
    expect(observerView.body.actions.every((a: { allowed: boolean }) => !a.allowed)).toBe(true);
    expect((await temporal.workflow.getHandle(mobA).query('state') as { stage: string }).stage).toBe('applied');
  });
});

describe('sites and own projects', () => {
  it("a site coordinator sees its site's mobilities only; a consortium role never sees a member's own-project mobility", async () => {
    const { call } = http(api.base);
    const refA1 = await participant(api.base, tokens.ioA1!, tn.id.a1);
    const own = application(`2024-1-FR01-KA131-HED-${uniq()}`, 1, { institutionId: tn.id.a1, consortiumId: null, siteId: tn.id.siteA1 }, refA1);
    expect((await call('POST', '/api/projects', { token: tokens.ioA1, body: project(own.projectId, tn.id.a1, null) })).status).toBe(200);
    const elsewhere = application(own.projectId, 2, { institutionId: tn.id.a1, consortiumId: null }, refA1);
    expect((await call('POST', '/api/mobilities', { token: tokens.siteA1, body: own })).status).toBe(201);
    expect((await call('POST', '/api/mobilities', { token: tokens.siteA1, body: elsewhere })).status).toBe(403); // not on its site
    expect((await call('POST', '/api/mobilities', { token: tokens.ioA1, body: elsewhere })).status).toBe(201);
    const siteList = ids(await call('GET', `/api/mobilities?projectId=${own.projectId}`, { token: tokens.siteA1 }));
    expect(siteList).toEqual([own.mobilityId]);
    expect((await call('GET', `/api/mobilities/${own.mobilityId}`, { token: tokens.siteA1 })).status).toBe(200);
    expect((await call('GET', `/api/mobilities/${elsewhere.mobilityId}`, { token: tokens.siteA1 })).status).toBe(404);
    expect(ids(await call('GET', `/api/mobilities?projectId=${own.projectId}`, { token: tokens.ioA1 })).sort()).toEqual([own.mobilityId, elsewhere.mobilityId].sort());
    expect(ids(await call('GET', `/api/mobilities?projectId=${own.projectId}`, { token: tokens.coordA }))).toEqual([]);
    expect((await call('GET', `/api/mobilities/${own.mobilityId}`, { token: tokens.coordA })).status).toBe(404);
    expect(ids(await call('GET', `/api/mobilities?projectId=${own.projectId}`, { token: tokens.director })).length).toBe(2);
    const dup = await call('POST', '/api/mobilities', { token: tokens.ioA1, body: elsewhere });
    expect(dup.status).toBe(409);
  });
});

describe('input and refusals', () => {
  it('bad input answers 400 naming the field, and nothing starts', async () => {
    const { call } = http(api.base);
    const app = application(projectA, 2, { institutionId: tn.id.a3, consortiumId: tn.id.consA });
    const noStart = { ...app, plan: { ...app.plan, startDate: 'next monday' } };
    const r = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: noStart });
    expect(r.status).toBe(400);
    expect(r.body.issues.map((i: { field: string }) => i.field)).toEqual(['plan.startDate']);
    expect(r.body.message).toContain('plan.startDate');
    const extra = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { ...app, participantName: 'Alex Martin' } });
    expect(extra.status).toBe(400);
    expect(extra.body.issues.map((i: { field: string }) => i.field)).toContain('participantName');
    await expect(mobility(temporal, app.mobilityId).handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await pool.query('SELECT count(*)::int AS n FROM console_mobilities WHERE mobility_id = $1', [app.mobilityId])).rows[0].n).toBe(0);
    // A staff member of B's institution may not register for A's members (403 with the reason); nothing starts either.
    const other = await call('POST', '/api/mobilities', { token: tokens.ioOut, body: app });
    expect(other.status).toBe(403);
    expect(other.body.reason).toMatch(/does not cover/);
    await expect(mobility(temporal, app.mobilityId).handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('actions drive the real workflow', () => {
  it("selects and signs through the API: the Updates run, the domain's refusals answer 409, the detail and the projections show it", async () => {
    const { call } = http(api.base);
    const early = await call('POST', `/api/mobilities/${mobA}/actions/confirmDeparture`, { token: tokens.ioA3, body: { actualStartDate: today() } });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ error: 'refused', code: 'wrong-stage', reason: expect.stringMatching(/cannot confirm the departure/) });

    const sel = await call('POST', `/api/mobilities/${mobA}/actions/select`, { token: tokens.ioA3, body: {} });
    expect(sel.status, JSON.stringify(sel.body)).toBe(200);
    expect(sel.body).toEqual({ mobilityId: mobA, action: 'select', stage: 'selected', events: ['ParticipantSelected'] });

    // Bad input on an action: 400 naming the field; the stage does not move.
    const bad = await call('POST', `/api/mobilities/${mobA}/actions/signAgreement`, { token: tokens.adminA, body: { participantSignedOn: 'yesterday', institutionSignedOn: today() } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([expect.objectContaining({ field: 'participantSignedOn' })]);
    const withActor = await call('POST', `/api/mobilities/${mobA}/actions/signAgreement`, { token: tokens.adminA, body: { actor: 'someone-else', participantSignedOn: today(), institutionSignedOn: today() } });
    expect(withActor.status).toBe(400);
    // A3's own office may not sign a consortium-funded agreement: A3 does not hold administrative-management.
    const notHolder = await call('POST', `/api/mobilities/${mobA}/actions/signAgreement`, { token: tokens.ioA3, body: { participantSignedOn: today(), institutionSignedOn: today() } });
    expect(notHolder.status).toBe(403);
    expect(notHolder.body.reason).toMatch(/belongs to the member holding administrative-management/);
    expect((await call('GET', `/api/mobilities/${mobA}`, { token: tokens.ioA3 })).body.stage).toBe('selected');

    const sign = await call('POST', `/api/mobilities/${mobA}/actions/signAgreement`, { token: tokens.adminA, body: { participantSignedOn: today(), institutionSignedOn: today() } });
    expect(sign.status, JSON.stringify(sign.body)).toBe(200);
    expect(sign.body.stage).toBe('agreed');

    const d = await call('GET', `/api/mobilities/${mobA}`, { token: tokens.coordA });
    expect(d.body.stage).toBe('agreed');
    expect(d.body.grant.estimated.lines.map((l: { ruleId: string }) => l.ruleId)).toEqual(['GRANT-HE-LT', 'GRANT-TRAVEL-STD']);
    const estimated = d.body.grant.estimated.totalCents as number;
    expect(d.body.grant.budget.heldCents).toBe(estimated);
    // Once signed, the participant's pre-financing is due (the calendar's deadlines live per stage).
    expect(d.body.deadlines.deadlines.map((x: { id: string }) => x.id)).toContain('prefinancing-payment');
    const audit = d.body.audit as { actor: string; action: string; outcome: string }[];
    expect(audit).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor: tn.users.ioA3, action: 'submitApplication', outcome: 'applied' }),
      expect.objectContaining({ actor: tn.users.ioA3, action: 'select', outcome: 'applied' }),
      expect.objectContaining({ actor: tn.users.adminA, action: 'signAgreement', outcome: 'applied' }),
    ]));
    expect(d.body.actions.map((a: { name: string }) => a.name)).toContain('confirmDeparture');

    // The projections fold the events: the list shows the stage, the dashboards the figures, per scope.
    const row = await eventually(async () => {
      const l = await call('GET', `/api/mobilities?projectId=${projectA}`, { token: tokens.coordA });
      return l.body.mobilities.find((m: { mobilityId: string; stage: string }) => m.mobilityId === mobA && m.stage === 'agreed');
    }, 60_000, 'the list to show the agreed stage');
    expect(row).toMatchObject({ institutionId: tn.id.a3, consortiumId: tn.id.consA, activity: 'HE-SMS' });
    expect(row.nextDeadlineDue === null || /^\d{4}-\d{2}-\d{2}$/.test(row.nextDeadlineDue)).toBe(true);

    const budget = await eventually(async () => {
      const b = await call('GET', `/api/budget?projectId=${projectA}`, { token: tokens.coordA });
      return b.body.rows.find((r: { contractedCents: number }) => r.contractedCents === estimated);
    }, 60_000, 'budget consumption');
    expect(budget).toMatchObject({ projectId: projectA, funderLineId: 'erasmus', allocatedCents: 2_000_000, committedCents: estimated, remainingCents: 2_000_000 - estimated, mobilitiesUsed: 1 });
    const byInst = await call('GET', `/api/budget?projectId=${projectA}&groupBy=institution`, { token: tokens.director });
    expect(byInst.body.rows).toEqual(expect.arrayContaining([expect.objectContaining({ institutionId: tn.id.a3, contractedCents: estimated })]));
    // Consortium B sees none of A's figures; an observer and a site coordinator may not view budgets.
    expect((await call('GET', `/api/budget?projectId=${projectA}`, { token: tokens.coordB })).body.rows).toEqual([]);
    const obs = await call('GET', '/api/budget', { token: tokens.observerA });
    expect(obs.status).toBe(403);
    expect(obs.body.reason).toMatch(/budget\.view needs one of the roles/);

    const quality = await eventually(async () => {
      const q = await call('GET', `/api/quality?scope=consortium`, { token: tokens.qualityA });
      return q.body.rows?.find((r: { scopeId: string; participants: number }) => r.scopeId === tn.id.consA && r.participants === 1);
    }, 60_000, 'quality dashboard');
    expect(quality).toMatchObject({ scope: 'consortium', mobilities: 1 });
    const qB = await call('GET', `/api/quality?scope=consortium`, { token: tokens.coordB });
    expect(qB.body.rows.map((r: { scopeId: string }) => r.scopeId)).not.toContain(tn.id.consA);
    const qStages = await call('GET', `/api/quality?scope=project&projectId=${projectA}`, { token: tokens.coordA });
    expect(qStages.body.rows).toEqual([expect.objectContaining({ scopeId: projectA, mobilities: 1 })]);
    expect(mobB).toMatch(/-MOB-00001$/);

    // The list's next deadline is the mobility's own (the schedule its workflow publishes), once departed too.
    const dep = await call('POST', `/api/mobilities/${mobA}/actions/confirmDeparture`, { token: tokens.ioA3, body: { actualStartDate: today() } });
    expect(dep.status, JSON.stringify(dep.body)).toBe(200);
    const detail = await call('GET', `/api/mobilities/${mobA}`, { token: tokens.coordA });
    const open = (detail.body.deadlines.deadlines as { id: string; dueDate: string; status: string }[]).find((x) => x.status === 'open');
    expect(open?.id).toBe('la-change-request');
    const listed = await eventually(async () => {
      const l = await call('GET', `/api/mobilities?projectId=${projectA}`, { token: tokens.coordA });
      // The schedule is the workflow's next event after the departure (published after the departure's own, so the
      // list may show the departed stage with the schedule before it for a moment): wait until the projection has it too.
      return l.body.mobilities.find((m: { mobilityId: string; stage: string; nextDeadline: string | null }) => m.mobilityId === mobA && m.stage === 'departed' && m.nextDeadline === open!.id);
    }, 60_000, 'the list to show the departed stage and its next deadline');
    expect({ id: listed.nextDeadline, due: listed.nextDeadlineDue }).toEqual({ id: open!.id, due: open!.dueDate });
  });
});
