import type pg from 'pg';
import type { Config } from '../../infra/config';
import type { Publisher } from '../../infra/kafka/client';
import { type IncomingBatch, type IncomingMessage, partitionKey, type PartitionKey, startBatchConsumer } from '../../infra/kafka/consumer';
import { DLQ_HEADERS, EVENT_TOPICS, TOPICS } from '../../infra/kafka/topics';
import { type Decoded, decodeMessage, type MobilityEvent, type ProjectEventIn } from './decode';

/**
 * A projection folds events into its own tables inside the transaction the projector opened.
 * Folds must give the same rows whatever the order of one stream's events (a late or re-sent
 * event is applied when it arrives): dedupe makes each event count once, commutative folds make
 * the arrival order irrelevant.
 */
export interface Projection {
  readonly name: string;
  /** The tables holding this projection's state, emptied by a rebuild (views follow them). */
  readonly tables?: readonly string[];
  apply(tx: pg.PoolClient, event: MobilityEvent): Promise<void>;
  applyProject?(tx: pg.PoolClient, event: ProjectEventIn): Promise<void>;
  /**
   * Called once per batch, in the same transaction, with this projection's fresh mobility events of
   * the batch (never an empty list), after every projection applied its events. For figures that
   * depend on several streams' rows at once: recomputed from the stored rows, they too are
   * independent of arrival order. Called last, so a lock taken here is the batch's last one.
   */
  afterBatch?(tx: pg.PoolClient, applied: readonly MobilityEvent[]): Promise<void>;
}

export interface FoldOptions {
  /** Name recorded with dead letters and parked events. */
  projector: string;
  /** Dead-letter publisher; null during rebuilds (the message is already in the dead-letter topic). */
  dlq: Publisher | null;
  /** Test hook: called after each applied event with the running count in this batch. */
  onApplied?: (n: number) => void;
}

export interface FoldResult {
  applied: number;
  duplicates: number;
  skipped: number;
  deadLettered: number;
  parked: number;
  /** When the batch does not start where the projection stands: the offset to read from instead. */
  seekTo?: string;
}

/** Positions stored for these projections: the lowest next offset per partition (what must still be read). */
export async function storedPositions(db: pg.Pool | pg.PoolClient, names: readonly string[]): Promise<Map<PartitionKey, string>> {
  const rows = (await db.query<{ topic: string; partition: number; next_offset: number; n: number }>(
    `SELECT topic, partition, min(next_offset) AS next_offset, count(*)::int AS n FROM projection_offsets
      WHERE projection = ANY($1) GROUP BY topic, partition`,
    [names],
  )).rows;
  const out = new Map<PartitionKey, string>();
  // A projection with no stored position for a partition has to read it from the start.
  for (const r of rows) if (r.n === names.length) out.set(partitionKey(r.topic, r.partition), String(r.next_offset));
  return out;
}

/**
 * Folds one batch (one partition) into every projection inside the caller's transaction:
 * lock each projection's position, skip what is below it, record dead letters and parked events,
 * dedupe event ids set-based (processed_events), apply fresh events in offset order, then store
 * the new positions. Either all of it commits or none of it does.
 */
export async function foldBatchInTx(tx: pg.PoolClient, projections: readonly Projection[], batch: IncomingBatch, opts: FoldOptions): Promise<FoldResult> {
  const result: FoldResult = { applied: 0, duplicates: 0, skipped: 0, deadLettered: 0, parked: 0 };
  if (batch.messages.length === 0) return result;
  const names = projections.map((p) => p.name);
  await tx.query(
    `INSERT INTO projection_offsets (projection, topic, partition, next_offset)
     SELECT unnest($1::text[]), $2, $3, 0 ON CONFLICT DO NOTHING`,
    [names, batch.topic, batch.partition],
  );
  const positions = new Map(
    (await tx.query<{ projection: string; next_offset: number }>(
      `SELECT projection, next_offset FROM projection_offsets WHERE projection = ANY($1) AND topic = $2 AND partition = $3 ORDER BY projection FOR UPDATE`,
      [names, batch.topic, batch.partition],
    )).rows.map((r) => [r.projection, BigInt(r.next_offset)] as const),
  );
  const lowest = [...positions.values()].reduce((a, b) => (b < a ? b : a));
  const first = BigInt(batch.messages[0]!.offset);
  if (first > lowest && !gapAccepted(batch, lowest)) {
    result.seekTo = lowest.toString();
    return result;
  }
  const todo = batch.messages.filter((m) => BigInt(m.offset) >= lowest);
  result.skipped = batch.messages.length - todo.length;
  const decoded = todo.map((m) => ({ m, d: decodeMessage(m) }));

  for (const { m, d } of decoded) {
    if (d.kind === 'reject') {
      if (await recordDeadLetter(tx, m, d, opts)) result.deadLettered++;
    } else if (d.kind === 'park') {
      if (await recordParked(tx, m, d, opts)) result.parked++;
    }
  }

  const afterBatch: (() => Promise<void>)[] = [];
  for (const projection of projections) {
    const from = positions.get(projection.name)!;
    const mine = decoded.filter(({ m, d }) => BigInt(m.offset) >= from && (d.kind === 'mobility' || (d.kind === 'project' && projection.applyProject)));
    if (mine.length === 0) continue;
    const ids = mine.map(({ d }) => (d as { event: { eventId: string } }).event.eventId);
    const fresh = new Set(
      (await tx.query<{ event_id: string }>(
        `INSERT INTO processed_events (projector, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id`,
        [projection.name, ids],
      )).rows.map((r) => r.event_id),
    );
    const applied: MobilityEvent[] = [];
    for (const { d } of mine) {
      const id = (d as { event: { eventId: string } }).event.eventId;
      if (!fresh.delete(id)) {
        result.duplicates++;
        continue;
      }
      if (d.kind === 'mobility') {
        await projection.apply(tx, d.event);
        applied.push(d.event);
      } else if (d.kind === 'project') await projection.applyProject!(tx, d.event);
      result.applied++;
      opts.onApplied?.(result.applied);
    }
    if (projection.afterBatch && applied.length > 0) afterBatch.push(() => projection.afterBatch!(tx, applied));
  }
  for (const recompute of afterBatch) await recompute();

  const next = (BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n).toString();
  await tx.query(
    `UPDATE projection_offsets SET next_offset = greatest(next_offset, $4::bigint), updated_at = now()
      WHERE projection = ANY($1) AND topic = $2 AND partition = $3`,
    [names, batch.topic, batch.partition, next],
  );
  return result;
}

// A partition may legitimately have holes in its offsets; after one seek to the stored position,
// whatever the broker returns next is accepted.
const sought = new Map<PartitionKey, bigint>();
function gapAccepted(batch: IncomingBatch, lowest: bigint): boolean {
  const key = partitionKey(batch.topic, batch.partition);
  if (sought.get(key) === lowest) return true;
  sought.set(key, lowest);
  return false;
}

async function recordDeadLetter(tx: pg.PoolClient, m: IncomingMessage, d: Extract<Decoded, { kind: 'reject' }>, opts: FoldOptions): Promise<boolean> {
  const raw = m.value?.toString('utf8') ?? '';
  const fresh = await tx.query(
    `INSERT INTO projection_dead_letters (topic, partition, "offset", reason, detail, event_id, event_type, event_version, message_key, raw, projector)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING`,
    [m.topic, m.partition, m.offset, d.reason, d.detail, d.eventId, d.type, Number.isInteger(d.version) ? d.version : null, m.key, raw.replace(/\u0000/g, ''), opts.projector],
  );
  if (fresh.rowCount === 1) await sendToDlq(m, d.reason, d.detail, opts);
  return fresh.rowCount === 1;
}

async function recordParked(tx: pg.PoolClient, m: IncomingMessage, d: Extract<Decoded, { kind: 'park' }>, opts: FoldOptions): Promise<boolean> {
  const fresh = await tx.query(
    `INSERT INTO projection_parked_events (topic, partition, "offset", reason, event_id, event_type, event_version, known_version, envelope, projector)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING`,
    [m.topic, m.partition, m.offset, d.reason, d.eventId, d.type, d.version, d.knownVersion, JSON.stringify(d.envelope), opts.projector],
  );
  if (fresh.rowCount === 1) await sendToDlq(m, d.reason, d.detail, opts);
  return fresh.rowCount === 1;
}

/**
 * The original bytes and key go to the dead-letter topic with the reason and the source position
 * in headers. Sent before the transaction commits: a crash in between re-sends it (at least once);
 * the source position headers identify duplicates.
 */
async function sendToDlq(m: IncomingMessage, reason: string, detail: string, opts: FoldOptions): Promise<void> {
  if (!opts.dlq) return;
  await opts.dlq.publish(TOPICS.deadLetter.name, [
    {
      key: m.key ?? `${m.topic}#${m.partition}@${m.offset}`,
      value: m.value?.toString('utf8') ?? '',
      headers: {
        ...m.headers,
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.detail]: detail.slice(0, 1000),
        [DLQ_HEADERS.sourceTopic]: m.topic,
        [DLQ_HEADERS.sourcePartition]: String(m.partition),
        [DLQ_HEADERS.sourceOffset]: m.offset,
        [DLQ_HEADERS.projector]: opts.projector,
      },
    },
  ]);
}

/** One batch, one transaction: the unit of exactly-once-in-effect. */
export async function foldBatch(pool: pg.Pool, projections: readonly Projection[], batch: IncomingBatch, opts: FoldOptions): Promise<FoldResult> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const r = await foldBatchInTx(tx, projections, batch, opts);
    await tx.query(r.seekTo !== undefined ? 'ROLLBACK' : 'COMMIT');
    return r;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

export interface RunningProjector {
  readonly groupId: string;
  stop(): Promise<void>;
  readonly crashed: Promise<Error>;
}

export interface ProjectorOptions {
  groupId?: string;
  dlq: Publisher | null;
  onApplied?: (n: number) => void;
  onBatch?: (r: FoldResult, batch: IncomingBatch) => void;
}

/** Runs projections as one kafkajs consumer group over both event topics. */
export async function runProjections(cfg: Config, pool: pg.Pool, projections: readonly Projection[], opts: ProjectorOptions): Promise<RunningProjector> {
  const names = projections.map((p) => p.name);
  const groupId = opts.groupId ?? `projector-${names.join('+')}`;
  const consumer = await startBatchConsumer(cfg, {
    role: groupId,
    groupId,
    topics: EVENT_TOPICS,
    positions: () => storedPositions(pool, names),
    onBatch: async (batch, control) => {
      const r = await foldBatch(pool, projections, batch, { projector: groupId, dlq: opts.dlq, onApplied: opts.onApplied });
      if (r.seekTo !== undefined) control.seek(r.seekTo);
      opts.onBatch?.(r, batch);
    },
  });
  return { groupId, stop: () => consumer.stop(), crashed: consumer.crashed };
}
