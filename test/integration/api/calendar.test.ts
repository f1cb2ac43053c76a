import type { Client } from '@temporalio/client';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEADLINE_LABELS, type DeadlineId } from '../../../domain/calendar/deadlines';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { application, http, participant, project, seedTenancy, startApi, today } from './support';

/**
 * Private iCalendar feeds of due dates (issue 13 item 7) on the real stack: agreed mobilities of two
 * consortium members and of an institution outside, their schedules folded by the projector, feeds
 * created by staff in their own scope and read without a session by a tokenised URL, parsed with
 * ical.js (RFC 5545): the right events and only those, stable UIDs, no personal data; a revoked or
 * unknown token answers 404.
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
const projectOut = `2024-1-FR01-KA131-HED-${uniq()}`;
const ids = { a1: '', a3: '', out: '' };
const familyA1 = `Calendrier${uniq()}`;

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `calendar-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await login(username, tn.password(username));
  const must = async (r: Promise<{ status: number; body: any }>, status = 200) => {
    const a = await r;
    expect(a.status, JSON.stringify(a.body)).toBe(status);
    return a.body;
  };
  await must(call('POST', '/api/projects', { token: tokens.coordA, body: project(projectA, tn.id.a1, tn.id.consA) }));
  await must(call('POST', '/api/projects', { token: tokens.ioOut, body: project(projectOut, tn.id.out, null) }));
  const agreed = async (projectId: string, n: number, who: string, institutionId: string, consortiumId: string | null, signer: string, extra: Record<string, unknown> = {}) => {
    const app = application(projectId, n, { institutionId, consortiumId }, await participant(api.base, tokens[who]!, institutionId, extra));
    await must(call('POST', '/api/mobilities', { token: tokens[who], body: app }), 201);
    await must(call('POST', `/api/mobilities/${app.mobilityId}/actions/select`, { token: tokens[who], body: {} }));
    await must(call('POST', `/api/mobilities/${app.mobilityId}/actions/signAgreement`, { token: tokens[signer], body: { participantSignedOn: today(), institutionSignedOn: today() } }));
    return app.mobilityId;
  };
  ids.a1 = await agreed(projectA, 1, 'ioA1', tn.id.a1, tn.id.consA, 'adminA', { familyName: familyA1 });
  ids.a3 = await agreed(projectA, 2, 'ioA3', tn.id.a3, tn.id.consA, 'adminA');
  ids.out = await agreed(projectOut, 1, 'ioOut', tn.id.out, null, 'ioOut');
  await eventually(async () => {
    const { rows } = await pool.query<{ mobility_id: string; deadlines: string[] }>(
      `SELECT s.mobility_id, array_agg(s.deadline ORDER BY s.deadline) AS deadlines FROM quality_schedule s WHERE s.mobility_id = ANY($1) GROUP BY 1`,
      [Object.values(ids)]);
    if (rows.length === 3) return true;
    const dead = (await pool.query('SELECT count(*)::int AS n FROM projection_dead_letters')).rows[0].n;
    throw new Error(`schedules so far ${JSON.stringify(rows)}, dead letters ${dead}`);
  }, 60_000, 'the three agreed mobilities\' schedules folded');
}, 300_000);

afterAll(async () => {
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

async function createFeed(token: string, kind: string, id: string) {
  return http(api.base).call('POST', '/api/calendar-feeds', { token, body: { scope: { kind, id } } });
}
/** The feed as a calendar client reads it: no session, parsed with ical.js. */
async function readFeed(path: string) {
  const res = await fetch(api.base + path);
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, text, events: [] as { uid: string; summary: string; start: string; isDate: boolean; alarms: number }[] };
  expect(res.headers.get('content-type')).toContain('text/calendar');
  const cal = new ICAL.Component(ICAL.parse(text));
  expect(cal.name).toBe('vcalendar');
  expect(cal.getFirstPropertyValue('version')).toBe('2.0');
  expect(cal.getFirstPropertyValue('prodid')).toBeTruthy();
  const events = cal.getAllSubcomponents('vevent').map((c) => {
    const e = new ICAL.Event(c);
    return { uid: e.uid, summary: e.summary, start: e.startDate.toString(), isDate: e.startDate.isDate, alarms: c.getAllSubcomponents('valarm').length };
  });
  return { status: 200, text, events };
}
const scheduleOf = async (mobilityIds: string[]) =>
  (await pool.query<{ mobility_id: string; deadline: string; due: string }>(
    `SELECT mobility_id, deadline, to_char(due_on, 'YYYY-MM-DD') AS due FROM quality_schedule WHERE mobility_id = ANY($1) ORDER BY 1, 2`, [mobilityIds])).rows;

describe('calendar feeds', () => {
  it("an institution's feed lists its mobilities' open due dates as all-day events with stable UIDs, and nothing of another institution", async () => {
    const made = await createFeed(tokens.ioA1!, 'institution', tn.id.a1);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.path).toMatch(/^\/cal\/[A-Za-z0-9_-]{43}\.ics$/);
    expect(made.body.url).toContain(made.body.path);
    const feed = await readFeed(made.body.path);
    expect(feed.status, feed.text).toBe(200);
    const expected = (await scheduleOf([ids.a1])).map((r) => ({ uid: `${r.mobility_id}/${r.deadline}@mobility-engine`, summary: `${r.mobility_id}: ${DEADLINE_LABELS[r.deadline as DeadlineId]}`, start: r.due, isDate: true }));
    expect(expected.length).toBeGreaterThan(0);
    expect(feed.events.map(({ alarms: _, ...e }) => e).sort((a, b) => a.uid.localeCompare(b.uid))).toEqual(expected.sort((a, b) => a.uid.localeCompare(b.uid)));
    expect(feed.text).not.toContain(ids.a3);
    expect(feed.text).not.toContain(ids.out);
    // Mobility ids and deadline labels only: no participant's name or ref.
    expect(feed.text).not.toContain(familyA1);
    expect(feed.text).not.toMatch(/P-[A-Z2-7]{12}/);
    // The same feed again: the same events (UIDs stable).
    expect((await readFeed(made.body.path)).events.map((e) => e.uid).sort()).toEqual(feed.events.map((e) => e.uid).sort());
    // The token itself is stored only as its hash, and never listed again.
    const token = made.body.path.slice(5, -4);
    expect((await pool.query('SELECT count(*)::int AS n FROM calendar_feeds WHERE token_hash = $1', [token])).rows[0].n).toBe(0);
    const list = await http(api.base).call('GET', '/api/calendar-feeds', { token: tokens.ioA1 });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body.feeds.map((f: { id: number }) => f.id)).toContain(made.body.id);
  });

  it("a consortium's feed holds both members' mobilities and not the institution outside; scopes outside the creator's view answer 404", async () => {
    const made = await createFeed(tokens.coordA!, 'consortium', tn.id.consA);
    expect(made.status).toBe(201);
    const feed = await readFeed(made.body.path);
    const uids = new Set(feed.events.map((e) => e.uid.split('/')[0]));
    expect([...uids].sort()).toEqual([ids.a1, ids.a3].sort());
    expect(feed.events.filter((e) => e.uid.endsWith('/prefinancing-payment@mobility-engine')).every((e) => e.alarms === 1)).toBe(true);
    expect((await createFeed(tokens.ioOut!, 'institution', tn.id.a1)).status).toBe(404);
    expect((await createFeed(tokens.ioA1!, 'consortium', tn.id.consA)).status).toBe(404);
    expect((await createFeed(tokens.coordB!, 'consortium', tn.id.consA)).status).toBe(404);
    expect((await createFeed(tokens.siteA1!, 'institution', tn.id.a1)).status).toBe(404);
    const bad = await createFeed(tokens.ioA1!, 'network', tn.id.a1);
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { field: string }) => i.field)).toEqual(['scope.kind']);
    // A site's feed: valid, and empty (no mobility registered on the site).
    const site = await createFeed(tokens.siteA1!, 'site', tn.id.siteA1);
    expect(site.status).toBe(201);
    expect((await readFeed(site.body.path)).events).toEqual([]);
  });

  it('a revoked or unknown token answers 404; only its creator revokes a feed', async () => {
    const made = await createFeed(tokens.ioOut!, 'institution', tn.id.out);
    expect(made.status).toBe(201);
    const before = await readFeed(made.body.path);
    expect(before.events.map((e) => e.uid.split('/')[0])).toContain(ids.out);
    const { call } = http(api.base);
    expect((await call('DELETE', `/api/calendar-feeds/${made.body.id}`, { token: tokens.ioA1 })).status).toBe(404);
    expect((await readFeed(made.body.path)).status).toBe(200);
    const revoked = await call('DELETE', `/api/calendar-feeds/${made.body.id}`, { token: tokens.ioOut });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeTruthy();
    expect((await readFeed(made.body.path)).status).toBe(404);
    expect((await readFeed(`/cal/${'A'.repeat(43)}.ics`)).status).toBe(404);
    expect((await readFeed('/cal/not-a-token.ics')).status).toBe(400);
  });
});
