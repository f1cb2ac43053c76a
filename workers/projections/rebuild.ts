import type pg from 'pg';
import type { Config } from '../../infra/config';
import { readToEnd } from '../../infra/kafka/consumer';
import { loadSigningKeys } from '../../infra/kafka/signing';
import { EVENT_TOPICS } from '../../infra/kafka/topics';
import type { MobilityEvent } from './decode';
import { foldBatchInTx, type Projection } from './runner';

export interface RebuildReport {
  projections: string[];
  events: number;
  applied: number;
  duplicates: number;
  deadLettered: number;
  parked: number;
  /** Where each partition stood when the rebuild read it (the rebuilt projections resume there). */
  ends: Record<string, string>;
  ms: number;
  /** From the start until the first batch arrived (connecting, emptying the tables, joining the consumer group). */
  startupMs?: number;
}

/** Bytes per partition fetch during a rebuild: batches of a few thousand events, fewer round trips per event. */
const REBUILD_FETCH_BYTES = 8 * 1024 * 1024;

/**
 * Drops the projections' state and refolds them from offset 0 of the event topics, through the
 * same fold as the live projector, in ONE transaction: readers see the old tables until the
 * rebuilt ones commit, and a live projector waits on the locks, then resumes after the rebuilt
 * positions (nothing counts twice). Dead letters and parked events are kept (keyed by source
 * position); the dead-letter topic is not written again; a message the live projector quarantined
 * (dead-lettered as fold-failed) is not folded again.
 */
export async function rebuildProjections(cfg: Config, pool: pg.Pool, projections: readonly Projection[], log: (l: string) => void = () => undefined): Promise<RebuildReport> {
  const t0 = Date.now();
  const names = projections.map((p) => p.name);
  const keys = loadSigningKeys(cfg);
  const report: RebuildReport = { projections: names, events: 0, applied: 0, duplicates: 0, deadLettered: 0, parked: 0, ends: {}, ms: 0 };
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    // Positions first: the same lock order as a live projector's batch (positions, then tables).
    await tx.query('DELETE FROM projection_offsets WHERE projection = ANY($1)', [names]);
    const tables = projections.flatMap((p) => p.tables ?? []);
    if (tables.length > 0) await tx.query(`TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')}`);
    // The refold's dedupe is kept in memory (every projection starts at offset 0, so an id seen in an
    // earlier batch was seen by every projection that folds its kind) and its records are appended to
    // a table of this transaction; processed_events then gets only the difference at the end, which
    // is nothing when the topics hold what the live projector folded.
    await tx.query('CREATE TEMP TABLE rebuild_processed (projector text NOT NULL, event_id text NOT NULL) ON COMMIT DROP');
    const seen = new Map<string, Set<number>>(); // stream → sequences folded (ids are `<stream>:<sequence>`)
    const split = (id: string): [string, number] => {
      const at = id.lastIndexOf(':');
      return [id.slice(0, at), Number(id.slice(at + 1))];
    };
    const dedupe = async (t: pg.PoolClient, pairs: readonly (readonly [string, string])[]) => {
      const inBatch = new Set<string>();
      const fresh: (readonly [string, string])[] = [];
      for (const pair of pairs) {
        const [stream, sequence] = split(pair[1]);
        const key = `${pair[0]}\u0000${pair[1]}`;
        if (seen.get(stream)?.has(sequence) || inBatch.has(key)) continue;
        inBatch.add(key);
        fresh.push(pair);
      }
      for (const [, id] of fresh) {
        const [stream, sequence] = split(id);
        const s = seen.get(stream) ?? new Set<number>();
        s.add(sequence);
        seen.set(stream, s);
      }
      if (fresh.length > 0) {
        await t.query('INSERT INTO rebuild_processed SELECT * FROM unnest($1::text[], $2::text[])', [fresh.map(([p]) => p), fresh.map(([, id]) => id)]);
      }
      return fresh;
    };
    // What the live projector quarantined (a message no fold could take) stays out, as it did live.
    const quarantined = new Set((await tx.query<{ key: string }>(
      `SELECT topic || '#' || partition || '@' || "offset" AS key FROM projection_dead_letters WHERE reason = 'fold-failed'`,
    )).rows.map((r) => r.key));
    log(`rebuild: emptied ${tables.join(', ')}; reading ${EVENT_TOPICS.join(', ')} from the beginning`);
    // Figures recomputed from stored rows after each batch (afterBatch) are recomputed once, at the end.
    const changed = new Map<Projection, Map<string, MobilityEvent>>();
    const ends = await readToEnd(cfg, 'projections-rebuild', EVENT_TOPICS, async (batch) => {
      report.startupMs ??= Date.now() - t0;
      const r = await foldBatchInTx(tx, projections, batch, {
        projector: 'projections-rebuild', dlq: null, keys, dedupe, skip: (m) => quarantined.has(`${m.topic}#${m.partition}@${m.offset}`),
        deferAfterBatch: (p, applied) => {
          const last = changed.get(p) ?? new Map<string, MobilityEvent>();
          for (const e of applied) last.set(e.mobilityId, e);
          changed.set(p, last);
        },
      });
      if (r.seekTo !== undefined) throw new Error(`rebuild read ${batch.topic}#${batch.partition} from ${batch.messages[0]!.offset}, expected ${r.seekTo}`);
      report.events += batch.messages.length;
      report.applied += r.applied;
      report.duplicates += r.duplicates;
      report.deadLettered += r.deadLettered;
      report.parked += r.parked;
    }, { maxBytes: REBUILD_FETCH_BYTES });
    for (const [p, last] of changed) await p.afterBatch!(tx, [...last.values()]);
    await tx.query('ANALYZE rebuild_processed');
    await tx.query(
      `DELETE FROM processed_events p WHERE p.projector = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM rebuild_processed r WHERE r.projector = p.projector AND r.event_id = p.event_id)`,
      [names],
    );
    await tx.query(
      `INSERT INTO processed_events (projector, event_id) SELECT r.projector, r.event_id FROM rebuild_processed r
        WHERE NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.projector = r.projector AND p.event_id = r.event_id)`,
    );
    // Partitions with no messages (or none yet) still get a position, so the live projector resumes cleanly.
    for (const [key, high] of ends) {
      const [topic, partition] = key.split('#') as [string, string];
      await tx.query(
        `INSERT INTO projection_offsets (projection, topic, partition, next_offset) SELECT unnest($1::text[]), $2, $3, $4
         ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = greatest(projection_offsets.next_offset, excluded.next_offset)`,
        [names, topic, Number(partition), high],
      );
      report.ends[key] = high;
    }
    await tx.query('COMMIT');
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
  report.ms = Date.now() - t0;
  log(`rebuild: ${report.events} messages, ${report.applied} events applied, ${report.duplicates} duplicates, in ${report.ms} ms`);
  return report;
}
