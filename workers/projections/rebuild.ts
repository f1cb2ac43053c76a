import type pg from 'pg';
import type { Config } from '../../infra/config';
import { type IncomingBatch, type IncomingMessage, readToEnd } from '../../infra/kafka/consumer';
import { loadSigningKeys } from '../../infra/kafka/signing';
import { EVENT_TOPICS, TOPICS } from '../../infra/kafka/topics';
import { type MobilityEvent, type ReadMessage, readMessage } from './decode';
import { foldIncomingBatchInTx, INCOMING_PROJECTION, INCOMING_TABLES } from './incoming';
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

/** Bytes per partition fetch during a rebuild: batches of ~15,000 events, fewer statements per event. */
const REBUILD_FETCH_BYTES = 16 * 1024 * 1024;

/**
 * Drops the projections' state (and, with `incoming`, the incoming projection's) and refolds them from
 * offset 0 of the event topics (and of incoming-events), through the
 * same fold as the live projector, in ONE transaction: readers see the old tables until the
 * rebuilt ones commit, and a live projector waits on the locks, then resumes after the rebuilt
 * positions (nothing counts twice). Dead letters and parked events are kept (keyed by source
 * position); the dead-letter topic is not written again; a message the live projector quarantined
 * (dead-lettered as fold-failed) is not folded again.
 */
export async function rebuildProjections(
  cfg: Config, pool: pg.Pool, projections: readonly Projection[], log: (l: string) => void = () => undefined,
  opts: { /** Also the incoming projection (incoming-events, its own fold): `npm run projections:rebuild` does. */ incoming?: boolean } = {},
): Promise<RebuildReport> {
  const t0 = Date.now();
  const names = projections.map((p) => p.name);
  const keys = loadSigningKeys(cfg);
  const report: RebuildReport = { projections: [...names, ...(opts.incoming ? [INCOMING_PROJECTION] : [])], events: 0, applied: 0, duplicates: 0, deadLettered: 0, parked: 0, ends: {}, ms: 0 };
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    // Positions first: the same lock order as a live projector's batch (positions, then tables).
    await tx.query('DELETE FROM projection_offsets WHERE projection = ANY($1)', [report.projections]);
    const tables = [...projections.flatMap((p) => p.tables ?? []), ...(opts.incoming ? INCOMING_TABLES : [])];
    if (tables.length > 0) await tx.query(`TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')}`);
    // The incoming projection's dedupe is refolded in this transaction like its table (a small topic).
    if (opts.incoming) await tx.query('DELETE FROM processed_events WHERE projector = $1', [INCOMING_PROJECTION]);
    // The refold's dedupe is kept in memory: every projection starts at offset 0, so an id seen in an
    // earlier batch was seen by every projection that folds its kind (mobility events: all of them;
    // project events: those with a project fold). Each folded id is appended once to a table of this
    // transaction, with whether every projection folded it; processed_events then gets only the
    // difference at the end, which is nothing when the topics hold what the live projector folded.
    await tx.query('CREATE TEMP TABLE rebuild_folded (event_id text NOT NULL, by_all boolean NOT NULL) ON COMMIT DROP');
    const seen = new Map<string, Set<number>>(); // stream → sequences folded (ids are `<stream>:<sequence>`)
    let foldedIds = 0;
    let foldedByAll = 0;
    const dedupe = async (t: pg.PoolClient, pairs: readonly (readonly [string, string])[]) => {
      const fresh: (readonly [string, string])[] = [];
      const firstSeen = new Map<string, number>(); // id new in this batch → how many projections fold it
      const old = new Set<string>(); // ids of this batch folded in an earlier one
      const perProjection = new Map<string, Set<string>>();
      for (const pair of pairs) {
        const [p, id] = pair;
        if (old.has(id)) continue;
        if (!firstSeen.has(id)) {
          const at = id.lastIndexOf(':');
          const stream = id.slice(0, at);
          const sequence = Number(id.slice(at + 1));
          let sequences = seen.get(stream);
          if (!sequences) seen.set(stream, (sequences = new Set<number>()));
          if (sequences.has(sequence)) {
            old.add(id);
            continue;
          }
          sequences.add(sequence);
          firstSeen.set(id, 0);
        }
        let ids = perProjection.get(p);
        if (!ids) perProjection.set(p, (ids = new Set<string>()));
        if (ids.has(id)) continue; // an id twice in one batch is folded at its first place
        ids.add(id);
        firstSeen.set(id, firstSeen.get(id)! + 1);
        fresh.push(pair);
      }
      if (firstSeen.size > 0) {
        const ids = [...firstSeen.keys()];
        const byAll = ids.map((id) => firstSeen.get(id) === names.length);
        foldedIds += ids.length;
        foldedByAll += byAll.filter(Boolean).length;
        await t.query('INSERT INTO rebuild_folded SELECT * FROM unnest($1::text[], $2::boolean[])', [ids, byAll]);
      }
      return fresh;
    };
    // What the live projector quarantined (a message no fold could take) stays out, as it did live.
    const quarantined = new Set((await tx.query<{ key: string }>(
      `SELECT topic || '#' || partition || '@' || "offset" AS key FROM projection_dead_letters WHERE reason = 'fold-failed'`,
    )).rows.map((r) => r.key));
    log(`rebuild: emptied ${tables.join(', ')}; reading ${[...(names.length > 0 ? EVENT_TOPICS : []), ...(opts.incoming ? [TOPICS.incomingEvents.name] : [])].join(', ')} from the beginning`);
    if (names.length > 0) {
      // Figures recomputed from stored rows after each batch (afterBatch) are recomputed once, at the end.
      const changed = new Map<Projection, Map<string, MobilityEvent>>();
      // Pipelined: a batch is read (signatures, JSON, envelopes: CPU) and the next one fetched while the
      // previous one's statements run in Postgres; the folds themselves run one after the other, in
      // the order the batches came, on the one transaction.
      let inFlight: Promise<void> = Promise.resolve();
      const fold = async (batch: IncomingBatch, reads: Map<IncomingMessage, ReadMessage>) => {
        const r = await foldBatchInTx(tx, projections, batch, {
          projector: 'projections-rebuild', dlq: null, keys, dedupe, read: (m) => reads.get(m) ?? readMessage(m, keys),
          skip: (m) => quarantined.has(`${m.topic}#${m.partition}@${m.offset}`),
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
      };
      const ends = await readToEnd(cfg, 'projections-rebuild', EVENT_TOPICS, async (batch) => {
        report.startupMs ??= Date.now() - t0;
        const reads = new Map(batch.messages.map((m) => [m, readMessage(m, keys)] as const));
        await inFlight; // a failed fold fails the rebuild here (or after the last batch, below)
        inFlight = fold(batch, reads);
        inFlight.catch(() => undefined); // observed by the next batch or at the end
      }, { maxBytes: REBUILD_FETCH_BYTES });
      await inFlight;
      for (const [p, last] of changed) await p.afterBatch!(tx, [...last.values()]);
      // processed_events = what this rebuild folded: (projection, id) for each folded id and each
      // projection that folds its kind. The missing pairs are added; extra ones exist only when a
      // projection holds more rows than the rebuild folded (the counts say so), and are then removed.
      await tx.query('ANALYZE rebuild_folded');
      const projectFolders = projections.map((p) => Boolean(p.applyProject || p.applyProjectBatch));
      const expected = `SELECT n.name AS projector, f.event_id FROM rebuild_folded f JOIN unnest($1::text[], $2::boolean[]) AS n(name, folds_project) ON f.by_all OR n.folds_project`;
      await tx.query(
        `INSERT INTO processed_events (projector, event_id) SELECT e.projector, e.event_id FROM (${expected}) e
          WHERE NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.projector = e.projector AND p.event_id = e.event_id)`,
        [names, projectFolders],
      );
      const stored = new Map((await tx.query<{ projector: string; n: string }>(
        'SELECT projector, count(*) AS n FROM processed_events WHERE projector = ANY($1) GROUP BY projector', [names],
      )).rows.map((r) => [r.projector, Number(r.n)] as const));
      const want = (i: number) => (projectFolders[i] ? foldedIds : foldedByAll);
      if (names.some((name, i) => (stored.get(name) ?? 0) !== want(i))) {
        await tx.query(
          `DELETE FROM processed_events p WHERE p.projector = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM (${expected}) e WHERE e.projector = p.projector AND e.event_id = p.event_id)`,
          [names, projectFolders],
        );
      }
      await storeEnds(tx, names, ends, report);
    }
    if (opts.incoming) {
      // incoming-events through the live fold (foldIncomingBatchInTx, set-based), on this transaction.
      const ends = await readToEnd(cfg, 'projections-rebuild', [TOPICS.incomingEvents.name], async (batch) => {
        report.startupMs ??= Date.now() - t0;
        const r = await foldIncomingBatchInTx(tx, batch, keys, { skip: (m) => quarantined.has(`${m.topic}#${m.partition}@${m.offset}`) });
        report.events += batch.messages.length;
        report.applied += r.applied;
        report.duplicates += r.duplicates;
        report.deadLettered += r.deadLettered;
      }, { maxBytes: REBUILD_FETCH_BYTES });
      await storeEnds(tx, [INCOMING_PROJECTION], ends, report);
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

/** Partitions with no messages (or none yet) still get a position, so the live projector resumes cleanly. */
async function storeEnds(tx: pg.PoolClient, names: readonly string[], ends: Map<string, string>, report: RebuildReport): Promise<void> {
  for (const [key, high] of ends) {
    const [topic, partition] = key.split('#') as [string, string];
    await tx.query(
      `INSERT INTO projection_offsets (projection, topic, partition, next_offset) SELECT unnest($1::text[]), $2, $3, $4
       ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = greatest(projection_offsets.next_offset, excluded.next_offset)`,
      [names, topic, Number(partition), high],
    );
    report.ends[key] = high;
  }
}
