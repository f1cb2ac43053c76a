import type pg from 'pg';
import type { Config } from '../../infra/config';
import { isDataDbError, isTransientDbError } from '../../infra/db/pool';
import { isTransientKafkaError, type Publisher } from '../../infra/kafka/client';
import { type IncomingBatch, type IncomingMessage, partitionKey, type PartitionKey, startBatchConsumer } from '../../infra/kafka/consumer';
import type { SigningKeys } from '../../infra/kafka/signing';
import { DLQ_HEADERS, EVENT_TOPICS, TOPICS } from '../../infra/kafka/topics';
import { errorFields, type Logger } from '../../infra/log';
import { checkSignature, type Decoded, decodeMessage, type MobilityEvent, type Parsed, parseValue, type ProjectEventIn, type ReadMessage, readMessage } from './decode';
import { type StreamRef, StreamGate, streamRefOf } from './integrity';

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
  /** Folds one event (used when the projection has no set-based fold). */
  apply(tx: pg.PoolClient, event: MobilityEvent): Promise<void>;
  applyProject?(tx: pg.PoolClient, event: ProjectEventIn): Promise<void>;
  /**
   * Set-based fold: the batch's fresh mobility events for this projection (deduped, never empty), in
   * the order they were admitted (each stream's in sequence order), folded in a few statements
   * whatever their number. Must leave the same rows as `apply` called on each event in that order.
   */
  applyBatch?(tx: pg.PoolClient, events: readonly MobilityEvent[]): Promise<void>;
  /** The same for the batch's fresh project events. */
  applyProjectBatch?(tx: pg.PoolClient, events: readonly ProjectEventIn[]): Promise<void>;
  /**
   * Called once per batch, in the same transaction, with this projection's fresh mobility events of
   * the batch (never an empty list), after every projection applied its events. For figures that
   * depend on several streams' rows at once: recomputed from the stored rows, they too are
   * independent of arrival order. Called last, so a lock taken here is the batch's last one. The
   * events only say which mobilities changed: a rebuild calls it once, at its end, with the last
   * event of each mobility it folded.
   */
  afterBatch?(tx: pg.PoolClient, applied: readonly MobilityEvent[]): Promise<void>;
}

export interface FoldOptions {
  /** Name recorded with dead letters and parked events. */
  projector: string;
  /** Dead-letter publisher; null during rebuilds (the message is already in the dead-letter topic). */
  dlq: Publisher | null;
  /** The engine's event-signing keys: a message whose signature does not verify is dead-lettered as `bad-signature`. */
  keys: SigningKeys;
  /** Test hook: called after each applied event with the running count in this batch. */
  onApplied?: (n: number) => void;
  /** Where alerts (a known event id with another payload) are reported, besides projection_alerts. */
  log?: Pick<Logger, 'error' | 'warn'>;
  /** Messages not to fold, counted as dead letters: a rebuild leaves out what the live projector quarantined. */
  skip?: (m: IncomingMessage) => boolean;
  /**
   * Records the (projection, event id) pairs of a batch and returns those folded for the first time,
   * each once (default recordProcessed: processed_events; a rebuild keeps its own until it commits).
   */
  dedupe?: (tx: pg.PoolClient, pairs: readonly (readonly [string, string])[]) => Promise<Iterable<readonly [string, string]>>;
  /**
   * How a message is read (signature, JSON, envelope): default readMessage with `keys`. A rebuild
   * hands the reads it made of the next batch while the previous one was folding.
   */
  read?: (m: IncomingMessage) => ReadMessage;
  /** Instead of calling each projection's afterBatch, hand it what it would get (a rebuild calls it once, at its end). */
  deferAfterBatch?: (projection: Projection, applied: readonly MobilityEvent[]) => void;
}

export interface FoldResult {
  applied: number;
  duplicates: number;
  skipped: number;
  deadLettered: number;
  parked: number;
  /** Envelopes that came before their stream's next sequence, kept until it arrives. */
  sequenceParked: number;
  /** Envelopes whose id was already admitted with another payload (forged or corrupted). */
  conflicts: number;
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
 * dedupe event ids set-based (processed_events, one statement for every projection), fold the fresh
 * events set-based (each projection's applyBatch: a few statements per table, whatever the batch's
 * size), then store the new positions. Either all of it commits or none of it does.
 */
export async function foldBatchInTx(tx: pg.PoolClient, projections: readonly Projection[], batch: IncomingBatch, opts: FoldOptions): Promise<FoldResult> {
  const result: FoldResult = { applied: 0, duplicates: 0, skipped: 0, deadLettered: 0, parked: 0, sequenceParked: 0, conflicts: 0 };
  if (batch.messages.length === 0) return result;
  const names = projections.map((p) => p.name);
  const lockPositions = async () => new Map(
    (await tx.query<{ projection: string; next_offset: number }>(
      `SELECT projection, next_offset FROM projection_offsets WHERE projection = ANY($1) AND topic = $2 AND partition = $3 ORDER BY projection FOR UPDATE`,
      [names, batch.topic, batch.partition],
    )).rows.map((r) => [r.projection, BigInt(r.next_offset)] as const),
  );
  // A partition a projection has never folded gets its position at 0 first (then locked with the others).
  let positions = await lockPositions();
  if (positions.size < names.length) {
    await tx.query(
      `INSERT INTO projection_offsets (projection, topic, partition, next_offset)
       SELECT unnest($1::text[]), $2, $3, 0 ON CONFLICT DO NOTHING`,
      [names, batch.topic, batch.partition],
    );
    positions = await lockPositions();
  }
  const lowest = [...positions.values()].reduce((a, b) => (b < a ? b : a));
  const first = BigInt(batch.messages[0]!.offset);
  if (first > lowest && !gapAccepted(batch, lowest)) {
    result.seekTo = lowest.toString();
    return result;
  }
  const unread = batch.messages.filter((m) => BigInt(m.offset) >= lowest);
  result.skipped = batch.messages.length - unread.length;
  const todo = opts.skip ? unread.filter((m) => !opts.skip!(m)) : unread;
  result.deadLettered += unread.length - todo.length;
  // The signature first: an unsigned or forged message is never judged by its sequence or folded.
  // Each value is parsed once: the decode and the stream position share it.
  const read = opts.read ?? ((m: IncomingMessage) => readMessage(m, opts.keys));
  const decoded = todo.map((m) => ({ m, ...read(m) }));
  const items = await admit(tx, decoded, opts, result);

  for (const { m, d } of items) {
    if (d.kind === 'reject') {
      if (d.reason === 'bad-signature') await badSignature(tx, m, d, opts);
      if (await recordDeadLetter(tx, m, d, opts)) result.deadLettered++;
    } else if (d.kind === 'park') {
      if (await recordParked(tx, m, d, opts)) result.parked++;
    }
  }

  // Dedupe, set-based, for every projection at once: the ids each projection folds for the first time.
  type Folded = { kind: 'mobility'; event: MobilityEvent } | { kind: 'project'; event: ProjectEventIn };
  const wanted = projections.map((projection) => {
    const from = positions.get(projection.name)!;
    return items
      .filter(({ at, d }) => at >= from && (d.kind === 'mobility' || (d.kind === 'project' && (projection.applyProject || projection.applyProjectBatch))))
      .map(({ d }) => d as Folded);
  });
  const pairs = projections.flatMap((p, i) => wanted[i]!.map((d) => [p.name, d.event.eventId] as const));
  const fresh = new Map<string, Set<string>>(projections.map((p) => [p.name, new Set<string>()]));
  if (pairs.length > 0) for (const [p, id] of await (opts.dedupe ?? recordProcessed)(tx, pairs)) fresh.get(p)!.add(id);

  const afterBatch: (() => Promise<void>)[] = [];
  for (const [i, projection] of projections.entries()) {
    const firstTime = fresh.get(projection.name)!;
    const mobility: MobilityEvent[] = [];
    const project: ProjectEventIn[] = [];
    for (const d of wanted[i]!) {
      // An id twice in one batch (a re-sent event) is folded at its first place.
      if (!firstTime.delete(d.event.eventId)) {
        result.duplicates++;
        continue;
      }
      if (d.kind === 'mobility') mobility.push(d.event);
      else project.push(d.event);
    }
    if (mobility.length > 0) {
      if (projection.applyBatch) await projection.applyBatch(tx, mobility);
      else for (const e of mobility) await projection.apply(tx, e);
    }
    if (project.length > 0) {
      if (projection.applyProjectBatch) await projection.applyProjectBatch(tx, project);
      else for (const e of project) await projection.applyProject!(tx, e);
    }
    for (let k = mobility.length + project.length; k > 0; k--) {
      result.applied++;
      opts.onApplied?.(result.applied);
    }
    if (projection.afterBatch && mobility.length > 0) {
      if (opts.deferAfterBatch) opts.deferAfterBatch(projection, mobility);
      else afterBatch.push(() => projection.afterBatch!(tx, mobility));
    }
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

/** Records (projection, event id) pairs in processed_events; returns those it did not hold yet, each once. */
export async function recordProcessed(tx: pg.PoolClient, pairs: readonly (readonly [string, string])[]): Promise<(readonly [string, string])[]> {
  return (await tx.query<{ projector: string; event_id: string }>(
    `INSERT INTO processed_events (projector, event_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING RETURNING projector, event_id`,
    [pairs.map(([p]) => p), pairs.map(([, id]) => id)],
  )).rows.map((r) => [r.projector, r.event_id] as const);
}

interface Admitted {
  m: IncomingMessage;
  d: Decoded;
  /** Offset of the message whose arrival admitted it (a released parked event comes in at a later one). */
  at: bigint;
}

/**
 * Stream integrity (integrity.ts), in offset order: an envelope is admitted when its sequence is the
 * next one of its stream or its id was admitted before with the same hash; one ahead of its stream
 * is parked until its predecessors come (then admitted with them); a known id with another hash is
 * dead-lettered with an alert; an unknown id behind its stream is dead-lettered as out of sequence.
 * Messages without a well-formed envelope pass through (decode already rejected them).
 */
async function admit(tx: pg.PoolClient, decoded: readonly { m: IncomingMessage; d: Decoded; parsed: Parsed }[], opts: FoldOptions, result: FoldResult): Promise<Admitted[]> {
  const refs = decoded.map(({ m, d, parsed }) => streamRefOf(m, d, parsed));
  if (refs.every((r) => r === null)) return decoded.map(({ m, d }) => ({ m, d, at: BigInt(m.offset) }));
  const gate = await StreamGate.load(tx, refs.filter((r): r is StreamRef => r !== null));
  const out: Admitted[] = [];
  const judge = async (m: IncomingMessage, d: Decoded, ref: StreamRef | null, at: bigint): Promise<void> => {
    if (!ref) {
      out.push({ m, d, at });
      return;
    }
    const { verdict, expected, knownHash } = gate.judge(ref, m);
    if (verdict === 'admit') {
      out.push({ m, d, at });
      for (const next of await gate.released(ref.streamId)) {
        // Its signature was verified when it arrived and was parked.
        const parsed = parseValue(next);
        const nd = decodeMessage(next, parsed);
        await judge(next, nd, streamRefOf(next, nd, parsed), at);
      }
    } else if (verdict === 'park') {
      if (await gate.park(ref, m, expected, opts.projector)) result.sequenceParked++;
    } else if (verdict === 'conflict') {
      result.conflicts++;
      const detail = `event id ${ref.eventId} was already folded with another payload (sha256 ${knownHash!.slice(0, 16)}…, this one ${ref.hash.slice(0, 16)}…): a forged or corrupted event; the folded one stands`;
      opts.log?.error({ alert: 'conflicting-duplicate', eventId: ref.eventId, topic: m.topic, partition: m.partition, offset: m.offset }, detail);
      await recordAlert(tx, m, 'conflicting-duplicate', ref.eventId, ref.type, detail, opts);
      if (await recordDeadLetter(tx, m, { kind: 'reject', reason: 'conflicting-duplicate', detail, eventId: ref.eventId, type: ref.type, version: null }, opts)) result.deadLettered++;
    } else {
      const detail = `sequence ${ref.sequence} of ${ref.streamId} is behind the stream (next ${expected}) and its id was never admitted`;
      if (await recordDeadLetter(tx, m, { kind: 'reject', reason: 'out-of-sequence', detail, eventId: ref.eventId, type: ref.type, version: null }, opts)) result.deadLettered++;
    }
  };
  for (let i = 0; i < decoded.length; i++) await judge(decoded[i]!.m, decoded[i]!.d, refs[i]!, BigInt(decoded[i]!.m.offset));
  await gate.flush();
  return out;
}

/** A message on an event topic that the engine did not sign: an alert, besides its dead letter. */
async function badSignature(tx: pg.PoolClient, m: IncomingMessage, d: Extract<Decoded, { kind: 'reject' }>, opts: FoldOptions): Promise<void> {
  const detail = `${d.detail} (event id ${d.eventId ?? '?'}): not folded`;
  opts.log?.error({ alert: 'bad-signature', eventId: d.eventId, topic: m.topic, partition: m.partition, offset: m.offset }, detail);
  await recordAlert(tx, m, 'bad-signature', d.eventId, d.type, detail, opts);
}

async function recordAlert(tx: pg.PoolClient, m: IncomingMessage, kind: string, eventId: string | null, type: string | null, detail: string, opts: FoldOptions): Promise<void> {
  await tx.query(
    `INSERT INTO projection_alerts (kind, event_id, event_type, topic, partition, "offset", detail, projector) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING`,
    [kind, clean(eventId), clean(type), m.topic, m.partition, m.offset, clean(detail), opts.projector],
  );
}

/** Postgres text cannot hold NUL characters: they are dropped from what is recorded about a bad message. */
const clean = <T extends string | null>(v: T): T => (v === null ? v : (v.replace(/\u0000/g, '') as T));

// A partition may legitimately have holes in its offsets; after one seek to the stored position,
// whatever the broker returns next is accepted.
const sought = new Map<PartitionKey, bigint>();
function gapAccepted(batch: IncomingBatch, lowest: bigint): boolean {
  const key = partitionKey(batch.topic, batch.partition);
  if (sought.get(key) === lowest) return true;
  sought.set(key, lowest);
  return false;
}

type DeadLetter = Omit<Extract<Decoded, { kind: 'reject' }>, 'reason'> & { reason: DeadLetterReason };
/** Why a message went to the dead-letter topic: decode's reasons, and the projector's own. */
export type DeadLetterReason = Extract<Decoded, { kind: 'reject' }>['reason'] | 'conflicting-duplicate' | 'out-of-sequence' | 'fold-failed';

async function recordDeadLetter(tx: pg.PoolClient, m: IncomingMessage, d: DeadLetter, opts: FoldOptions): Promise<boolean> {
  const raw = m.value?.toString('utf8') ?? '';
  const fresh = await tx.query(
    `INSERT INTO projection_dead_letters (topic, partition, "offset", reason, detail, event_id, event_type, event_version, message_key, raw, projector)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING`,
    [m.topic, m.partition, m.offset, d.reason, clean(d.detail), clean(d.eventId), clean(d.type), Number.isInteger(d.version) ? d.version : null, clean(m.key), clean(raw), opts.projector],
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
  /** The engine's event-signing keys (infra/kafka/signing.ts). */
  keys: SigningKeys;
  onApplied?: (n: number) => void;
  onBatch?: (r: FoldResult, batch: IncomingBatch) => void;
  log?: Logger;
  /** Failed folds of one message before it goes to the dead-letter topic (default cfg.projector.maxAttempts). */
  maxAttempts?: number;
  /** How long an out-of-sequence envelope may wait for its predecessors (default cfg.projector.parkTimeoutMs). */
  parkTimeoutMs?: number;
  /** Bytes a fetch (and a partition) at most (default LIVE_FETCH): smaller batches for the crash tests. */
  fetchBytes?: number;
}

/** An error that says "try again later" (Postgres or Kafka not reachable), never a reason to give up on a message. */
export const isTransientError = (err: unknown): boolean => isTransientKafkaError(err) || isTransientDbError(err);

const describe = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown };
  return `${typeof e?.code === 'string' ? `${e.code} ` : ''}${String(e?.message ?? err)}`;
};

/**
 * Dead-letters one message that no fold can take (reason `fold-failed`, the error in the detail),
 * and moves every projection's position past it, in one transaction: the partition goes on.
 */
export async function quarantine(pool: pg.Pool, projections: readonly Projection[], m: IncomingMessage, detail: string, opts: FoldOptions): Promise<void> {
  const names = projections.map((p) => p.name);
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    await tx.query(
      `INSERT INTO projection_offsets (projection, topic, partition, next_offset) SELECT unnest($1::text[]), $2, $3, 0 ON CONFLICT DO NOTHING`,
      [names, m.topic, m.partition],
    );
    await tx.query('SELECT 1 FROM projection_offsets WHERE projection = ANY($1) AND topic = $2 AND partition = $3 ORDER BY projection FOR UPDATE', [names, m.topic, m.partition]);
    const d = decodeMessage(m);
    const peek = d.kind === 'reject' || d.kind === 'park' ? d : d.kind === 'mobility' || d.kind === 'project' ? { eventId: d.event.eventId, type: d.event.type, version: d.event.version } : { eventId: null, type: null, version: null };
    await recordDeadLetter(tx, m, { kind: 'reject', reason: 'fold-failed', detail, eventId: peek.eventId, type: peek.type, version: peek.version }, opts);
    // A well-formed envelope at the head of its stream keeps its sequence, so the stream's next events still fit.
    const ref = checkSignature(m, opts.keys) ? null : streamRefOf(m, d);
    if (ref && !/\u0000/.test(ref.eventId + ref.streamId)) {
      await tx.query('INSERT INTO projection_stream_heads (stream_id, topic, next_sequence) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [ref.streamId, ref.topic]);
      const moved = await tx.query(
        `UPDATE projection_stream_heads SET next_sequence = $2 + 1, updated_at = now() WHERE stream_id = $1 AND next_sequence = $2`,
        [ref.streamId, ref.sequence],
      );
      if (moved.rowCount === 1) {
        await tx.query(
          `INSERT INTO projection_event_ledger (event_id, stream_id, sequence, payload_hash, topic, partition, "offset") VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`,
          [ref.eventId, ref.streamId, ref.sequence, ref.hash, m.topic, m.partition, m.offset],
        );
      }
    }
    await tx.query(
      `UPDATE projection_offsets SET next_offset = greatest(next_offset, $4::bigint), updated_at = now() WHERE projection = ANY($1) AND topic = $2 AND partition = $3`,
      [names, m.topic, m.partition, (BigInt(m.offset) + 1n).toString()],
    );
    await tx.query('COMMIT');
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

const addUp = (a: FoldResult, b: FoldResult): FoldResult => ({
  applied: a.applied + b.applied, duplicates: a.duplicates + b.duplicates, skipped: a.skipped, deadLettered: a.deadLettered + b.deadLettered,
  parked: a.parked + b.parked, sequenceParked: a.sequenceParked + b.sequenceParked, conflicts: a.conflicts + b.conflicts, ...(b.seekTo !== undefined ? { seekTo: b.seekTo } : {}),
});

/**
 * Folds a batch whose one-transaction fold failed, message by message (each in its own
 * transaction), to find the message at fault. A message that fails with an error about its own
 * data (invalid text such as a NUL character, a violated constraint) is dead-lettered at once; one
 * that fails otherwise is dead-lettered at its `maxAttempts`-th failure (counted across
 * redeliveries). While Postgres or Kafka is unreachable nothing is dead-lettered: the error goes
 * up and the batch is delivered again later.
 */
export async function foldIsolating(
  pool: pg.Pool, projections: readonly Projection[], batch: IncomingBatch, opts: FoldOptions,
  attempts: Map<string, number>, maxAttempts: number, log?: Pick<Logger, 'warn' | 'error'>,
): Promise<FoldResult> {
  let total: FoldResult = { applied: 0, duplicates: 0, skipped: 0, deadLettered: 0, parked: 0, sequenceParked: 0, conflicts: 0 };
  for (let i = 0; i < batch.messages.length; i++) {
    const m = batch.messages[i]!;
    // The batch's first i+1 messages: those before i are below the stored positions now, so only m is folded.
    const slice = { ...batch, messages: batch.messages.slice(0, i + 1) };
    try {
      const r = await foldBatch(pool, projections, slice, opts);
      total = addUp(total, r);
      if (r.seekTo !== undefined) return total;
    } catch (err) {
      if (isTransientError(err)) throw err;
      const key = `${m.topic}#${m.partition}@${m.offset}`;
      const n = (attempts.get(key) ?? 0) + 1;
      if (!isDataDbError(err) && n < maxAttempts) {
        attempts.set(key, n);
        log?.warn({ ...errorFields(err), topic: m.topic, partition: m.partition, offset: m.offset, attempt: n, maxAttempts }, 'message failed to fold; it will be retried');
        throw err;
      }
      attempts.delete(key);
      const detail = isDataDbError(err) ? `non-retryable database error ${describe(err)}` : `failed ${n} times: ${describe(err)}`;
      log?.error({ ...errorFields(err), topic: m.topic, partition: m.partition, offset: m.offset, attempts: n, alert: 'fold-failed' }, 'message dead-lettered: the partition moves on');
      await quarantine(pool, projections, m, detail, opts);
      total.deadLettered++;
    }
  }
  return total;
}

/**
 * Dead-letters (reason `out-of-sequence`) the envelopes that waited in projection_sequence_parked
 * longer than `timeoutMs` for their stream's missing events. Returns how many.
 */
export async function expireSequenceParked(pool: pg.Pool, timeoutMs: number, opts: FoldOptions): Promise<number> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const rows = (await tx.query<{ topic: string; partition: number; offset: number; stream_id: string; sequence: number; expected_sequence: number; event_id: string; message_key: string | null; raw: string; headers: Record<string, string> }>(
      `DELETE FROM projection_sequence_parked WHERE ctid IN (
         SELECT ctid FROM projection_sequence_parked WHERE at < now() - make_interval(secs => $1::double precision / 1000) FOR UPDATE SKIP LOCKED LIMIT 500)
       RETURNING topic, partition, "offset", stream_id, sequence, expected_sequence, event_id, message_key, raw, headers`,
      [timeoutMs],
    )).rows;
    for (const r of rows) {
      const m: IncomingMessage = { topic: r.topic, partition: r.partition, offset: String(r.offset), key: r.message_key, value: Buffer.from(r.raw, 'utf8'), headers: r.headers };
      const head = (await tx.query<{ next_sequence: number }>('SELECT next_sequence FROM projection_stream_heads WHERE stream_id = $1', [r.stream_id])).rows[0]?.next_sequence ?? r.expected_sequence;
      const detail = `sequence ${r.sequence} of ${r.stream_id} waited ${Math.round(timeoutMs / 1000)} s for sequence ${head}, which never came`;
      const d = decodeMessage(m);
      const type = d.kind === 'mobility' || d.kind === 'project' ? d.event.type : d.kind === 'park' || d.kind === 'reject' ? d.type : null;
      await recordDeadLetter(tx, m, { kind: 'reject', reason: 'out-of-sequence', detail, eventId: r.event_id, type, version: null }, opts);
    }
    await tx.query('COMMIT');
    return rows.length;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/**
 * How the live projector fetches: up to LIVE_FETCH.bytes a fetch and LIVE_FETCH.perPartition a
 * partition (a few thousand events a batch when it is behind, whatever is new when it is not), and
 * LIVE_FETCH.partitions batches of different partitions folded at once, each in its own transaction
 * (as two members of the group would): one batch's statements run in Postgres while another is read.
 */
export const LIVE_FETCH = { bytes: 8 * 1024 * 1024, perPartition: 4 * 1024 * 1024, partitions: 2 } as const;

/**
 * Runs projections as one kafkajs consumer group over both event topics. A batch that fails is
 * folded again message by message (foldIsolating): a poison message goes to the dead-letter topic
 * and never blocks its partition. Out-of-sequence envelopes that waited too long are dead-lettered
 * by a sweep every few seconds.
 */
export async function runProjections(cfg: Config, pool: pg.Pool, projections: readonly Projection[], opts: ProjectorOptions): Promise<RunningProjector> {
  const names = projections.map((p) => p.name);
  const groupId = opts.groupId ?? `projector-${names.join('+')}`;
  const foldOpts: FoldOptions = { projector: groupId, dlq: opts.dlq, keys: opts.keys, onApplied: opts.onApplied, log: opts.log };
  const attempts = new Map<string, number>();
  const maxAttempts = opts.maxAttempts ?? cfg.projector.maxAttempts;
  const consumer = await startBatchConsumer(cfg, {
    role: groupId,
    groupId,
    topics: EVENT_TOPICS,
    positions: () => storedPositions(pool, names),
    maxBytes: opts.fetchBytes ?? LIVE_FETCH.bytes,
    maxBytesPerPartition: opts.fetchBytes ?? LIVE_FETCH.perPartition,
    partitionsConsumedConcurrently: LIVE_FETCH.partitions,
    onBatch: async (batch, control) => {
      let r: FoldResult;
      try {
        r = await foldBatch(pool, projections, batch, foldOpts);
      } catch (err) {
        if (isTransientError(err)) {
          opts.log?.warn({ ...errorFields(err), topic: batch.topic, partition: batch.partition }, 'batch not folded (Postgres or Kafka unavailable); it will be delivered again');
          throw err;
        }
        opts.log?.warn({ ...errorFields(err), topic: batch.topic, partition: batch.partition, from: batch.messages[0]?.offset, messages: batch.messages.length }, 'batch failed; folding its messages one by one');
        r = await foldIsolating(pool, projections, batch, foldOpts, attempts, maxAttempts, opts.log);
      }
      if (r.seekTo !== undefined) control.seek(r.seekTo);
      opts.onBatch?.(r, batch);
    },
  });
  const timeoutMs = opts.parkTimeoutMs ?? cfg.projector.parkTimeoutMs;
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    expireSequenceParked(pool, timeoutMs, foldOpts)
      .then((n) => n > 0 && opts.log?.warn({ expired: n, timeoutMs }, 'out-of-sequence events dead-lettered'))
      .catch((err) => opts.log?.warn(errorFields(err), 'sweep of out-of-sequence events failed'))
      .finally(() => (sweeping = false));
  }, Math.max(250, Math.min(5_000, timeoutMs / 4)));
  sweep.unref();
  return {
    groupId,
    stop: async () => {
      clearInterval(sweep);
      await consumer.stop();
    },
    crashed: consumer.crashed,
  };
}
