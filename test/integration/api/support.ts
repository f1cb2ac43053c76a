import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { RoleGrant } from '../../../domain/tenancy';
import { buildApp } from '../../../workers/api/app';
import { saveDirectory, saveStaffUser } from '../../../workers/api/directory';
import { uniq } from '../../support/env';

/** The API on an ephemeral loopback port, over the real pool and Temporal client. */
export async function startApi(pool: pg.Pool, temporal: Client, taskQueue: string, sessionTtlMs?: number) {
  const { app, routes } = await buildApp({ pool, temporal, taskQueue, sessionTtlMs });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${addr.port}`;
  return { app, routes, base, close: () => app.close() };
}

export interface Answer<T = any> { status: number; body: T }

export function http(base: string) {
  const call = async <T = any>(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<T>> => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) : null };
  };
  const login = async (username: string, password: string): Promise<string> => {
    const r = await call<{ token: string }>('POST', '/api/login', { body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.token;
  };
  return { call, login };
}

/**
 * A fresh directory per test file (unique ids): network N with consortium A (three members
 * splitting the functions), consortium B (one member holding all three), an institution outside
 * both, a site of A's coordinator; and one staff account per role, password `pw-<username>`.
 */
export async function seedTenancy(pool: pg.Pool) {
  const t = uniq();
  const id = {
    network: `N-${t}`, consA: `CA-${t}`, consB: `CB-${t}`,
    a1: `IA1-${t}`, a2: `IA2-${t}`, a3: `IA3-${t}`, b1: `IB1-${t}`, out: `IO-${t}`, siteA1: `SA1-${t}`,
  };
  await saveDirectory(pool, {
    networks: [{ id: id.network, name: 'Test network' }],
    institutions: [id.a1, id.a2, id.a3, id.b1, id.out].map((i) => ({ id: i, networkId: id.network, name: `Institution ${i}` })),
    consortia: [
      { id: id.consA, networkId: id.network, name: 'Consortium A', members: [
        { institutionId: id.a1, functions: ['coordination-finance'] },
        { institutionId: id.a2, functions: ['administrative-management'] },
        { institutionId: id.a3, functions: ['quality-control'] },
      ] },
      { id: id.consB, networkId: id.network, name: 'Consortium B', members: [
        { institutionId: id.b1, functions: ['coordination-finance', 'administrative-management', 'quality-control'] },
      ] },
    ],
    sites: [{ id: id.siteA1, institutionId: id.a1, name: 'Site of A1' }],
  });
  const g = (role: RoleGrant['role'], kind: RoleGrant['scope']['kind'], scopeId: string): RoleGrant => ({ role, scope: { kind, id: scopeId } });
  const users = {
    director: g('network-director', 'network', id.network),
    coordA: g('consortium-coordinator', 'consortium', id.consA),
    coordB: g('consortium-coordinator', 'consortium', id.consB),
    adminA: g('administrative-manager', 'consortium', id.consA),
    qualityA: g('quality-controller', 'consortium', id.consA),
    observerA: g('observer', 'consortium', id.consA),
    ioA1: g('institution-coordinator', 'institution', id.a1),
    ioA2: g('institution-coordinator', 'institution', id.a2),
    ioA3: g('institution-coordinator', 'institution', id.a3),
    ioOut: g('institution-coordinator', 'institution', id.out),
    siteA1: g('site-coordinator', 'site', id.siteA1),
  };
  const names = {} as Record<keyof typeof users, string>;
  for (const [key, grant] of Object.entries(users) as [keyof typeof users, RoleGrant][]) {
    const username = `${key}.${t}`.toLowerCase();
    await saveStaffUser(pool, { username, displayName: `${key} of ${t}`, password: `pw-${username}`, roles: [grant] });
    names[key] = username;
  }
  return { t, id, users: names, password: (u: string) => `pw-${u}` };
}

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
export const today = () => new Date().toISOString().slice(0, 10);

/**
 * A five-month HE study mobility starting in 40 days (body of POST /api/mobilities). No rates and no
 * consortium: the server takes both from the registered project. The mobility id is the one the
 * server would give the n-th mobility (a client may name it, within the project).
 */
export function application(projectId: string, n: number, owner: { institutionId: string; consortiumId?: string | null; siteId?: string }, participantRef = unregisteredRef()) {
  const startDate = addDays(today(), 40);
  const { consortiumId: _fromProject, ...who } = owner;
  return {
    mobilityId: `${projectId}-MOB-${String(n).padStart(5, '0')}`, projectId, ...who,
    participantRef, activity: 'HE-SMS', funderLineId: 'erasmus',
    plan: { startDate, endDate: addDays(startDate, 149), receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN-01', distanceKm: 800, greenTravel: false, fewerOpportunities: false },
  };
}

/** The terms of a call-2024 KA131 project of the French NA: 600 €/month to group-2 countries (within the EU range). */
export const KA131_TERMS: Record<string, unknown> = { action: 'KA131', callYear: 2024, country: 'FR', prefinancingPercent: 80, applicableRates: { 'HE-SMS': { '2': { monthlyEur: 600 } } } };
export const LINES = [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 2_000_000, allocatedMobilities: 5 }];
/** A ref in the registry's format that no registry holds (for submissions that must be refused before it matters). */
export const unregisteredRef = () => `P-${Array.from({ length: 12 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[Math.floor(Math.random() * 32)]).join('')}`;

/** A participant in the protected registry (POST /api/participants as `token`); returns the ref applications use. */
export async function participant(base: string, token: string, institutionId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { call } = http(base);
  const r = await call<{ participantRef: string }>('POST', '/api/participants', {
    token, body: { institutionId, givenName: 'Alex', familyName: `Martin ${uniq()}`, email: `alex.${uniq().toLowerCase()}@example.org`, dateOfBirth: '2003-04-12', gender: 'undisclosed', nationality: 'FR', ...extra },
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`participant not registered: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.participantRef;
}

/** Body of POST /api/projects. */
export const project = (projectId: string, institutionId: string, consortiumId: string | null, lines = LINES, terms = KA131_TERMS) => ({ projectId, institutionId, consortiumId, lines, terms });
