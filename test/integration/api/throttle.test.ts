import type { Client } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { buildApp } from '../../../workers/api/app';
import { saveStaffUser } from '../../../workers/api/directory';
import { tokenHash } from '../../../workers/api/sessions';
import { addressKey, lockMsAfter, type LoginThrottleOptions } from '../../../workers/api/throttle';
import { testConfig, uniq } from '../../support/env';
import { seedTenancy } from './support';

/**
 * Sign-in throttling on the real Postgres (issue 10, hole 5: 300 wrong passwords at 25/s, then
 * the right one, answered 200). Each test runs its own API with short locks; the loopback
 * address's count is cleared after each, so the rest of the suite can still sign in.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let temporal: Client;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const TTL = 45 * 60_000;
const apps: { close: () => Promise<void> }[] = [];
const LOOPBACK = ['127.0.0.1', addressKey('::1')];

async function api(throttle: LoginThrottleOptions) {
  const { app } = await buildApp({ pool, temporal, taskQueue: cfg.temporal.taskQueue, sessionTtlMs: TTL, loginThrottle: throttle });
  await app.listen({ port: 0, host: '127.0.0.1' });
  apps.push({ close: () => app.close() });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return async (username: string, password: string) => {
    const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, any> };
  };
}

async function staff(key: string) {
  const username = `${key}.${uniq()}`.toLowerCase();
  await saveStaffUser(pool, { username, displayName: key, password: `pw-${username}`, roles: [{ role: 'institution-coordinator', scope: { kind: 'institution', id: tn.id.a1 } }] });
  return { username, password: `pw-${username}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outcomes = async (username: string) =>
  Object.fromEntries((await pool.query<{ outcome: string; n: number }>('SELECT outcome, count(*)::int AS n FROM login_attempts WHERE username = $1 GROUP BY 1', [username])).rows.map((r) => [r.outcome, r.n]));

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  tn = await seedTenancy(pool);
});
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
  await pool.query(`DELETE FROM login_throttle WHERE kind = 'address' AND key = ANY($1)`, [LOOPBACK]);
});
afterAll(async () => {
  await temporal?.connection.close();
  await pool.end();
});

describe('sign-in throttling', () => {
  it('300 wrong passwords at 25 at a time, then the right one: refused (429, Retry-After) while locked, accepted once the lock has run out, and the session still expires', async () => {
    const login = await api({ username: { maxFailures: 5, lockMs: 3_000 }, address: { maxFailures: 10_000 } });
    const u = await staff('victim');
    const answers: number[] = [];
    for (let i = 0; i < 300; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, (_, k) => login(u.username, `wrong-${i + k}`)));
      answers.push(...batch.map((b) => b.status));
    }
    // Exactly five passwords were checked, however parallel the guesses; the rest were refused unseen.
    expect(answers.filter((s) => s === 401)).toHaveLength(5);
    expect(answers.filter((s) => s === 429)).toHaveLength(295);

    const locked = await login(u.username, u.password);
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: 'too-many-attempts', message: expect.stringMatching(/username/), retryAfterSeconds: expect.any(Number) });
    expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(3);
    expect(await outcomes(u.username)).toEqual({ failure: 5, locked: 296 });
    expect((await pool.query('SELECT count(*)::int AS n FROM staff_sessions WHERE username = $1', [u.username])).rows[0].n).toBe(0);

    await sleep(Number(locked.retryAfter) * 1000 + 200);
    const signedIn = await login(u.username, u.password);
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    const session = (await pool.query('SELECT extract(epoch FROM expires_at - created_at) * 1000 AS ttl FROM staff_sessions WHERE token_hash = $1', [tokenHash(signedIn.body.token)])).rows[0];
    expect(Math.round(Number(session.ttl))).toBe(TTL);
    expect(await outcomes(u.username)).toEqual({ failure: 5, locked: 296, success: 1 });
    // The success reset the count: a single typo afterwards is a plain 401, not a new lock.
    expect((await login(u.username, 'typo')).status).toBe(401);
    expect((await login(u.username, u.password)).status).toBe(200);
  });

  it('each failure after a lock doubles the next lock; the right password is refused during it', async () => {
    const policy = { maxFailures: 3, lockMs: 1_000, maxLockMs: 60_000 };
    expect([2, 3, 4, 5, 20].map((f) => lockMsAfter({ ...policy, forgetAfterMs: 1e9 }, f))).toEqual([0, 1_000, 2_000, 4_000, 60_000]);
    const login = await api({ username: policy, address: { maxFailures: 10_000 } });
    const u = await staff('doubling');
    for (let i = 0; i < 3; i++) expect((await login(u.username, 'nope')).status).toBe(401);
    const first = await login(u.username, u.password);
    expect(first.status).toBe(429);
    expect(Number(first.retryAfter)).toBe(1);
    await sleep(1_200);
    expect((await login(u.username, 'nope again')).status).toBe(401); // the 4th failure: locked for 2 s
    const second = await login(u.username, u.password);
    expect(second.status).toBe(429);
    expect(Number(second.retryAfter)).toBe(2);
    await sleep(2_200);
    expect((await login(u.username, u.password)).status).toBe(200);
  });

  it('per client address: failures spread over many usernames lock the address for every account, then it opens again', async () => {
    const login = await api({ address: { maxFailures: 8, lockMs: 2_000 } });
    const u = await staff('bystander');
    for (let i = 0; i < 8; i++) expect((await login(`sprayed-${uniq()}`.toLowerCase(), 'Spring2026!')).status).toBe(401);
    const refused = await login(u.username, u.password);
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/address/);
    const logged = await pool.query(`SELECT client_address, outcome, locked_until FROM login_attempts WHERE username = $1`, [u.username]);
    expect(logged.rows).toEqual([{ client_address: '127.0.0.1', outcome: 'locked', locked_until: expect.any(Date) }]);
    // A locked address is refused before anything is counted: no row for a username it tries.
    const fresh = `never-seen-${uniq()}`.toLowerCase();
    expect((await login(fresh, 'whatever')).status).toBe(429);
    expect((await pool.query('SELECT count(*)::int AS n FROM login_throttle WHERE key = $1', [fresh])).rows[0].n).toBe(0);
    await sleep(Number(refused.retryAfter) * 1000 + 200);
    expect((await login(u.username, u.password)).status).toBe(200);
  });

  it('a success resets the username: four typos, sign in, four typos, sign in — never locked', async () => {
    const login = await api({ username: { maxFailures: 5, lockMs: 60_000 } });
    const u = await staff('typist');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect((await login(u.username, `typo-${i}`)).status).toBe(401);
      expect((await login(u.username, u.password)).status).toBe(200);
    }
    expect(await outcomes(u.username)).toEqual({ failure: 8, success: 2 });
  });

  it('keys a client by its IPv4 address, an IPv4-mapped IPv6 address as IPv4, and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:12:abcd::1')).toBe('2001:db8:0:12::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});
