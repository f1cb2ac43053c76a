import type { Config } from '../../infra/config';
import { createPool } from '../../infra/db/pool';
import { createPublisher } from '../../infra/kafka/client';
import type { IncomingMessage } from '../../infra/kafka/consumer';
import { TOPICS } from '../../infra/kafka/topics';
import { ALL_PROJECTIONS, startProjector } from '../../workers/projector';
import { foldBatch } from '../../workers/projections/runner';
import { caughtUp, lag, publishStream } from '../integration/projections/support';
import { asMessage, generateStream, mobilityStory, rng } from '../integration/projections/stream';

/**
 * Projector benchmarks (`npm run bench projector`):
 * - baseline: raw pg INSERTs, one row per event, 500 per transaction (the floor any fold pays);
 * - fold: the projector's transactional fold (all projections, dedupe, positions), 500-event batches;
 * - end to end: events published to Kafka, folded by the running projector until caught up;
 * - lag: one mobility's events published while the projector idles, until its row is visible.
 */
export async function bench(cfg: Config): Promise<{ name: string; unit: string; perSecond: number; baseline?: string }[]> {
  const pool = createPool(cfg, 4);
  const names = ALL_PROJECTIONS.map((p) => p.name);
  const results: { name: string; unit: string; perSecond: number; baseline?: string }[] = [];
  try {
    const stream = generateStream(1234, `B${Date.now().toString(36).toUpperCase()}`, 300, 2);
    const events = stream.mobilityEvents;
    const BATCH = 500;

    // Baseline: raw inserts.
    const c = await pool.connect();
    await c.query('CREATE TABLE IF NOT EXISTS bench_raw_events (event_id text PRIMARY KEY, body jsonb NOT NULL)');
    let t0 = performance.now();
    for (let i = 0; i < events.length; i += BATCH) {
      await c.query('BEGIN');
      for (const e of events.slice(i, i + BATCH)) await c.query('INSERT INTO bench_raw_events (event_id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [`${e.eventId}`, JSON.stringify(e)]);
      await c.query('COMMIT');
    }
    const rawRate = events.length / ((performance.now() - t0) / 1000);
    await c.query('DROP TABLE bench_raw_events');
    c.release();
    results.push({ name: 'raw pg INSERT, one row per event, 500 per transaction', unit: 'events', perSecond: rawRate });

    // The projector's fold, through the same transactional path, on a partition no topic has.
    const partition = 2_000_000 + Math.floor(Math.random() * 1e6);
    const msgs: IncomingMessage[] = events.map((e, i) => {
      const m = asMessage(e);
      return { topic: TOPICS.mobilityEvents.name, partition, offset: String(i), key: m.key, value: Buffer.from(m.value), headers: m.headers ?? {} };
    });
    t0 = performance.now();
    for (let i = 0; i < msgs.length; i += BATCH) {
      await foldBatch(pool, ALL_PROJECTIONS, { topic: TOPICS.mobilityEvents.name, partition, messages: msgs.slice(i, i + BATCH), highWatermark: String(msgs.length) }, { projector: 'bench', dlq: null });
    }
    results.push({ name: `fold ${names.length} projections (dedupe + positions), 500-event batches`, unit: 'events', perSecond: events.length / ((performance.now() - t0) / 1000), baseline: 'raw pg INSERT, one row per event, 500 per transaction' });
    // The same batches again: every message is below the stored position and skipped.
    t0 = performance.now();
    for (let i = 0; i < msgs.length; i += BATCH) {
      await foldBatch(pool, ALL_PROJECTIONS, { topic: TOPICS.mobilityEvents.name, partition, messages: msgs.slice(i, i + BATCH), highWatermark: String(msgs.length) }, { projector: 'bench', dlq: null });
    }
    // Leave no rows that are not in the topics (a rebuild would drop them).
    const prefix = `${stream.projects[0]!.projectId.slice(0, -1)}%`;
    for (const t of ['budget_grant_lines', 'budget_mobilities', 'quality_deadlines', 'quality_mobilities', 'mobility_applications']) await pool.query(`DELETE FROM ${t} WHERE mobility_id LIKE $1`, [prefix]);
    await pool.query('DELETE FROM processed_events WHERE event_id LIKE $1', [prefix]);
    await pool.query('DELETE FROM projection_offsets WHERE topic = $1 AND partition = $2', [TOPICS.mobilityEvents.name, partition]);
    results.push({ name: 'redelivered batches (skipped by stored position)', unit: 'events', perSecond: events.length / ((performance.now() - t0) / 1000), baseline: 'raw pg INSERT, one row per event, 500 per transaction' });

    // End to end through Kafka.
    const projector = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-bench-${Date.now()}` });
    await caughtUp(cfg, pool, names, 300_000);
    const pub = await createPublisher(cfg, 'bench');
    const e2e = generateStream(4321, `E${Date.now().toString(36).toUpperCase()}`, 300, 2);
    t0 = performance.now();
    await publishStream(pub, e2e);
    await caughtUp(cfg, pool, names, 300_000);
    results.push({ name: 'Kafka → projector → Postgres, until caught up', unit: 'events', perSecond: e2e.mobilityEvents.length / ((performance.now() - t0) / 1000), baseline: 'raw pg INSERT, one row per event, 500 per transaction' });

    // Lag of a single event while the projector idles.
    const lags: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { events: one } = mobilityStory(rng(i), { projectId: `2024-1-FR01-KA131-HED-L${Date.now().toString(36).toUpperCase()}${i}`, institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'rejected');
      const t = performance.now();
      await pub.publish(TOPICS.mobilityEvents.name, [asMessage(one[0]!)]);
      for (;;) {
        const r = await pool.query('SELECT 1 FROM mobility_applications WHERE mobility_id = $1', [one[0]!.mobilityId]);
        if (r.rowCount === 1) break;
        await new Promise((res) => setTimeout(res, 2));
      }
      lags.push(performance.now() - t);
    }
    lags.sort((a, b) => a - b);
    const p50 = lags[Math.floor(lags.length / 2)]!;
    const p95 = lags[Math.floor(lags.length * 0.95)]!;
    results.push({ name: `projection lag publish → row visible: p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms (1/p50)`, unit: 'events', perSecond: 1000 / p50, baseline: 'raw pg INSERT, one row per event, 500 per transaction' });
    await pub.close();
    await projector.stop();
    if ((await lag(cfg, pool, names)) !== 0) throw new Error('projector did not catch up');
  } finally {
    await pool.end();
  }
  return results;
}
