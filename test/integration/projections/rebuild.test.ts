import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../infra/config';
import { createPool } from '../../../infra/db/pool';
import { createPublisher } from '../../../infra/kafka/client';
import { TOPICS } from '../../../infra/kafka/topics';
import { topicOffsets } from '../../../infra/kafka/consumer';
import { INCOMING_PROJECTION, INCOMING_TABLES, startIncomingProjector } from '../../../workers/projections/incoming';
import { ALL_PROJECTIONS, startProjector } from '../../../workers/projector';
import { eventually, testConfig, uniq } from '../../support/env';
import { asIncomingMessage, generateIncomingStream } from './incoming-stream';
import { caughtUp, publishStream, snapshot } from './support';
import { asMessage, generateStream } from './stream';

/**
 * `npm run projections:rebuild` empties the projections and refolds them from offset 0 of the
 * topics: the rebuilt tables equal the live ones row for row, and the live projector then
 * carries on from the rebuilt positions without counting anything twice.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const names = ALL_PROJECTIONS.map((p) => p.name);
const TABLES = ALL_PROJECTIONS.flatMap((p) => p.tables ?? []);

/** The incoming projection's rows (updated_at aside: it is when a row was last written, not a fact of the events). */
const incomingRows = async () => {
  const out: Record<string, unknown[]> = {};
  for (const t of INCOMING_TABLES) out[t] = (await pool.query(`SELECT to_jsonb(t) - 'updated_at' AS r FROM "${t}" t`)).rows.map((r) => JSON.stringify(r.r)).sort();
  return out;
};
/** The incoming projection has read incoming-events to its end. */
const incomingCaughtUp = () => eventually(async () => {
  const ends = await topicOffsets(cfg, [TOPICS.incomingEvents.name]);
  const { rows } = await pool.query<{ partition: number; next_offset: string }>('SELECT partition, next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2', [INCOMING_PROJECTION, TOPICS.incomingEvents.name]);
  return [...ends].every(([key, { high }]) => Number(rows.find((r) => `${TOPICS.incomingEvents.name}#${r.partition}` === key)?.next_offset ?? 0) >= Number(high));
}, 90_000, 'the incoming projection to catch up');

afterAll(async () => {
  await pool.end();
});

describe('projections:rebuild', () => {
  it('refolds the projections from the start of the topics into the same rows as the live ones', { timeout: 180_000 }, async () => {
    const pub = await createPublisher(cfg, 'rebuild-test');
    const stream = generateStream(23, uniq(), 30, 2);
    await publishStream(pub, stream);
    // A poison message (a NUL in its type) that the live projector quarantines: the rebuild leaves it out too.
    const poison = generateStream(24, uniq(), 1, 1).mobilityEvents[0]!;
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage({ ...poison, type: 'Application\u0000Submitted' })]);
    // Incoming stays on their own topic (every stage, missed deadlines), each stay's events sent twice, and one
    // message the incoming projection cannot read.
    const tag = uniq();
    const incoming = generateIncomingStream(31, tag, 24);
    await pub.publish(TOPICS.incomingEvents.name, incoming.map(asIncomingMessage));
    await pub.publish(TOPICS.incomingEvents.name, incoming.slice(0, 20).map(asIncomingMessage));
    await pub.publish(TOPICS.incomingEvents.name, [asIncomingMessage({ ...incoming[0]!, type: 'IncomingTeleported' })]);
    const live = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-rebuild-${uniq()}` });
    const liveIncoming = await startIncomingProjector(cfg, pool, { groupId: `projector-incoming-rebuild-${uniq()}` });
    await caughtUp(cfg, pool, names, 90_000);
    await incomingCaughtUp();
    await live.stop();
    await liveIncoming.stop();
    const before = await snapshot(pool, TABLES);
    expect(before.budget_mobilities!.length).toBeGreaterThan(0);
    const incomingBefore = await incomingRows();
    // The live fold (set-based) against the stays' own facts: stage of the last stage-moving event, its sequence, missed deadlines.
    const ours = (await pool.query<{ incoming_id: string; stage: string; last_sequence: number; missed: string[]; transcript_issued_on: string | null; ects_awarded: string | null; cancellation_reason: string | null }>(
      `SELECT incoming_id, stage, last_sequence, missed, to_char(transcript_issued_on, 'YYYY-MM-DD') AS transcript_issued_on, ects_awarded::text, cancellation_reason
         FROM incoming_mobilities WHERE incoming_id LIKE $1 ORDER BY incoming_id`, [`IN-F-INRB${tag}%`])).rows;
    const STAGE: Record<string, string> = { IncomingNominated: 'nominated', IncomingAgreementSigned: 'agreed', IncomingArrived: 'arrived', IncomingAttendanceCertified: 'certified', IncomingTranscriptIssued: 'transcribed', IncomingCancelled: 'cancelled', IncomingNoShowRecorded: 'no-show' };
    const expected = [...new Set(incoming.map((e) => e.incomingId))].sort().map((id) => {
      const es = incoming.filter((e) => e.incomingId === id);
      const moving = es.filter((e) => STAGE[e.type]);
      const last = moving[moving.length - 1]!;
      const transcript = es.find((e) => e.type === 'IncomingTranscriptIssued')?.payload as { issuedOn: string; ects: number } | undefined;
      const cancelled = es.find((e) => e.type === 'IncomingCancelled')?.payload as { reasonCode: string } | undefined;
      return {
        incoming_id: id, stage: STAGE[last.type], last_sequence: last.sequence,
        missed: es.filter((e) => e.type === 'IncomingDeadlineMissed').map((e) => (e.payload as { deadline: string }).deadline).sort(),
        transcript_issued_on: transcript?.issuedOn ?? null, ects_awarded: transcript ? transcript.ects.toFixed(1) : null, cancellation_reason: cancelled?.reasonCode ?? null,
      };
    });
    expect(ours).toEqual(expected);
    expect(new Set(ours.map((r) => r.stage))).toEqual(new Set(['cancelled', 'no-show', 'arrived', 'certified', 'transcribed']));
    expect(ours.some((r) => r.missed.length > 0)).toBe(true);
    const views = async () => (await pool.query('SELECT * FROM budget_line_totals ORDER BY project_id, funder_line_id')).rows;
    const totalsBefore = await views();

    const run = spawnSync('npm', ['run', '-s', 'projections:rebuild'], { cwd: ROOT, env: process.env, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { applied: number; events: number; projections: string[] };
    expect(report.projections).toEqual([...names, INCOMING_PROJECTION]);
    expect(report.applied).toBeGreaterThan(0);

    const after = await snapshot(pool, TABLES);
    for (const t of TABLES) expect(after[t], t).toEqual(before[t]);
    expect(await views()).toEqual(totalsBefore);
    // The incoming tables, rebuilt from incoming-events, equal the live ones row for row; one dedupe row per event.
    expect(await incomingRows()).toEqual(incomingBefore);
    const { rows: [dedupe] } = await pool.query(`SELECT count(*)::int AS n FROM processed_events WHERE projector = $1 AND event_id LIKE $2`, [INCOMING_PROJECTION, `IN-F-INRB${tag}%`]);
    expect(dedupe.n).toBe(incoming.length);
    // The live incoming projector resumes after the rebuilt positions: old events are not folded again, a new stay is.
    const moreStays = generateIncomingStream(37, uniq(), 2);
    await pub.publish(TOPICS.incomingEvents.name, [...incoming.slice(0, 5), ...moreStays].map(asIncomingMessage));
    const resumedIncoming = await startIncomingProjector(cfg, pool, { groupId: `projector-incoming-rebuild-${uniq()}` });
    await incomingCaughtUp();
    await resumedIncoming.stop();
    const afterMore = await incomingRows();
    const moreIds = new Set(moreStays.map((e) => e.incomingId));
    expect(afterMore.incoming_mobilities!.filter((r) => ![...moreIds].some((id) => (r as string).includes(`"${id}"`)))).toEqual(incomingBefore.incoming_mobilities);
    expect(afterMore.incoming_mobilities!.length).toBe(incomingBefore.incoming_mobilities!.length + 2);

    // The live projector resumes after the rebuilt positions: new events count once, old ones not again.
    const more = generateStream(29, uniq(), 5, 1);
    await publishStream(pub, more);
    await publishStream(pub, stream);
    const resumed = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-rebuild-${uniq()}` });
    await caughtUp(cfg, pool, names, 90_000);
    await resumed.stop();
    await pub.close();
    const totalsAfter = (await views()).filter((r) => !r.project_id.startsWith(more.projects[0]!.projectId));
    expect(totalsAfter).toEqual(totalsBefore);
    const { rows: [n] } = await pool.query('SELECT count(*)::int AS n FROM budget_mobilities WHERE project_id = $1', [more.projects[0]!.projectId]);
    expect(n.n).toBe(5);
  });
});
