import { type ChildProcess, spawn } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { openApiPath } from '../../../workers/api/openapi';
import { tokenHash } from '../../../workers/api/sessions';
import { eventually, testConfig } from '../../support/env';
import { http, seedTenancy, startApi } from './support';

/** Login, sessions and their expiry, the OpenAPI document and the console page, on the real Postgres and Temporal. */
const cfg = testConfig();
const pool = createPool(cfg);
let temporal: Client;
let api: Awaited<ReturnType<typeof startApi>>;
let tenancy: Awaited<ReturnType<typeof seedTenancy>>;
const TTL = 90 * 60_000;

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  tenancy = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue, TTL);
});
afterAll(async () => {
  await api?.close();
  await temporal?.connection.close();
  await pool.end();
});

describe('sessions', () => {
  it('signs in with the scrypt-hashed password, answers /api/me, refuses a wrong password and signs out', async () => {
    const { call, login } = http(api.base);
    const user = tenancy.users.coordA;
    const stored = (await pool.query('SELECT password_hash FROM staff_users WHERE username = $1', [user])).rows[0].password_hash as string;
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored).not.toContain(tenancy.password(user));

    expect((await call('POST', '/api/login', { body: { username: user, password: 'wrong-password' } })).status).toBe(401);
    expect((await call('POST', '/api/login', { body: { username: 'nobody-at-all', password: 'whatever1' } })).status).toBe(401);
    const bad = await call('POST', '/api/login', { body: { username: user } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { field: string }) => i.field)).toContain('password');

    const token = await login(user, tenancy.password(user));
    const row = (await pool.query('SELECT *, extract(epoch FROM expires_at - created_at) * 1000 AS ttl FROM staff_sessions WHERE token_hash = $1', [tokenHash(token)])).rows[0];
    expect(row.username).toBe(user);
    expect(Math.round(Number(row.ttl))).toBe(TTL);
    expect((await pool.query('SELECT count(*)::int AS n FROM staff_sessions WHERE token_hash = $1', [token])).rows[0].n).toBe(0); // only the hash is stored

    const me = await call('GET', '/api/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: user, roles: [{ role: 'consortium-coordinator', scope: { kind: 'consortium', id: tenancy.id.consA } }] });
    expect(me.body.may).toEqual(expect.arrayContaining(['budget.view', 'quality.view', 'project.manage']));

    expect((await call('POST', '/api/logout', { token })).status).toBe(204);
    const after = await call('GET', '/api/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/signed out|expired/);
  });

  it('refuses an expired session and every route without one, except the public ones', async () => {
    const { call, login } = http(api.base);
    const token = await login(tenancy.users.director, tenancy.password(tenancy.users.director));
    expect((await call('GET', '/api/mobilities', { token })).status).toBe(200);
    await pool.query(`UPDATE staff_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [tokenHash(token)]);
    const expired = await call('GET', '/api/mobilities', { token });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ error: 'unauthorized', message: expect.stringMatching(/expired/) });

    for (const r of api.routes.filter((x) => !x.public)) {
      const path = r.path.replace(':id', '2024-1-FR01-KA131-HED-000001-MOB-00001');
      const res = await call(r.method, path, r.method === 'POST' ? { body: {} } : {});
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      const forged = await call(r.method, path, { token: 'A'.repeat(43), ...(r.method === 'POST' ? { body: {} } : {}) });
      expect(forged.status, `${r.method} ${r.path} with a forged token`).toBe(401);
    }
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/api/openapi.json')).status).toBe(200);
  });
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1, generated from the zod schemas, and lists every route with its method', async () => {
    const { call } = http(api.base);
    const doc = (await call('GET', '/api/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const r of api.routes) {
      const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op.operationId).toBe(r.operationId);
      if (r.body) expect(op.requestBody.content['application/json'].schema).toBeTypeOf('object');
    }
    // The application body comes from the domain's SubmitApplication: its fields and their rules; no rate, no actor, no consortium (the project's).
    const submit = doc.paths['/api/mobilities'].post.requestBody.content['application/json'].schema;
    expect(submit.required).toEqual(expect.arrayContaining(['projectId', 'institutionId', 'participantRef', 'plan']));
    expect(submit.required).not.toContain('mobilityId');
    for (const k of ['actor', 'rates', 'policy', 'consortiumId']) expect(submit.properties).not.toHaveProperty(k);
    expect(submit.properties.mobilityId.pattern).toBeTypeOf('string');
    const sign = doc.paths['/api/mobilities/{id}/actions/signAgreement'].post;
    expect(sign.requestBody.content['application/json'].schema.required).toEqual(['participantSignedOn', 'institutionSignedOn']);
    expect(sign.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(doc.paths['/api/login'].post.security).toEqual([]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('the operations console (entry point workers/api.ts)', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
  });

  it('serves the page at / on the configured console port, and the page drives the API', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'workers/api.ts'], { cwd: cfg.root, env: { ...process.env, ME_PROFILE: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const base = cfg.console.url;
    await eventually(async () => (await fetch(`${base}/health`)).ok, 60_000, `console on ${base} (${out})`);

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    // The console (console/) is bundled when the API starts: the page loads it and its stylesheet.
    expect(html).toContain('<script type="module" src="/console.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/console.css">');
    const js = await (await fetch(`${base}/console.js`)).text();
    for (const path of ['/api/login', '/api/logout', '/api/me', '/api/mobilities', '/actions/', '/api/budget', '/api/quality']) expect(js).toContain(path);

    // The served console talks to the real API of the same process.
    const { call, login } = http(base);
    const token = await login(tenancy.users.ioA1, tenancy.password(tenancy.users.ioA1));
    expect((await call('GET', '/api/mobilities', { token })).status).toBe(200);
  });
});

describe('demo tenancy', () => {
  it('seedDemoTenancy creates the directory and the demo accounts, idempotently; each signs in with its demo password', async () => {
    const { seedDemoTenancy, DEMO_ACCOUNTS } = await import('../../../workers/api/demo');
    await seedDemoTenancy(pool);
    await seedDemoTenancy(pool);
    const { call, login } = http(api.base);
    for (const a of DEMO_ACCOUNTS) {
      const me = await call('GET', '/api/me', { token: await login(a.username, a.password) });
      expect(me.body.roles).toEqual(a.roles);
    }
    const members = (await pool.query(`SELECT institution_id, functions FROM tenancy_consortium_members WHERE consortium_id = 'CONS-AURA-DEMO' ORDER BY 1`)).rows;
    expect(members.flatMap((m) => m.functions).sort()).toEqual(['administrative-management', 'coordination-finance', 'quality-control']);
  });
});
