import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import type { IncomingMessage } from '../../../infra/kafka/consumer';
import { TOPICS } from '../../../infra/kafka/topics';
import { ALL_PROJECTIONS } from '../../../workers/projector';
import { foldBatch, foldBatchInTx } from '../../../workers/projections/runner';
import { testConfig, uniq } from '../../support/env';
import { asMessage, engineKeys, expectedLineTotals, generateStream, rng } from './stream';

/**
 * Exactly once in effect, as a property: whatever the schedule — duplicates published at new
 * offsets, events of one partition reordered, batches redelivered from an earlier offset, batches
 * whose transaction dies before commit — the projections end with the same rows as the clean,
 * in-order fold. Batches go through the projector's own transactional fold (foldBatch) on a
 * partition number no real topic has, and the rows are removed afterwards.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const TABLES = ['budget_mobilities', 'budget_grant_lines', 'budget_org_support', 'quality_mobilities', 'quality_deadlines'] as const;
const SYNTHETIC = 1_000_000;
// Each run folds on two partitions of its own: drawn once at random (other runs of the file against the
// same database), then counted up, so two runs never share a stored position.
let nextPartition = SYNTHETIC + Math.floor(Math.random() * 100_000) * 10_000;
const used: { prefix: string; partition: number }[] = [];

afterAll(async () => {
  // Every projection table keyed by mobility (the BM projection too): these rows were folded directly and never
  // reach a topic, so a rebuild of the shared tables could not refold them.
  const tables = (await pool.query<{ table_name: string }>(
    "SELECT DISTINCT table_name FROM information_schema.columns WHERE column_name = 'mobility_id' AND table_name = ANY($1) ORDER BY 1",
    [ALL_PROJECTIONS.flatMap((p) => p.tables ?? [])],
  )).rows.map((r) => r.table_name);
  for (const { prefix, partition } of used) {
    for (const t of tables) await pool.query(`DELETE FROM ${t} WHERE mobility_id LIKE $1`, [`${prefix}%`]);
    await pool.query('DELETE FROM processed_events WHERE event_id LIKE $1', [`${prefix}%`]);
    await pool.query('DELETE FROM projection_offsets WHERE topic = $1 AND partition = $2', [TOPICS.mobilityEvents.name, partition]);
  }
  await pool.end();
});

const toIncoming = (partition: number) => (m: ReturnType<typeof asMessage>, offset: number): IncomingMessage => ({
  topic: TOPICS.mobilityEvents.name, partition, offset: String(offset), key: m.key, value: Buffer.from(m.value), headers: m.headers ?? {},
});

async function rows(projectId: string, tag: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of TABLES) {
    const r = (await pool.query(`SELECT * FROM ${t} WHERE mobility_id LIKE $1`, [`${projectId}%`])).rows;
    out[t] = r.map((x) => JSON.stringify(x).replaceAll(tag, '<tag>')).sort();
  }
  return out;
}

describe('duplicates, reordering and redelivery never count twice', () => {
  it('any schedule folds to the rows of the clean in-order fold', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        async (seed, scheduleSeed, dupRate, failRate) => {
          const cleanTag = `${uniq()}C`;
          const chaosTag = cleanTag.replace(/C$/, 'X');
          const clean = generateStream(seed, cleanTag, 6, 1);
          const chaos = generateStream(seed, chaosTag, 6, 1);
          const [pClean, pChaos] = [nextPartition++, nextPartition++];
          await pool.query('DELETE FROM projection_offsets WHERE topic = $1 AND partition = ANY($2)', [TOPICS.mobilityEvents.name, [pClean, pChaos]]);
          used.push({ prefix: clean.projects[0]!.projectId, partition: pClean }, { prefix: chaos.projects[0]!.projectId, partition: pChaos });

          // The clean fold: every event once, in order, one batch.
          const cleanMsgs = clean.mobilityEvents.map(asMessage).map(toIncoming(pClean));
          await foldBatch(pool, ALL_PROJECTIONS, { topic: TOPICS.mobilityEvents.name, partition: pClean, messages: cleanMsgs, highWatermark: String(cleanMsgs.length) }, { projector: 'property', dlq: null, keys: engineKeys() });

          // The chaotic schedule: duplicates, then a shuffle of the whole partition.
          const r = rng(scheduleSeed);
          const msgs = chaos.mobilityEvents.map(asMessage);
          for (const m of [...msgs]) if (r.chance(dupRate)) msgs.push(m);
          for (let i = msgs.length - 1; i > 0; i--) {
            const j = r.int(0, i);
            [msgs[i], msgs[j]] = [msgs[j]!, msgs[i]!];
          }
          const log = msgs.map(toIncoming(pChaos));
          let position = 0;
          while (position < log.length) {
            // Redelivery: a batch may start before the stored position (already folded messages).
            const start = Math.max(0, position - (r.chance(0.3) ? r.int(1, 10) : 0));
            const end = Math.min(log.length, position + r.int(1, 12));
            const batch = { topic: TOPICS.mobilityEvents.name, partition: pChaos, messages: log.slice(start, end), highWatermark: String(log.length) };
            if (r.chance(failRate)) {
              // The projector dies mid-batch: its transaction never commits.
              const tx = await pool.connect();
              await tx.query('BEGIN');
              await foldBatchInTx(tx, ALL_PROJECTIONS, batch, { projector: 'property', dlq: null, keys: engineKeys(), onApplied: () => undefined });
              await tx.query('ROLLBACK');
              tx.release();
              continue;
            }
            const res = await foldBatch(pool, ALL_PROJECTIONS, batch, { projector: 'property', dlq: null, keys: engineKeys() });
            expect(res.seekTo).toBeUndefined();
            position = end;
          }

          expect(await rows(chaos.projects[0]!.projectId, chaosTag)).toEqual(await rows(clean.projects[0]!.projectId, cleanTag));
          // And the folded budget matches the independent truth.
          const truth = expectedLineTotals(chaos);
          const got = (await pool.query(
            `SELECT funder_line_id, sum(amount_cents)::bigint AS cents FROM budget_mobility_grant_lines WHERE project_id = $1 GROUP BY 1`,
            [chaos.projects[0]!.projectId],
          )).rows;
          for (const g of got) expect(g.cents).toBe(truth.get(`${chaos.projects[0]!.projectId}|${g.funder_line_id}`)!.committed);
        },
      ),
      { numRuns: 40 },
    );
  });
});
