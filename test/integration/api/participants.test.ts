import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { kafkaFor } from '../../../infra/kafka/client';
import { headersOf, partitionKey, topicOffsets } from '../../../infra/kafka/consumer';
import { TOPICS } from '../../../infra/kafka/topics';
import { connectTemporal } from '../../../infra/temporal';
import { mobility, registerProject, startMobility } from '../../../workflows/client';
import { saveStaffUser } from '../../../workers/api/directory';
import { fewerOpportunitiesCriterionOf, participantBelongsTo } from '../../../workers/api/participants';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { erasmusLine, newProject, studyApplication, today } from '../workflow/fixtures';
import { http, seedTenancy, startApi } from './support';

/**
 * The participant registry (issue 10, item 6): personal data lives in one protected table, under
 * an opaque ref the server generates; only the participant's institution reads it; erasure leaves
 * nothing of the person readable in Postgres, in the topics or in the workflow histories.
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

/** A date of birth in 1931–1969, unlike any other test's dates. */
const birthDate = () => new Date(Date.UTC(1931, 0, 1) + Math.floor(Math.random() * 14_000) * 86_400_000).toISOString().slice(0, 10);
const person = (t = uniq()) => ({
  givenName: `Zéphyrine-${t}`, familyName: `Quillfeather${t}`, email: `zephyrine.quillfeather.${t.toLowerCase()}@student.example.org`,
  dateOfBirth: birthDate(), gender: 'female', nationality: 'FR', fewerOpportunitiesCriterion: 'FO-03',
});

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `participants-test-${uniq()}` });
  tn = await seedTenancy(pool);
  const observer = `observer-ia1.${tn.t}`.toLowerCase();
  await saveStaffUser(pool, { username: observer, displayName: 'observer of A1', password: `pw-${observer}`, roles: [{ role: 'observer', scope: { kind: 'institution', id: tn.id.a1 } }] });
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login } = http(api.base);
  for (const [key, username] of Object.entries(tn.users)) tokens[key] = await login(username, tn.password(username));
  tokens.observerIA1 = await login(observer, `pw-${observer}`);
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

/** Tables (every schema but the catalogs) whose rows, cast to text, contain each needle (case-insensitive). */
async function postgresHits(needles: string[]): Promise<Record<string, string[]>> {
  const { rows: tables } = await pool.query<{ t: string; name: string }>(
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t, table_name AS name FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1`);
  expect(tables.length).toBeGreaterThan(20);
  const hits: Record<string, string[]> = Object.fromEntries(needles.map((n) => [n, []]));
  for (const { t, name } of tables) {
    const cols = needles.map((_, i) => `count(*) FILTER (WHERE strpos(lower(x::text), lower($${i + 1})) > 0)::int AS n${i}`).join(', ');
    const { rows } = await pool.query(`SELECT ${cols} FROM ${t} x`, needles);
    needles.forEach((n, i) => { if (rows[0][`n${i}`] > 0) hits[n]!.push(name); });
  }
  return hits;
}

/** Every message of the topics, read from the beginning up to their end now: key, value and headers as text. */
async function topicText(): Promise<string[]> {
  const topics = [TOPICS.mobilityEvents.name, TOPICS.projectEvents.name, TOPICS.deadLetter.name];
  const ends = await topicOffsets(cfg, topics, 'admin');
  const seen = new Map<string, bigint>();
  const out: string[] = [];
  const consumer = kafkaFor(cfg, 'pii-scan', 'admin').consumer({ groupId: `pii-scan-${uniq()}` });
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        out.push(`${message.key?.toString() ?? ''}\n${message.value?.toString() ?? ''}\n${JSON.stringify(headersOf(message.headers))}`);
        seen.set(partitionKey(topic, partition), BigInt(message.offset));
      },
    });
    await eventually(async () => [...ends].every(([pk, { low, high }]) => BigInt(high) <= BigInt(low) || (seen.get(pk) ?? -1n) >= BigInt(high) - 1n), 60_000, 'every partition read to its end');
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** A workflow history as text: every string, and every payload's bytes decoded. */
function historyText(history: unknown): string {
  const parts: string[] = [];
  const stack: unknown[] = [history];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') parts.push(v);
    else if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (v && typeof v === 'object') stack.push(...Object.values(v as object));
  }
  return parts.join('\n');
}

describe('participant registry', () => {
  it('registers a participant under an opaque server-made ref; only staff of its institution or site who register applications read it', async () => {
    const { call } = http(api.base);
    const p = person();
    const made = await call('POST', '/api/participants', { token: tokens.ioA1, body: { institutionId: tn.id.a1, ...p } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const ref = made.body.participantRef as string;
    expect(ref).toMatch(/^P-[A-Z2-7]{12}$/);
    expect(ref.toLowerCase()).not.toContain('quill');

    const read = await call('GET', `/api/participants/${ref}`, { token: tokens.ioA1 });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ participantRef: ref, institutionId: tn.id.a1, siteId: null, ...p, erasedAt: null, createdBy: tn.users.ioA1 });
    // Outside the institution — another member, the consortium's roles, the network director, a site: the same 404 as a ref that does not exist.
    for (const who of ['ioA2', 'ioOut', 'coordA', 'adminA', 'qualityA', 'observerA', 'director', 'siteA1']) {
      const r = await call('GET', `/api/participants/${ref}`, { token: tokens[who] });
      expect(r.status, who).toBe(404);
      expect((await call('GET', `/api/participants/${ref}/export`, { token: tokens[who] })).status, who).toBe(404);
      expect((await call('DELETE', `/api/participants/${ref}`, { token: tokens[who] })).status, who).toBe(404);
    }
    expect((await call('GET', '/api/participants/P-AAAAAAAAAAAA', { token: tokens.ioA1 })).status).toBe(404);
    // The institution's observer is read-only: no personal data.
    const observed = await call('GET', `/api/participants/${ref}`, { token: tokens.observerIA1 });
    expect(observed.status).toBe(403);
    expect(observed.body.reason).toMatch(/read-only/);

    // The site coordinator registers for its site only; the institution's coordinator reads the site's participants.
    const forSite = await call('POST', '/api/participants', { token: tokens.siteA1, body: { institutionId: tn.id.a1, siteId: tn.id.siteA1, ...person() } });
    expect(forSite.status, JSON.stringify(forSite.body)).toBe(201);
    expect((await call('GET', `/api/participants/${forSite.body.participantRef}`, { token: tokens.siteA1 })).status).toBe(200);
    expect((await call('GET', `/api/participants/${forSite.body.participantRef}`, { token: tokens.ioA1 })).status).toBe(200);
    expect((await call('POST', '/api/participants', { token: tokens.siteA1, body: { institutionId: tn.id.a1, ...person() } })).status).toBe(403);
    for (const who of ['ioA2', 'coordA', 'director', 'observerIA1']) {
      const refused = await call('POST', '/api/participants', { token: tokens[who], body: { institutionId: tn.id.a1, ...person() } });
      expect(refused.status, who).toBe(403);
      expect(refused.body.reason, who).toEqual(expect.any(String));
    }

    // Bad input names the field; nothing is stored.
    const before = (await pool.query('SELECT count(*)::int AS n FROM participants')).rows[0].n;
    for (const [field, value] of [['dateOfBirth', '9999-99-99'], ['dateOfBirth', '2999-01-01'], ['fewerOpportunitiesCriterion', 'FO-10'], ['email', 'not-an-address'], ['nationality', 'France'], ['nationality', 'ZZ'], ['gender', 'x'], ['givenName', '']] as const) {
      const bad = await call('POST', '/api/participants', { token: tokens.ioA1, body: { institutionId: tn.id.a1, ...person(), [field]: value } });
      expect(bad.status, field).toBe(400);
      expect(bad.body.issues.map((i: { field: string }) => i.field), field).toContain(field);
    }
    const unknown = await call('POST', '/api/participants', { token: tokens.ioA1, body: { institutionId: tn.id.a1, ...person(), healthNotes: 'asthma' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issues.map((i: { field: string }) => i.field)).toContain('healthNotes');
    expect((await call('GET', '/api/participants/P-JeanDupont19900412', { token: tokens.ioA1 })).status).toBe(400);
    expect((await pool.query('SELECT count(*)::int AS n FROM participants')).rows[0].n).toBe(before);

    // What the submit route asks the registry, and the mail contact the reminders use.
    expect(await participantBelongsTo(pool, ref, tn.id.a1)).toBe(true);
    expect(await participantBelongsTo(pool, ref, tn.id.a2)).toBe(false);
    expect(await participantBelongsTo(pool, 'P-JeanDupont19900412', tn.id.a1)).toBe(false);
    expect(await fewerOpportunitiesCriterionOf(pool, ref)).toBe('FO-03');
    expect((await pool.query('SELECT email, display_name FROM participant_contacts WHERE participant_ref = $1', [ref])).rows).toEqual([{ email: p.email, display_name: `${p.givenName} ${p.familyName}` }]);

    // Erased again, so later scans find only their own participant.
    for (const r of [ref, forSite.body.participantRef]) expect((await call('DELETE', `/api/participants/${r}`, { token: tokens.ioA1 })).status).toBe(200);
  });

  it('erasure: no personal datum of the participant remains readable in Postgres, in the topics or in the histories of the mobilities that used the ref', async () => {
    const { call } = http(api.base);
    const p = person();
    const made = await call('POST', '/api/participants', { token: tokens.ioA1, body: { institutionId: tn.id.a1, ...p } });
    expect(made.status).toBe(201);
    const ref = made.body.participantRef as string;
    const needles = [p.givenName, p.familyName, p.email, p.dateOfBirth];

    // Two mobilities use the ref (started directly, as the submit route does once it takes only the ref).
    const { projectId, mobilityId } = newProject();
    await registerProject(temporal, cfg.temporal.taskQueue, { projectId, institutionId: tn.id.a1, lines: erasmusLine(5_000_000, 5) });
    const ids = [mobilityId(1), mobilityId(2)];
    for (const id of ids) {
      const app = studyApplication(id, projectId, today(), { participantRef: ref });
      await startMobility(temporal, cfg.temporal.taskQueue, { ...app, institutionId: tn.id.a1, plan: { ...app.plan, fewerOpportunities: true } });
    }
    expect(await mobility(temporal, ids[0]!).act('select', { actor: tn.users.ioA1 })).toMatchObject({ stage: 'selected' });
    await eventually(async () => (await pool.query('SELECT count(*)::int AS n FROM mobility_applications WHERE participant_ref = $1', [ref])).rows[0].n === 2, 30_000, 'both applications projected');

    // Before: the scans find the person where the registry keeps them, and only there.
    const held = await postgresHits(needles);
    expect(held[p.familyName]!.sort()).toEqual(['participant_contacts', 'participants']);
    expect(held[p.email]!.sort()).toEqual(['participant_contacts', 'participants']);
    expect(held[p.dateOfBirth]).toEqual(['participants']);
    const exported = await call('GET', `/api/participants/${ref}/export`, { token: tokens.ioA1 });
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({ participant: { ...p, participantRef: ref }, contact: { email: p.email } });
    expect(exported.body.mobilities.map((m: { mobilityId: string }) => m.mobilityId).sort()).toEqual(ids);

    const erased = await call('DELETE', `/api/participants/${ref}`, { token: tokens.ioA1 });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).toMatchObject({ participantRef: ref, contactRemoved: true, alreadyErased: false });

    // Postgres: nothing of the person in any table; the ref and the audit trail remain.
    const after = await postgresHits([...needles, ref]);
    for (const n of needles) expect(after[n], n).toEqual([]);
    expect(after[ref]).toEqual(expect.arrayContaining(['participants', 'participant_audit', 'mobility_applications']));
    const record = await call('GET', `/api/participants/${ref}`, { token: tokens.ioA1 });
    expect(record.body).toMatchObject({ participantRef: ref, institutionId: tn.id.a1, givenName: null, familyName: null, email: null, dateOfBirth: null, gender: null, nationality: null, fewerOpportunitiesCriterion: null, erasedAt: erased.body.erasedAt });
    const trail = (await call('GET', `/api/participants/${ref}/export`, { token: tokens.ioA1 })).body;
    expect(trail.contact).toBeNull();
    expect(trail.audit.map((a: { action: string }) => a.action)).toEqual(['registered', 'exported', 'erased', 'read', 'exported']);
    expect(await participantBelongsTo(pool, ref, tn.id.a1)).toBe(false);
    expect(await fewerOpportunitiesCriterionOf(pool, ref)).toBeNull();
    const again = await call('DELETE', `/api/participants/${ref}`, { token: tokens.ioA1 });
    expect(again.body).toMatchObject({ alreadyErased: true, erasedAt: erased.body.erasedAt });

    // The topics, from the beginning: the mobilities' events are there under the ref, the person is not.
    const messages = await topicText();
    const ours = messages.filter((m) => m.includes(ref) || ids.some((id) => m.includes(id)));
    expect(messages.filter((m) => m.includes(ref)).length).toBeGreaterThanOrEqual(2); // both ApplicationSubmitted
    expect(ours.length).toBeGreaterThanOrEqual(3); // and at least the ParticipantSelected
    for (const n of needles) expect(messages.filter((m) => m.toLowerCase().includes(n.toLowerCase())), n).toEqual([]);
    // (criterion codes are common to many participants: looked for in this participant's messages only)
    expect(ours.filter((m) => m.includes('FO-03'))).toEqual([]);

    // The histories of both mobilities: the ref, and nothing of the person.
    for (const id of ids) {
      const text = historyText(await mobility(temporal, id).handle.fetchHistory());
      expect(text, id).toContain(ref);
      for (const n of [...needles, 'FO-03']) expect(text.toLowerCase().includes(n.toLowerCase()), `${id}: ${n}`).toBe(false);
    }
  });
});
