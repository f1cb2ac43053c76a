import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { application, http, participant, project, seedTenancy, startApi } from './support';

/**
 * The console's read side (workers/api/console-routes.ts) on the real stack: which pages each role
 * gets, the pipeline and the worklist limited to the caller's tenants, the budget drill-down kept to
 * the roles that may view budgets, and the live feed: a server-sent `change` within about a second of
 * an application being recorded and of the projector folding its events.
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

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `console-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { call, login } = http(api.base);
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await login(username, tn.password(username));
  const reg = await call('POST', '/api/projects', { token: tokens.coordA, body: project(projectA, tn.id.a1, tn.id.consA) });
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

/** Reads the live feed until `until` says enough; returns the events with the time each arrived. */
async function listen(token: string, until: (events: { event: string; data: any; at: number }[]) => boolean, timeoutMs = 20_000) {
  const ctrl = new AbortController();
  const res = await fetch(`${api.base}/api/console/live`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: { event: string; data: any; at: number }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  let buffer = '';
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buffer += value;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data), at: Date.now() });
          if (until(events)) return;
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { events, done: done.finally(() => { clearTimeout(timer); ctrl.abort(); }) };
}

describe('the console read side', () => {
  it('offers each role its pages and a landing page', async () => {
    const { call } = http(api.base);
    const pages = async (who: string) => (await call('GET', '/api/console/me', { token: tokens[who]! })).body;
    expect(await pages('director')).toEqual({ pages: ['pipeline', 'budget', 'quality', 'organisation'], landing: 'budget' });
    expect(await pages('observerA')).toEqual({ pages: ['pipeline'], landing: 'pipeline' });
    expect(await pages('qualityA')).toEqual({ pages: ['pipeline', 'quality'], landing: 'quality' });
    expect(await pages('adminA')).toEqual({ pages: ['worklist', 'pipeline', 'groups'], landing: 'worklist' });
    expect(await pages('ioA1')).toEqual({ pages: ['worklist', 'pipeline', 'budget', 'quality', 'apply', 'organisation', 'incoming', 'groups', 'imports'], landing: 'worklist' });
    expect(await pages('siteA1')).toEqual({ pages: ['worklist', 'pipeline', 'apply', 'incoming', 'groups', 'imports'], landing: 'worklist' });
    expect((await call('GET', '/api/console/me')).status).toBe(401);
  });

  it('says within about a second that an application was recorded, then that the projector folded it; the pipeline and search show it to its tenants only', async () => {
    const { call } = http(api.base);
    const app = { ...application(projectA, 1, { institutionId: tn.id.a1 }), participantRef: await participant(api.base, tokens.ioA1!, tn.id.a1) };
    const feed = await listen(tokens.ioA1!, (es) => es.some((e) => e.event === 'change' && e.data.topics.includes('projections')));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const sub = await call('POST', '/api/mobilities', { token: tokens.ioA1, body: app });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const id = sub.body.mobilityId as string;
    await feed.done;
    expect(feed.events[0]?.event).toBe('status');
    const change = feed.events.find((e) => e.event === 'change' && e.data.topics.includes('projections'));
    expect(change, JSON.stringify(feed.events)).toBeDefined();
    expect(change!.at - t0).toBeLessThan(5_000);
    // Nothing but topic names travels on the feed.
    expect(JSON.stringify(feed.events)).not.toContain(id);

    const mine = await eventually(async () => {
      const r = await call('GET', `/api/console/pipeline?projectId=${projectA}&q=${app.participantRef}`, { token: tokens.ioA1 });
      return r.body.total === 1 ? r.body : null;
    }, 20_000, 'the application in the pipeline');
    expect(mine.rows[0]).toMatchObject({ mobilityId: id, stage: 'applied', participantRef: app.participantRef, institutionId: tn.id.a1 });
    expect(mine.stages.map((s: { stage: string }) => s.stage)).toEqual(['applied', 'reserve-list', 'selected', 'agreed', 'departed', 'attended', 'reported', 'recognised', 'rejected', 'withdrawn', 'cancelled']);
    expect(mine.stages.find((s: { stage: string }) => s.stage === 'applied').mobilities).toBe(1);
    for (const who of ['ioOut', 'coordB', 'ioA2']) {
      const r = await call('GET', `/api/console/pipeline?q=${app.participantRef}`, { token: tokens[who] });
      expect(r.body.total, who).toBe(0);
    }
    const page = await call('GET', `/api/console/pipeline?projectId=${projectA}&limit=1&offset=0`, { token: tokens.ioA1 });
    expect(page.body).toMatchObject({ total: 1, limit: 1, offset: 0 });
    expect((await call('GET', '/api/console/pipeline?deadline=soon', { token: tokens.ioA1 })).status).toBe(400);
  });

  it('keeps the budget drill-down to the roles that may view budgets, within their scope', async () => {
    const { call } = http(api.base);
    const app = { ...application(projectA, 2, { institutionId: tn.id.a1 }), participantRef: await participant(api.base, tokens.ioA1!, tn.id.a1) };
    const sub = await call('POST', '/api/mobilities', { token: tokens.ioA1, body: app });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    expect((await call('POST', `/api/mobilities/${sub.body.mobilityId}/actions/select`, { token: tokens.ioA1, body: {} })).status).toBe(200);
    const drill = await eventually(async () => {
      const r = await call('GET', `/api/console/budget/mobilities?projectId=${projectA}`, { token: tokens.coordA });
      return r.body.total >= 1 ? r.body : null;
    }, 20_000, 'the reserved mobility in the drill-down');
    const row = drill.rows.find((r: { mobilityId: string }) => r.mobilityId === sub.body.mobilityId);
    expect(row.status).toBe('reserved');
    expect(row.lines.reduce((s: number, l: { amountCents: number }) => s + l.amountCents, 0)).toBe(row.estimatedCents);
    expect((await call('GET', `/api/console/budget/mobilities?projectId=${projectA}`, { token: tokens.observerA })).status).toBe(403);
    expect((await call('GET', `/api/console/budget/mobilities?projectId=${projectA}`, { token: tokens.coordB })).body.total).toBe(0);
  });

  it('answers the projection lag', async () => {
    const { call } = http(api.base);
    const r = await call('GET', '/api/console/status', { token: tokens.observerA });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ streamUnreachable: false });
    expect(r.body.behind).toBeGreaterThanOrEqual(0);
  });
});
