import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { inboxFile } from '../../../infra/stack/mail';
import { connectTemporal } from '../../../infra/temporal';
import { eventually, testConfig, uniq } from '../../support/env';
import { http, seedTenancy, startApi } from './support';

/**
 * Onboarding (issue 13, item 1) on the real API and Postgres, with the invitation e-mail read from the
 * stack's SMTP sink: a consortium coordinator creates an institution, a site and a staff account; the
 * link of the invitation sets the password once; the new staff member signs in. Out-of-scope and hostile
 * attempts are refused, name the field and change nothing; every change is in the audit trail.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let temporal: Client;
let api: Awaited<ReturnType<typeof startApi>>;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const tokens = {} as Record<string, string>;

interface Mail { to: string[]; subject: string; body: string; headers: Record<string, string>; messageId: string | null }
const invitationsFor = (username: string): Mail[] => {
  let text = '';
  try { text = readFileSync(inboxFile(cfg), 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Mail).filter((m) => m.headers['x-invitation-for']?.trim() === username);
};
/** The token of a mail's set-password link (the body may be quoted-printable: soft line breaks undone). */
const tokenIn = (m: Mail): string => {
  const body = m.body.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const link = /https?:\/\/\S+\/set-password#token=([A-Za-z0-9_-]{43})/.exec(body);
  if (!link) throw new Error(`no set-password link in ${body}`);
  return link[1]!;
};
/** Everything an attempt could change, to compare before and after a refusal. */
const snapshot = async () => {
  const q = async (sql: string) => JSON.stringify((await pool.query(sql)).rows);
  return [
    await q('SELECT * FROM tenancy_institutions ORDER BY id'), await q('SELECT * FROM tenancy_sites ORDER BY id'),
    await q('SELECT * FROM tenancy_consortium_members ORDER BY 1, 2'), await q('SELECT username, password_hash, disabled FROM staff_users ORDER BY 1'),
    await q('SELECT * FROM staff_role_grants ORDER BY 1, 2, 3, 4'), await q('SELECT token_hash, used_at, superseded_at FROM staff_invitations ORDER BY 1'),
    await q('SELECT count(*) FROM organisation_audit'),
  ].join('\n');
};

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login } = http(api.base);
  for (const key of ['coordA', 'coordB', 'adminA', 'ioA1', 'siteA1', 'director'] as const) tokens[key] = await login(tn.users[key], tn.password(tn.users[key]));
});
afterAll(async () => {
  await api?.close();
  await temporal?.connection.close();
  await pool.end();
});

describe('a consortium coordinator onboards a new member', () => {
  const t = uniq();
  const inst = `NEW-${t}`;
  const site = `NEW-${t}-S1`;
  const username = `new.io.${t}`.toLowerCase();
  const email = `new.io.${t.toLowerCase()}@college.example.org`;
  const password = `correct horse ${t} battery`;

  it('creates an institution, a site and a staff account; the invitation sets the password once; the staff member signs in', async () => {
    const { call, login } = http(api.base);
    const created = await call('POST', '/api/organisation/institutions', { token: tokens.coordA, body: { id: inst, name: 'Lycée nouveau', oid: `E${String(Date.now()).slice(-8)}`, consortiumId: tn.id.consA } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ id: inst, networkId: tn.id.network, consortiumId: tn.id.consA, functions: [] });

    const s = await call('POST', '/api/organisation/sites', { token: tokens.coordA, body: { id: site, institutionId: inst, name: 'Campus nord' } });
    expect(s.status, JSON.stringify(s.body)).toBe(201);

    const staff = await call('POST', '/api/organisation/staff', { token: tokens.coordA, body: { username, displayName: 'Nadia Nouvelle', email, role: 'institution-coordinator', scopeKind: 'institution', scopeId: inst } });
    expect(staff.status, JSON.stringify(staff.body)).toBe(201);
    expect(staff.body.invitation.sent).toBe(true);
    expect(Date.parse(staff.body.invitation.expiresAt) - Date.now()).toBeGreaterThan(71 * 3600_000);

    // Not yet signed in: no password until the invitation is accepted.
    expect((await call('POST', '/api/login', { body: { username, password } })).status).toBe(401);

    const mail = await eventually(async () => invitationsFor(username)[0], 10_000, 'the invitation e-mail');
    expect(mail.to).toEqual([email]);
    const token = tokenIn(mail);
    // Only the token's hash is stored.
    const stored = (await pool.query('SELECT token_hash FROM staff_invitations WHERE username = $1', [username])).rows;
    expect(stored).toHaveLength(1);
    expect(stored[0].token_hash).not.toContain(token);

    // A bad password is refused naming the field, and the link still works afterwards.
    const weak = await call('POST', '/api/invitations/accept', { body: { token, password: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body.issues.map((i: { field: string }) => i.field)).toEqual(['password']);
    const withName = await call('POST', '/api/invitations/accept', { body: { token, password: `${username}-0123456789` } });
    expect(withName.status).toBe(400);
    expect(withName.body.issues[0].field).toBe('password');

    // A tampered token changes nothing.
    const before = await snapshot();
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const bad = await call('POST', '/api/invitations/accept', { body: { token: tampered, password } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].field).toBe('token');
    expect(await snapshot()).toBe(before);

    const accepted = await call('POST', '/api/invitations/accept', { body: { token, password } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toEqual({ username });
    // Used once: a second use is refused and changes nothing.
    const afterUse = await snapshot();
    const again = await call('POST', '/api/invitations/accept', { body: { token, password: `another ${password}` } });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/already used/);
    expect(await snapshot()).toBe(afterUse);

    // The institution's coordinator reminders now reach the new coordinator.
    expect((await pool.query('SELECT email FROM coordinator_contacts WHERE institution_id = $1', [inst])).rows).toEqual([{ email }]);
    const newToken = await login(username, password);
    const me = await call('GET', '/api/me', { token: newToken });
    expect(me.body.roles).toEqual([{ role: 'institution-coordinator', scope: { kind: 'institution', id: inst } }]);
    // The new staff member manages its own institution and site, not the consortium.
    const org = await call('GET', '/api/organisation', { token: newToken });
    expect(org.body.institutions.map((i: { id: string; manage: boolean }) => [i.id, i.manage])).toEqual([[inst, true]]);
    expect(org.body.sites.map((x: { id: string }) => x.id)).toEqual([site]);
    // …and registers its participants, with the Beneficiary Module's other participant fields (item 2).
    const lea = { institutionId: inst, siteId: site, givenName: 'Léa', familyName: 'Durand', email: `lea.${t.toLowerCase()}@example.org`, dateOfBirth: '2004-02-03', gender: 'female', nationality: 'FR', studentNumber: `A-${t}`, fieldOfEducation: '0613', eqfLevel: 4 };
    const register = await call('POST', '/api/participants', { token: newToken, body: lea });
    expect(register.status, JSON.stringify(register.body)).toBe(201);
    const ref = register.body.participantRef as string;
    expect((await call('GET', `/api/participants/${ref}`, { token: newToken })).body).toMatchObject({ studentNumber: `A-${t}`, fieldOfEducation: '0613', eqfLevel: 4 });
    const twice = await call('POST', '/api/participants', { token: newToken, body: { ...lea, email: `other.${t.toLowerCase()}@example.org` } });
    expect(twice.status).toBe(409);
    expect(twice.body.issues[0].field).toBe('studentNumber');
    const badFields = await call('POST', '/api/participants', { token: newToken, body: { ...lea, studentNumber: undefined, fieldOfEducation: 'IT', eqfLevel: 9 } });
    expect(badFields.status).toBe(400);
    expect(badFields.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['eqfLevel', 'fieldOfEducation']);
    // The consortium coordinator who created the institution still reads no personal data.
    expect((await call('GET', `/api/participants/${ref}`, { token: tokens.coordA })).status).toBe(404);
    expect((await call('GET', `/api/participants/${ref}/export`, { token: newToken })).body.participant).toMatchObject({ studentNumber: `A-${t}`, fieldOfEducation: '0613', eqfLevel: 4 });
    expect((await call('DELETE', `/api/participants/${ref}`, { token: newToken })).status).toBe(200);
    expect((await call('GET', `/api/participants/${ref}`, { token: newToken })).body).toMatchObject({ studentNumber: null, fieldOfEducation: null, eqfLevel: null, givenName: null });

    // The coordinator sees the account active; the audit trail holds every change, without the e-mail address or any secret.
    const view = await call('GET', '/api/organisation', { token: tokens.coordA });
    expect(view.body.staff.find((x: { username: string }) => x.username === username)).toMatchObject({ status: 'active', manage: true });
    const trail = await call('GET', '/api/organisation/audit', { token: tokens.coordA });
    expect(trail.status).toBe(200);
    const mine = trail.body.rows.filter((r: { unitId: string }) => r.unitId === inst || r.unitId === site);
    expect(mine.map((r: { action: string }) => r.action).sort()).toEqual(['create-institution', 'create-site', 'invitation-accepted', 'staff-created']);
    expect(mine.every((r: { actor: string; at: string }) => r.actor && r.at)).toBe(true);
    const text = JSON.stringify(trail.body);
    for (const secret of [email, token, password]) expect(text).not.toContain(secret);
  });

  it('refuses, changing nothing: another consortium, a wider role, a read-only role, bad fields, a taken id', async () => {
    const { call } = http(api.base);
    const before = await snapshot();
    const refused = async (tokenKey: string, path: string, body: unknown, status: number, field?: string) => {
      const r = await call('POST', path, { token: tokens[tokenKey], body });
      expect(r.status, `${tokenKey} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(status);
      if (field) expect(r.body.issues?.map((i: { field: string }) => i.field), JSON.stringify(r.body)).toContain(field);
      return r;
    };
    // Another consortium's coordinator does not see consortium A, its new member nor its site.
    await refused('coordB', '/api/organisation/institutions', { id: `X-${t}`, name: 'x', oid: 'E99999991', consortiumId: tn.id.consA }, 404);
    await refused('coordB', '/api/organisation/sites', { id: `X-${t}`, institutionId: inst, name: 'x' }, 404);
    await refused('coordB', `/api/organisation/sites/${site}`, { name: 'stolen' }, 404);
    await refused('coordB', '/api/organisation/staff', { username: `x.${t}`.toLowerCase(), displayName: 'x', email: 'x@example.org', role: 'institution-coordinator', scopeKind: 'institution', scopeId: inst }, 404, 'scopeId');
    // Role escalation: a consortium coordinator may not name a network director, nor give itself the network.
    await refused('coordA', '/api/organisation/staff', { username: `x.${t}`.toLowerCase(), displayName: 'x', email: 'x@example.org', role: 'network-director', scopeKind: 'network', scopeId: tn.id.network }, 403, 'role');
    await refused('coordA', `/api/organisation/staff/${tn.users.coordA}/grants`, { role: 'network-director', scopeKind: 'network', scopeId: tn.id.network }, 403, 'role');
    // An account holding a role wider than mine is not mine to change.
    await refused('ioA1', `/api/organisation/staff/${tn.users.coordA}/grants`, { role: 'observer', scopeKind: 'institution', scopeId: tn.id.a1 }, 403);
    // Read-only roles: the administrative manager and a site coordinator see, but do not manage.
    await refused('adminA', '/api/organisation/sites', { id: `X-${t}`, institutionId: tn.id.a1, name: 'x' }, 403);
    await refused('siteA1', `/api/organisation/sites/${tn.id.siteA1}`, { name: 'x' }, 403);
    expect((await call('GET', '/api/organisation/audit', { token: tokens.adminA })).status).toBe(403);
    // Bad fields, named.
    await refused('coordA', '/api/organisation/institutions', { id: `X-${t}`, name: 'x', oid: 'not-an-oid', consortiumId: tn.id.consA }, 400, 'oid');
    await refused('coordA', '/api/organisation/institutions', { id: `X-${t}`, name: 'x', consortiumId: tn.id.consA }, 400, 'oid');
    await refused('coordA', '/api/organisation/institutions', { id: `X-${t}`, name: 'x', oid: 'E99999992', consortiumId: tn.id.consA, admin: true }, 400, 'admin');
    await refused('coordA', '/api/organisation/staff', { username: 'bad name!', displayName: 'x', email: 'not-an-email', role: 'institution-coordinator', scopeKind: 'institution', scopeId: inst }, 400, 'email');
    await refused('coordA', '/api/organisation/staff', { username: `x.${t}`.toLowerCase(), displayName: 'x', email: 'x@example.org', role: 'site-coordinator', scopeKind: 'institution', scopeId: inst }, 400, 'scopeKind');
    await refused('coordA', '/api/organisation/institutions', { id: tn.id.a2, name: 'x', oid: 'E99999993', consortiumId: tn.id.consA }, 409, 'id');
    await refused('coordA', '/api/organisation/staff', { username, displayName: 'x', email: 'x@example.org', role: 'site-coordinator', scopeKind: 'site', scopeId: site }, 409, 'username');
    // A second coordinator of the consortium would break the rule of one beneficiary.
    await refused('coordA', `/api/organisation/consortia/${tn.id.consA}/members`, { institutionId: inst, coordinationFinance: true }, 409, 'functions');
    expect(await snapshot()).toBe(before);
  });

  it('an expired invitation is refused and changes nothing; a new one supersedes the old link', async () => {
    const { call } = http(api.base);
    const u = `late.${t}`.toLowerCase();
    const r = await call('POST', '/api/organisation/staff', { token: tokens.coordA, body: { username: u, displayName: 'Late Comer', email: `late.${t.toLowerCase()}@example.org`, role: 'site-coordinator', scopeKind: 'site', scopeId: site } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const first = tokenIn(await eventually(async () => invitationsFor(u)[0], 10_000, 'the first invitation'));
    // 73 hours later (the clock of the database, moved for this invitation only).
    await pool.query(`UPDATE staff_invitations SET expires_at = now() - interval '1 hour' WHERE username = $1`, [u]);
    const before = await snapshot();
    const late = await call('POST', '/api/invitations/accept', { body: { token: first, password: `a fine password ${t}` } });
    expect(late.status).toBe(400);
    expect(late.body.message).toMatch(/expired/);
    expect(await snapshot()).toBe(before);

    const resent = await call('POST', `/api/organisation/staff/${u}/invitation`, { token: tokens.coordA });
    expect(resent.status, JSON.stringify(resent.body)).toBe(200);
    const second = tokenIn(await eventually(async () => invitationsFor(u)[1], 10_000, 'the second invitation'));
    expect(second).not.toBe(first);
    expect((await call('POST', '/api/invitations/accept', { body: { token: second, password: `a fine password ${t}` } })).status).toBe(200);
    // A coordinator of another consortium cannot resend, nor learn the account exists.
    expect((await call('POST', `/api/organisation/staff/${u}/invitation`, { token: tokens.coordB })).status).toBe(404);
  });

  it('the network director manages the whole network: a new consortium and the functions of its members', async () => {
    const { call } = http(api.base);
    const cons = `C-${t}`;
    const r = await call('POST', '/api/organisation/consortia', { token: tokens.director, body: { id: cons, networkId: tn.id.network, name: 'New consortium', coordinatorInstitutionId: tn.id.out } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const m = await call('POST', `/api/organisation/consortia/${cons}/members`, { token: tokens.director, body: { institutionId: inst, qualityControl: true } });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    expect(m.body).toEqual({ consortiumId: cons, institutionId: inst, functions: ['quality-control'] });
    // The coordinator of A may not bring its member into the new consortium (it does not manage that consortium).
    expect((await call('POST', `/api/organisation/consortia/${cons}/members`, { token: tokens.coordA, body: { institutionId: tn.id.a2 } })).status).toBe(404);
    const trail = await call('GET', '/api/organisation/audit', { token: tokens.director });
    expect(trail.body.rows.filter((x: { unitId: string }) => x.unitId === cons).map((x: { action: string }) => x.action).sort()).toEqual(['create-consortium', 'set-member']);
  });
});

describe('a new installation', () => {
  it('starts with an operator command: a network and its director, invited by e-mail; the director then signs in to the Organisation page', async () => {
    const t = uniq();
    const network = `NET-${t}`;
    const director = `director.${t}`.toLowerCase();
    const email = `director.${t.toLowerCase()}@network.example.org`;
    const cli = (...args: string[]) => spawnSync(join(cfg.root, 'node_modules', '.bin', 'tsx'), [join(cfg.root, 'bin', 'organisation.ts'), ...args], { env: process.env, encoding: 'utf8', timeout: 60_000 });
    const args = ['init', '--network', network, '--name', 'Réseau nouveau', '--director', director, '--director-name', 'Dana Directrice', '--email', email];

    const bad = cli('init', '--network', network, '--name', 'x', '--director', director, '--director-name', 'x', '--email', 'not-an-address');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^email: /m);
    expect((await pool.query('SELECT 1 FROM tenancy_networks WHERE id = $1', [network])).rowCount).toBe(0);

    const first = cli(...args);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`network ${network}: created`);
    const mail = await eventually(async () => invitationsFor(director)[0], 20_000, 'the invitation e-mail');
    expect(mail.to).toEqual([email]);
    // Again: nothing new is created; the account still has no password, so a fresh link replaces the first.
    const again = cli(...args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('already there');
    const latest = await eventually(async () => invitationsFor(director)[1], 20_000, 'the second invitation');

    const { call, login } = http(api.base);
    const password = `a long passphrase ${t}`;
    expect((await call('POST', '/api/invitations/accept', { body: { token: tokenIn(mail), password } })).status).toBe(400); // superseded
    expect((await call('POST', '/api/invitations/accept', { body: { token: tokenIn(latest), password } })).status).toBe(200);
    const token = await login(director, password);
    const me = await call('GET', '/api/console/me', { token });
    expect(me.body.pages).toContain('organisation');
    const org = await call('GET', '/api/organisation', { token });
    expect(JSON.stringify(org.body)).toContain(network);
    const trail = await call('GET', '/api/organisation/audit', { token });
    expect(trail.body.rows.filter((x: { unitId: string }) => x.unitId === network).map((x: { action: string; actor: string }) => `${x.actor} ${x.action}`).sort())
      .toEqual([`${director} invitation-accepted`, 'operator:cli create-network', 'operator:cli staff-created']);
  });
});
