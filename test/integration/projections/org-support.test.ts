import { afterAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../domain/envelope';
import type { GrantBreakdown } from '../../../domain/grant/breakdown';
import { rateTableFor } from '../../../domain/grant/rates';
import { type CertifiedParticipant, participantSupportLines, projectGrant, receivesRealCostInclusionSupport } from '../../../domain/project';
import { createPool } from '../../../infra/db/pool';
import type { IncomingMessage } from '../../../infra/kafka/consumer';
import { TOPICS } from '../../../infra/kafka/topics';
import { ALL_PROJECTIONS } from '../../../workers/projector';
import { foldBatch, foldBatchInTx } from '../../../workers/projections/runner';
import { testConfig, uniq } from '../../support/env';
import { asMessage, engineKeys, type MobilityPlan, mobilityStory, type Outcome, rng } from './stream';

/**
 * Organisational support and inclusion support for organisations, as the budget projection shows
 * them, are the domain's: per participant what participantSupportLines gives, per project what
 * projectGrant gives for the same counts, with no rate in SQL. The events of one project's
 * mobilities are spread over two partitions, shuffled, and folded batch by batch by two concurrent
 * transactions (the projector's own fold, on partition numbers no real topic has).
 */
const cfg = testConfig();
const pool = createPool(cfg);
/** Every projection table keyed by mobility (a projection added later is cleaned too: its rows here never reach a topic, so a rebuild could not refold them). */
const mobilityTables = async (): Promise<string[]> =>
  (await pool.query<{ table_name: string }>(
    "SELECT DISTINCT table_name FROM information_schema.columns WHERE column_name = 'mobility_id' AND table_name = ANY($1) ORDER BY 1",
    [ALL_PROJECTIONS.flatMap((p) => p.tables ?? [])],
  )).rows.map((r) => r.table_name);
const used: { prefix: string; partitions: number[] }[] = [];

afterAll(async () => {
  const tables = await mobilityTables();
  for (const { prefix, partitions } of used) {
    for (const t of tables) await pool.query(`DELETE FROM ${t} WHERE mobility_id LIKE $1`, [`${prefix}%`]);
    await pool.query('DELETE FROM processed_events WHERE event_id LIKE $1', [`${prefix}%`]);
    await pool.query('DELETE FROM projection_offsets WHERE topic = $1 AND partition = ANY($2)', [TOPICS.mobilityEvents.name, partitions]);
  }
  await pool.end();
});

interface Group { activity: NonNullable<MobilityPlan['activity']>; n: number; outcome?: Outcome; callYear?: number }

/** One project's events: `groups` of mobilities with an activity, an outcome (random if unset) and a final-grant call year. */
function projectStream(seed: number, projectId: string, groups: readonly Group[]): EventEnvelope[] {
  const r = rng(seed);
  const events: EventEnvelope[] = [];
  let n = 0;
  for (const g of groups) {
    for (let i = 0; i < g.n; i++) {
      const story = mobilityStory(r, { projectId, institutionId: 'F-PARIS-001', consortiumId: null, n: ++n, funderLineId: r.chance(0.7) ? 'EPLUS' : 'REGION', activity: g.activity }, g.outcome);
      for (const e of story.events) {
        if (e.type !== 'AttendanceCertified' || g.callYear === undefined) events.push(e);
        else events.push({ ...e, payload: { ...e.payload, finalGrant: { ...(e.payload.finalGrant as GrantBreakdown), callYear: g.callYear } } });
      }
    }
  }
  return events;
}

/** The certified participants of a stream, read from the events alone. */
function certifiedParticipants(events: readonly EventEnvelope[]): CertifiedParticipant[] {
  return events.filter((e) => e.type === 'AttendanceCertified').map((e) => {
    const p = e.payload as { facts: { activity: string; fewerOpportunities: boolean }; finalGrant: GrantBreakdown };
    return { mobilityId: e.mobilityId, activity: p.facts.activity, certifiedAt: e.occurredAt, fewerOpportunities: p.facts.fewerOpportunities, finalGrant: p.finalGrant };
  });
}

const incoming = (events: readonly EventEnvelope[], partition: number): IncomingMessage[] =>
  events.map(asMessage).map((m, offset) => ({ topic: TOPICS.mobilityEvents.name, partition, offset: String(offset), key: m.key, value: Buffer.from(m.value), headers: m.headers ?? {} }));

/** Folds the events through two partitions at once, each shuffled and cut into random batches. */
async function foldConcurrently(events: readonly EventEnvelope[], seed: number): Promise<number[]> {
  const r = rng(seed);
  const base = 2_000_000 + Math.floor(Math.random() * 1e6) * 2;
  const partitions = [base, base + 1];
  const logs: EventEnvelope[][] = [[], []];
  const side = new Map<string, number>();
  for (const e of events) {
    if (!side.has(e.mobilityId)) side.set(e.mobilityId, r.int(0, 1));
    logs[side.get(e.mobilityId)!]!.push(e);
  }
  await Promise.all(logs.map(async (log, k) => {
    for (let i = log.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [log[i], log[j]] = [log[j]!, log[i]!];
    }
    const messages = incoming(log, partitions[k]!);
    for (let at = 0; at < messages.length;) {
      const end = Math.min(messages.length, at + r.int(1, 40));
      const res = await foldBatch(pool, ALL_PROJECTIONS, { topic: TOPICS.mobilityEvents.name, partition: partitions[k]!, messages: messages.slice(at, end), highWatermark: String(messages.length) }, { projector: 'org-support', dlq: null, keys: engineKeys() });
      expect(res.seekTo).toBeUndefined();
      at = end;
    }
  }));
  return partitions;
}

const byRule = (lines: readonly { rule_id?: string; ruleId?: string; amount_cents?: number; amountCents?: number }[]) => {
  const m = new Map<string, number>();
  for (const l of lines) m.set((l.rule_id ?? l.ruleId)!, (m.get((l.rule_id ?? l.ruleId)!) ?? 0) + (l.amount_cents ?? l.amountCents)!);
  return [...m].filter(([, c]) => c > 0).sort();
};

async function shown(projectId: string) {
  const org = (await pool.query('SELECT * FROM budget_org_support_lines WHERE project_id = $1', [projectId])).rows;
  const inclusion = (await pool.query('SELECT * FROM budget_org_inclusion_lines WHERE project_id = $1', [projectId])).rows;
  const { rows: [totals] } = await pool.query(
    `SELECT sum(org_support_cents)::bigint AS org, sum(org_inclusion_support_cents)::bigint AS inclusion, sum(org_support_participants)::bigint AS participants
       FROM budget_consumption WHERE project_id = $1`, [projectId]);
  return { org, inclusion, totals };
}

describe('organisational support in the budget projection is the domain\'s', () => {
  it('KA131 above the 100th participant, BIPs and inclusion: equal to projectGrant and to each participant\'s domain line', { timeout: 120_000 }, async () => {
    const projectId = `2024-1-FR01-KA131-HED-${uniq()}`;
    const events = projectStream(41, projectId, [
      { activity: 'HE-SMS', n: 130, outcome: 'certified' },
      { activity: 'HE-BIP', n: 15, outcome: 'recognised' },
      { activity: 'HE-SMP', n: 12 },
    ]);
    used.push({ prefix: projectId, partitions: await foldConcurrently(events, 7) });

    const participants = certifiedParticipants(events);
    const ka131 = participants.filter((p) => p.activity !== 'HE-BIP').length;
    expect(ka131).toBeGreaterThan(130);
    const want = projectGrant({
      callYear: 2024, action: 'KA131', participants: ka131, bipParticipants: 15,
      inclusionSupportParticipants: participants.filter(receivesRealCostInclusionSupport).length,
    });
    expect(want.lines.map((l) => l.ruleId)).toEqual(expect.arrayContaining(['ORG-KA131', 'ORG-KA131-ABOVE-100', 'ORG-KA131-BIP', 'ORG-INCLUSION']));

    const { org, inclusion, totals } = await shown(projectId);
    expect(byRule([...org, ...inclusion])).toEqual(byRule(want.lines));
    expect(totals.org + totals.inclusion).toBe(want.totalCents);
    expect(totals.participants).toBe(participants.length);
    // Participant by participant: the rank by certification time and the tier of that rank.
    const lines = participantSupportLines(participants);
    const row = (mobilityId: string, ruleId: string, rank: number, cents: number) => ({ mobilityId, ruleId, rank, cents });
    expect(org.map((r) => row(r.mobility_id, r.rule_id, r.participant_rank, r.amount_cents)).sort((a, b) => a.mobilityId.localeCompare(b.mobilityId)))
      .toEqual(lines.filter((l) => l.kind === 'organisational').map((l) => row(l.mobilityId, l.ruleId, l.participantRank, l.amountCents)).sort((a, b) => a.mobilityId.localeCompare(b.mobilityId)));
    expect(inclusion.map((r) => r.mobility_id).sort()).toEqual(lines.filter((l) => l.kind === 'inclusion').map((l) => l.mobilityId).sort());
  });

  it('prices by the call year of each final grant: a KA122 project of call 2023 earns projectGrant of call 2023', { timeout: 120_000 }, async () => {
    const projectId = `2023-1-FR01-KA122-VET-${uniq()}`;
    const events = projectStream(43, projectId, [{ activity: 'VET-LEARN-ST', n: 25, outcome: 'certified', callYear: 2023 }]);
    used.push({ prefix: projectId, partitions: await foldConcurrently(events, 9) });

    const participants = certifiedParticipants(events);
    const inclusionParticipants = participants.filter(receivesRealCostInclusionSupport).length;
    expect(inclusionParticipants).toBeGreaterThan(0);
    const want = projectGrant({ callYear: 2023, action: 'KA122', participants: participants.length, inclusionSupportParticipants: inclusionParticipants });
    const { org, inclusion, totals } = await shown(projectId);
    expect(byRule([...org, ...inclusion])).toEqual(byRule(want.lines));
    expect(totals.org + totals.inclusion).toBe(want.totalCents);
    for (const r of inclusion) expect(r.amount_cents).toBe(rateTableFor(2023).inclusionSupportPerOrganisationParticipant);
  });

  it("a learners' group's accompanying teachers are not counted for organisational support (§1.8): only its learners are", { timeout: 120_000 }, async () => {
    const projectId = `2024-1-FR01-KA122-VET-${uniq()}`;
    const stream = projectStream(47, projectId, [{ activity: 'VET-LEARN-ST', n: 6, outcome: 'certified' }]);
    // Two of the six are accompanying teachers: their application's plan says so (ApplicationSubmitted v2).
    const teachers = [...new Set(stream.map((e) => e.mobilityId))].slice(0, 2);
    const events = stream.map((e) => (e.type === 'ApplicationSubmitted' && teachers.includes(e.mobilityId)
      ? { ...e, payload: { ...e.payload, plan: { ...(e.payload.plan as object), accompanyingPerson: true, fewerOpportunities: false } } } : e));
    used.push({ prefix: projectId, partitions: await foldConcurrently(events, 11) });

    const pupils = certifiedParticipants(events).filter((p) => !teachers.includes(p.mobilityId));
    expect(pupils).toHaveLength(4);
    const want = projectGrant({ callYear: 2024, action: 'KA122', participants: pupils.length, inclusionSupportParticipants: pupils.filter(receivesRealCostInclusionSupport).length });
    const { org, inclusion, totals } = await shown(projectId);
    expect(org.map((l: { mobility_id: string }) => l.mobility_id).sort()).toEqual(pupils.map((p) => p.mobilityId).sort());
    expect(byRule([...org, ...inclusion])).toEqual(byRule(want.lines));
    expect(Number(totals.participants)).toBe(4);
    expect(Number(totals.org) + Number(totals.inclusion)).toBe(want.totalCents);
  });

  it('two batches certifying participants of one project in concurrent transactions: the later commit counts both', async () => {
    const projectId = `2024-1-FR01-KA131-HED-${uniq()}`;
    const events = projectStream(47, projectId, [{ activity: 'HE-SMS', n: 2, outcome: 'certified' }]);
    const [first, second] = [...new Set(events.map((e) => e.mobilityId))] as [string, string];
    const base = 4_000_000 + Math.floor(Math.random() * 1e6) * 2;
    const partitions = [base, base + 1];
    used.push({ prefix: projectId, partitions });
    const batch = (mobilityId: string, partition: number) =>
      ({ topic: TOPICS.mobilityEvents.name, partition, messages: incoming(events.filter((e) => e.mobilityId === mobilityId), partition), highWatermark: '1000' });
    const opts = { projector: 'org-support', dlq: null, keys: engineKeys() };
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query('BEGIN');
      await foldBatchInTx(a, ALL_PROJECTIONS, batch(first, partitions[0]!), opts);
      await b.query('BEGIN');
      // b folds while a has not committed yet; a commits soon after (b may be waiting for it).
      const folding = foldBatchInTx(b, ALL_PROJECTIONS, batch(second, partitions[1]!), opts);
      await Promise.race([folding, new Promise((r) => setTimeout(r, 500))]);
      await a.query('COMMIT');
      await folding;
      await b.query('COMMIT');
    } finally {
      a.release();
      b.release();
    }
    const rows = (await pool.query('SELECT mobility_id, participant_rank FROM budget_org_support_lines WHERE project_id = $1 ORDER BY mobility_id', [projectId])).rows;
    const want = participantSupportLines(certifiedParticipants(events)).filter((l) => l.kind === 'organisational');
    expect(rows).toEqual(want.map((l) => ({ mobility_id: l.mobilityId, participant_rank: l.participantRank })).sort((x, y) => x.mobility_id.localeCompare(y.mobility_id)));
    expect(rows.map((r) => r.participant_rank).sort()).toEqual([1, 2]);
  });
});
