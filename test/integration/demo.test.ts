import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROJECT, DEMO_VET_PROJECT, type DemoResult, runDemo } from '../../bin/demo';
import { computeMobilityGrant } from '../../domain/grant';
import { createPool } from '../../infra/db/pool';
import { kafkaFor } from '../../infra/kafka/client';
import { TOPICS } from '../../infra/kafka/topics';
import { connectTemporal } from '../../infra/temporal';
import { mobility } from '../../workflows/client';
import { incoming } from '../../workflows/incoming.client';
import { demoApi } from '../../bin/demo-api';
import { sha256Of } from '../../infra/documents/store';
import { scanForPii } from '../../workers/projections/pii-scan';
import { rebuildProjections } from '../../workers/projections/rebuild';
import { ALL_PROJECTIONS, startProjector } from '../../workers/projector';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { caughtUp } from './projections/support';
import { testConfig, uniq } from '../support/env';

/**
 * The demo, driven end to end on the real stack (a smaller run of it, on fresh projects): it covers
 * every stage, both projects and the flags the console shows; a second run starts nothing again and
 * publishes nothing again; every event it emits is free of personal data; and the budget figures
 * folded into Postgres agree to the cent with the sum of the domain's grant breakdowns, unchanged
 * by a projector restart and by a full rebuild from the topics.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const names = ALL_PROJECTIONS.map((p) => p.name);
const projectId = `2024-1-FR01-KA131-HED-${uniq()}`;
const vetProjectId = `2024-1-FR01-KA121-VET-${uniq()}`;
const projects = { [DEMO_PROJECT]: projectId, [DEMO_VET_PROJECT]: vetProjectId };
let demo: DemoResult;
let client: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let ids: string[] = [];

async function readTopic(topic: string, keyPrefixes: string[], want: (n: number) => boolean): Promise<unknown[]> {
  const keyPrefix = keyPrefixes.join(' | ');
  const consumer = kafkaFor(cfg, 'demo-test').consumer({ groupId: `demo-test-${uniq()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} messages of ${keyPrefix} on ${topic}`)), 60_000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          if (!keyPrefixes.some((p) => message.key?.toString().startsWith(p))) return;
          seen.push(JSON.parse(message.value!.toString()));
          if (want(seen.length)) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

const lineTotals = async () =>
  (await pool.query('SELECT * FROM budget_line_totals WHERE project_id = $1 ORDER BY funder_line_id', [projectId])).rows as Record<string, unknown>[];

beforeAll(async () => {
  client = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  demo = await runDemo(cfg, client, { projects, count: 36, log: () => undefined, tty: false });
  ids = demo.ids;
});

afterAll(async () => {
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await client?.connection.close();
  await pool.end();
});

describe('the demo on the real stack', () => {
  it('spreads its mobilities over every stage, both projects, several activities; some overdue, fewer-opportunity and green', async () => {
    const stages = new Set<string>();
    for (const id of ids) stages.add((await mobility(client, id).view()).stage);
    expect([...stages].sort()).toEqual(['agreed', 'applied', 'attended', 'cancelled', 'departed', 'recognised', 'rejected', 'reported', 'reserve-list', 'selected', 'withdrawn']);
    expect(new Set(demo.mobilities.map((m) => m.projectId))).toEqual(new Set([projectId, vetProjectId]));
    expect(new Set(demo.mobilities.map((m) => m.app.activity)).size).toBeGreaterThanOrEqual(4);
    expect(demo.mobilities.some((m) => m.target === 'departed-overdue')).toBe(true);
    expect(demo.mobilities.some((m) => m.app.plan.fewerOpportunities)).toBe(true);
    expect(demo.mobilities.some((m) => m.app.plan.greenTravel)).toBe(true);
    expect(new Set(demo.mobilities.map((m) => m.siteId).filter(Boolean))).toEqual(new Set(['F-LYON-003-BRON', 'F-PARIS-001-NORD']));
  });

  it('nominates incoming stays at their stages and attaches documents through the API; a recognised learner\'s open badge verifies', async () => {
    // An incoming student at Lyon (arrived), a staff member at Lyon (nominated), an invited expert at Paris (certified).
    expect(demo.incoming.map((i) => [i.incomingId.split('-MOB-')[0], i.stage])).toEqual([['IN-F-LYON-003', 'arrived'], ['IN-F-LYON-003', 'nominated'], ['IN-F-PARIS-001', 'certified']]);
    for (const i of demo.incoming) {
      const st = await incoming(client, i.incomingId).state();
      expect(st.stage).toBe(i.stage);
      if (st.stage !== 'none') expect(st.identity.participantRef).toBe(i.participantRef);
    }
    // Each document's SHA-256 is in its mobility's state, as the workflow recorded it.
    expect(demo.documents.map((d) => d.kind).sort()).toEqual(['certificate-of-attendance', 'grant-agreement', 'grant-agreement']);
    expect(demo.documents.every((d) => d.created)).toBe(true);
    for (const d of demo.documents) {
      const st = await mobility(client, d.mobilityId).state();
      if (st.stage === 'none') throw new Error('no mobility');
      expect(st.documents.find((x) => x.kind === d.kind)?.sha256).toBe(d.sha256);
    }
    // A recognised learner with a Europass record and an open badge: both downloadable, and the badge verifies.
    const recognised = demo.mobilities.find((m) => m.institutionId === 'F-GRENOB-002' && m.steps.some(([n, p]) => n === 'recordRecognition' && 'openBadge' in p && p.openBadge && p.europass))!;
    expect(recognised).toBeDefined();
    const api = await demoApi(cfg, pool, client);
    try {
      const grenoble = await api.as('grenoble');
      const records = await grenoble.get(`/api/mobilities/${recognised.mobilityId}/records`);
      expect(records.status).toBe(200);
      expect(Object.fromEntries(records.body.records.map((r: { kind: string; available: boolean }) => [r.kind, r.available]))).toMatchObject({ europass: true, 'open-badge': true });
      const pdf = await grenoble.get(`/api/mobilities/${recognised.mobilityId}/europass.pdf`);
      expect(pdf.status).toBe(200);
      expect(Buffer.from(pdf.body).subarray(0, 5).toString()).toBe('%PDF-');
      const badge = await grenoble.get(`/api/mobilities/${recognised.mobilityId}/badge`);
      expect(badge.status).toBe(200);
      const verified = await grenoble.post('/api/credentials/verify', { credential: badge.body });
      expect(verified.body).toMatchObject({ valid: true, issuedByThisEngine: true });
      // A document downloads as the bytes whose SHA-256 the workflow holds.
      const lyon = await api.as('lyon');
      const doc = demo.documents.find((d) => d.kind === 'certificate-of-attendance')!;
      const listed = await lyon.get(`/api/mobilities/${doc.mobilityId}/documents`);
      const got = await lyon.get(listed.body.documents[0].downloadPath);
      expect(sha256Of(Buffer.from(got.body))).toBe(doc.sha256);
    } finally {
      await api.close();
    }
  });

  it('is idempotent: a second run drives nothing, starts no workflow again and publishes no event again', async () => {
    const snapshot = () => Promise.all([
      ...ids.map(async (id) => {
        const d = await mobility(client, id).handle.describe();
        return { runId: d.runId, published: (await mobility(client, id).view()).eventsPublished };
      }),
      ...demo.incoming.map(async (i) => {
        const d = await incoming(client, i.incomingId).handle.describe();
        return { runId: d.runId, published: d.historyLength };
      }),
    ]);
    const before = await snapshot();
    const again = await runDemo(cfg, client, { projects, count: 36, log: () => undefined, tty: false });
    expect(again.ids).toEqual(ids);
    expect(again.driven).toEqual([]);
    expect(again.incoming).toEqual(demo.incoming);
    expect(again.documents).toEqual(demo.documents.map((d) => ({ ...d, created: false })));
    const after = await snapshot();
    expect(after).toEqual(before);
  });

  it('emits only pseudonymous events: no names, e-mail addresses or special-category data', async () => {
    const published = await Promise.all(ids.map(async (id) => (await mobility(client, id).view()).eventsPublished));
    const total = published.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20);
    const events = await readTopic(TOPICS.mobilityEvents.name, [projectId, vetProjectId], (n) => n >= total);
    expect(events).toHaveLength(total);
    const projectEvents = await readTopic(TOPICS.projectEvents.name, [projectId, vetProjectId], (n) => n >= 2);
    const findings = [...events, ...projectEvents].flatMap((e) => scanForPii(e));
    expect(findings).toEqual([]);
    // The contacts the reminders go to exist, but only in Postgres.
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM participant_contacts WHERE email LIKE $1', ['p-%@student.example.org']);
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('folds budget figures that agree to the cent with the domain breakdowns, through a restart and a rebuild', { timeout: 180_000 }, async () => {
    // What the domain says each mobility holds on its funder line: the final grant once attendance
    // is certified, else the estimate of a selected mobility; nothing for an application, the reserve list or a cancellation.
    const expected = new Map<string, number>();
    for (const id of ids.filter((i) => i.startsWith(projectId))) {
      const m = mobility(client, id);
      const [state, grant] = await Promise.all([m.state(), m.grant()]);
      if (state.stage === 'none' || ['applied', 'reserve-list', 'cancelled', 'rejected', 'withdrawn'].includes(state.stage)) continue;
      const breakdown = grant.final ?? grant.estimated!;
      expect(breakdown.totalCents).toBe(breakdown.lines.reduce((s, l) => s + l.amountCents, 0));
      expected.set(state.identity.funderLineId, (expected.get(state.identity.funderLineId) ?? 0) + breakdown.totalCents);
    }
    expect(expected.size).toBe(2);

    // One of them recomputed from its inputs by the calculator itself: the workflow used the domain.
    const selected = demo.mobilities.find((m) => m.projectId === projectId && (m.target === 'selected' || m.target === 'agreed'))!;
    const first = await mobility(client, selected.mobilityId).state();
    if (first.stage === 'none') throw new Error('no application');
    const again = computeMobilityGrant({
      callYear: 2024, activity: first.identity.activity, sendingCountry: first.plan.sendingCountry, receivingCountry: first.plan.receivingCountry,
      startDate: first.plan.startDate, endDate: first.plan.endDate, distanceKm: first.plan.distanceKm ?? undefined, greenTravel: first.plan.greenTravel,
      fewerOpportunities: first.plan.fewerOpportunities, rates: { monthlyEur: 600, dailyEur: 120 },
    });
    expect((await mobility(client, selected.mobilityId).grant()).estimated!.totalCents).toBe(again.totalCents);

    const groupId = `projector-demo-${uniq()}`;
    const projector = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId });
    await caughtUp(cfg, pool, names, 90_000);
    const live = await lineTotals();
    expect(live.map((r) => [r.funder_line_id, r.committed_cents])).toEqual([...expected.entries()].sort().map(([k, v]) => [k, v]));
    // Each line's figure is the sum of its drill-down rows (mobility × rule line).
    for (const r of live) {
      const { rows } = await pool.query('SELECT COALESCE(sum(amount_cents), 0)::bigint AS s FROM budget_mobility_grant_lines WHERE project_id = $1 AND funder_line_id = $2', [projectId, r.funder_line_id]);
      expect(Number(rows[0].s)).toBe(r.committed_cents);
    }

    await projector.stop();
    const restarted = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId });
    await caughtUp(cfg, pool, names, 90_000);
    await restarted.stop();
    expect(await lineTotals()).toEqual(live);

    await rebuildProjections(cfg, pool, ALL_PROJECTIONS, () => undefined);
    expect(await lineTotals()).toEqual(live);
  });
});
