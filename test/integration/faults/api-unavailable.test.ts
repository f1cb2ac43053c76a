import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { buildApp } from '../../../workers/api/app';
import { HealthMonitor } from '../../../workers/api/health';
import { uniq } from '../../support/env';
import { application, seedTenancy } from '../api/support';

/**
 * Honest errors: while Temporal or Postgres cannot be reached, the API answers 503 with
 * Retry-After at once (never a long hang, then 500); /ready says which dependency is missing;
 * every answer carries its request id (x-request-id), and a 5xx is logged with it.
 */
const cfg = loadConfig({ ...process.env, ME_PROFILE: process.env.ME_PROFILE ?? 'test' });
const pool = createPool(cfg);
// A port where nothing listens: a Temporal server that is down.
const DEAD = '127.0.0.1:1';
let tenancy: Awaited<ReturnType<typeof seedTenancy>>;
const apps: { close(): Promise<unknown> }[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  tenancy = await seedTenancy(pool);
});
afterAll(async () => {
  for (const a of apps) await a.close();
  for (const c of clients) await c.connection.close().catch(() => undefined);
  await pool.end();
});

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l)); done(); } });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function start(opts: { temporal: Client; pool: pg.Pool; log?: pino.Logger; health?: HealthMonitor }) {
  const { app } = await buildApp({ pool: opts.pool, temporal: opts.temporal, taskQueue: `unavailable-${uniq()}`, logger: opts.log, health: opts.health, temporalDeadlineMs: 2_000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  apps.push(app);
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const t0 = Date.now();
    const res = await fetch(base + path, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, ms: Date.now() - t0, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  return { call };
}

describe('while Temporal is down', () => {
  it('answers actions 503 with Retry-After within seconds, and /ready says Temporal is missing', { timeout: 60_000 }, async () => {
    const temporal = new Client({ connection: Connection.lazy({ address: DEAD }), namespace: cfg.temporal.namespace });
    clients.push(temporal);
    const health = new HealthMonitor({ pool, temporal, intervalMs: 500, timeoutMs: 1_000 }).start();
    apps.push({ close: () => health.stop() });
    const { call } = await start({ temporal, pool });
    const user = tenancy.users.ioA1;
    const login = await call('POST', '/api/login', { username: user, password: tenancy.password(user) });
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${login.body.token}` };

    // Right away (the monitor may not have noticed yet): the request's own Temporal deadline answers 503.
    const first = await call('POST', `/api/mobilities/2024-1-FR01-KA131-HED-${tenancy.t}-MOB-00001/actions/select`, {}, auth);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(first.body).toMatchObject({ error: 'unavailable', dependency: 'temporal' });
    expect(first.ms).toBeLessThan(5_000);

    // Once the monitor knows: at once, and nothing is started.
    await new Promise((r) => setTimeout(r, 2_500));
    const start2 = await call('POST', '/api/mobilities', application(`2024-1-FR01-KA131-HED-${tenancy.t}`, 2, { institutionId: tenancy.id.a1, consortiumId: tenancy.id.consA }), auth);
    expect(start2.status).toBe(503);
    expect(start2.ms).toBeLessThan(500);
    expect(start2.body.requestId).toBe(start2.headers.get('x-request-id'));

    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(ready.body.status).toBe('unavailable');
    expect(ready.body.checks.temporal.ok).toBe(false);
    expect(ready.body.checks.postgres.ok).toBe(true);
    // Liveness is about the process, not its dependencies; reads from Postgres still work.
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/api/me', undefined, auth)).status).toBe(200);
  });
});

describe('while Postgres is down', () => {
  it('answers 503 with Retry-After instead of hanging', { timeout: 60_000 }, async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://app@127.0.0.1:1/mobility', connectionTimeoutMillis: 1_000 });
    dead.on('error', () => undefined);
    const temporal = await connectTemporal(cfg);
    clients.push(temporal);
    const { call } = await start({ temporal, pool: dead });
    // A well-formed token (a malformed one is refused with 401 without asking the database): its session is in Postgres.
    const r = await call('GET', '/api/mobilities', undefined, { authorization: `Bearer ${'A'.repeat(43)}` });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body.dependency).toBe('postgres');
    expect(r.ms).toBeLessThan(5_000);
  });
});

describe('request ids', () => {
  it('echoes the client\'s x-request-id, and logs a 5xx with the id the answer carries', { timeout: 30_000 }, async () => {
    const temporal = await connectTemporal(cfg);
    clients.push(temporal);
    const { log, lines } = captureLog();
    // A pool that fails with a plain programming error: the answer is a 500.
    const broken = { query: async () => { throw new TypeError('boom'); }, connect: async () => { throw new TypeError('boom'); } } as unknown as pg.Pool;
    const { call } = await start({ temporal, pool: broken, log, health: new HealthMonitor({ pool, temporal }) });
    const mine = `req-${uniq()}`;
    const r = await call('GET', '/api/me', undefined, { authorization: `Bearer ${'a'.repeat(43)}`, 'x-request-id': mine });
    expect(r.status).toBe(500);
    expect(r.headers.get('x-request-id')).toBe(mine);
    expect(r.body).toEqual({ error: 'internal', message: 'internal error', requestId: mine });
    expect(lines.some((l) => l.reqId === mine && l.level === 50)).toBe(true);
    // Without one, the API makes one up.
    const other = await call('GET', '/health');
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
