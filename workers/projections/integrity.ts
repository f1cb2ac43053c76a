import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { IncomingMessage } from '../../infra/kafka/consumer';
import { TOPICS } from '../../infra/kafka/topics';
import { type Decoded, type Parsed, parseValue } from './decode';

/**
 * Stream integrity: which envelope of a stream (one mobility, one project) a projector may fold.
 *
 * Each stream's events carry sequences 0, 1, 2… and ids `<stream>:<sequence>`. The projector keeps,
 * in Postgres and in the batch's transaction, the next sequence each stream expects
 * (`projection_stream_heads`) and every id it admitted with the SHA-256 of its canonical envelope
 * (`projection_event_ledger`). An envelope is admitted when its sequence is the next one; one that
 * comes early waits in `projection_sequence_parked` and is admitted as soon as its predecessors
 * arrive (or dead-lettered as `out-of-sequence` when it waited longer than the park timeout). An id
 * that comes back with the same hash is a redelivery (the projections' dedupe drops it); with
 * another hash it is a forged or corrupted event: dead-lettered as `conflicting-duplicate` with an
 * alert, so it can never displace the event already folded.
 */
export interface StreamRef {
  topic: string;
  streamId: string;
  sequence: number;
  eventId: string;
  type: string | null;
  hash: string;
}

/** JSON with object keys sorted at every level: the same envelope always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  // Plain loops (no intermediate arrays): this runs over every event a projector reads.
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + (canonicalJson(v[i]) ?? '');
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  let s = '{';
  let first = true;
  for (const k of Object.keys(o).sort()) {
    const x = o[k];
    if (x === undefined) continue;
    s += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(x)}`;
    first = false;
  }
  return `${s}}`;
}

export const envelopeHash = (envelope: unknown): string => createHash('sha256').update(canonicalJson(envelope)).digest('hex');

/**
 * The stream position of a message whose envelope is well formed (its id matches its stream and
 * sequence, its key its stream), whatever became of its payload; null for messages that have none.
 * `parsed` is the value as decode parsed it (readMessage), so the JSON is read once.
 */
export function streamRefOf(m: IncomingMessage, d: Decoded, parsed?: Parsed): StreamRef | null {
  const hasEnvelope = d.kind === 'mobility' || d.kind === 'project' || d.kind === 'park' || (d.kind === 'reject' && d.reason === 'invalid-payload');
  if (!hasEnvelope) return null;
  const p = parsed ?? parseValue(m);
  if (!p.ok || p.raw === null || typeof p.raw !== 'object') return null;
  const raw = p.raw as Record<string, unknown>;
  const streamId = m.topic === TOPICS.mobilityEvents.name ? raw.mobilityId : raw.projectId;
  if (typeof streamId !== 'string' || typeof raw.eventId !== 'string' || typeof raw.sequence !== 'number') return null;
  return { topic: m.topic, streamId, sequence: raw.sequence, eventId: raw.eventId, type: typeof raw.type === 'string' ? raw.type : null, hash: envelopeHash(raw) };
}

/** A message kept in projection_sequence_parked, as the consumer delivered it. */
export interface ParkedMessage {
  m: IncomingMessage;
  sequence: number;
  eventId: string;
}

/** The integrity state of the streams of one batch, loaded and locked in the batch's transaction. */
export class StreamGate {
  private readonly ledger = new Map<string, string | null>();
  private readonly heads = new Map<string, number>();
  private readonly dirtyHeads = new Set<string>();
  private readonly parked = new Map<string, ParkedMessage[]>();
  private readonly fresh: { ref: StreamRef; m: IncomingMessage }[] = [];
  private readonly fills: { eventId: string; hash: string }[] = [];

  private constructor(private readonly tx: pg.PoolClient) {}

  static async load(tx: pg.PoolClient, refs: readonly StreamRef[]): Promise<StreamGate> {
    const gate = new StreamGate(tx);
    if (refs.length === 0) return gate;
    const streams = [...new Map(refs.map((r) => [r.streamId, r.topic])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // The heads of the batch's streams, locked (in stream order). A batch that starts a stream (a
    // sequence 0) first inserts the heads it may lack; one that only continues streams locks them in one
    // statement, and inserts only the heads it then finds missing.
    const insertHeads = async (list: readonly (readonly [string, string])[]) => {
      await tx.query(
        `INSERT INTO projection_stream_heads (stream_id, topic, next_sequence) SELECT unnest($1::text[]), unnest($2::text[]), 0 ON CONFLICT DO NOTHING`,
        [list.map(([s]) => s), list.map(([, t]) => t)],
      );
    };
    if (refs.some((r) => r.sequence === 0)) await insertHeads(streams);
    const lockHeads = async (ids: readonly string[]) => {
      for (const r of (await tx.query<{ stream_id: string; next_sequence: number }>(
        'SELECT stream_id, next_sequence FROM projection_stream_heads WHERE stream_id = ANY($1) ORDER BY stream_id FOR UPDATE',
        [ids],
      )).rows) gate.heads.set(r.stream_id, r.next_sequence);
    };
    await lockHeads(streams.map(([s]) => s));
    const fresh = streams.filter(([s]) => !gate.heads.has(s));
    if (fresh.length > 0) {
      await insertHeads(fresh);
      await lockHeads(fresh.map(([s]) => s));
    }
    // Only an id behind its stream's head can be in the ledger (admitting an id moves the head past
    // it; the migration set each head after its highest sequence): the ids ahead of it are new, and
    // are not looked up (the live projector's usual case: every event of the batch is new).
    const behind = [...new Set(refs.filter((r) => r.sequence < (gate.heads.get(r.streamId) ?? 0)).map((r) => r.eventId))];
    if (behind.length > 0) {
      for (const r of (await tx.query<{ event_id: string; payload_hash: string | null }>('SELECT event_id, payload_hash FROM projection_event_ledger WHERE event_id = ANY($1)', [behind])).rows) {
        gate.ledger.set(r.event_id, r.payload_hash);
      }
    }
    const parked = (await tx.query<{ topic: string; partition: number; offset: number; stream_id: string; sequence: number; event_id: string; message_key: string | null; raw: string; headers: Record<string, string> }>(
      `SELECT topic, partition, "offset", stream_id, sequence, event_id, message_key, raw, headers FROM projection_sequence_parked
        WHERE stream_id = ANY($1) ORDER BY sequence, "offset" FOR UPDATE`,
      [streams.map(([s]) => s)],
    )).rows;
    for (const p of parked) {
      const list = gate.parked.get(p.stream_id) ?? [];
      list.push({ sequence: p.sequence, eventId: p.event_id, m: { topic: p.topic, partition: p.partition, offset: String(p.offset), key: p.message_key, value: Buffer.from(p.raw, 'utf8'), headers: p.headers } });
      gate.parked.set(p.stream_id, list);
    }
    return gate;
  }

  /**
   * What to do with an envelope: `admit` (next in its stream, or a known id with the same hash),
   * `conflict` (known id, other hash), `park` (ahead of its stream) or `stale` (behind its stream,
   * with an id never admitted). Admitting moves the head; the caller then asks `released`.
   */
  judge(ref: StreamRef, m: IncomingMessage): { verdict: 'admit' | 'conflict' | 'park' | 'stale'; expected: number; knownHash?: string } {
    const known = this.ledger.get(ref.eventId);
    const head = this.heads.get(ref.streamId) ?? 0;
    if (known !== undefined) {
      if (known === null) {
        this.ledger.set(ref.eventId, ref.hash);
        this.fills.push({ eventId: ref.eventId, hash: ref.hash });
        return { verdict: 'admit', expected: head };
      }
      return known === ref.hash ? { verdict: 'admit', expected: head } : { verdict: 'conflict', expected: head, knownHash: known };
    }
    if (ref.sequence === head) {
      this.ledger.set(ref.eventId, ref.hash);
      this.fresh.push({ ref, m });
      this.heads.set(ref.streamId, head + 1);
      this.dirtyHeads.add(ref.streamId);
      return { verdict: 'admit', expected: head };
    }
    return { verdict: ref.sequence > head ? 'park' : 'stale', expected: head };
  }

  /** Parks a message (persisted at once) so a later one of this batch or another can release it. */
  async park(ref: StreamRef, m: IncomingMessage, expected: number, projector: string): Promise<boolean> {
    const r = await this.tx.query(
      `INSERT INTO projection_sequence_parked (topic, partition, "offset", stream_id, sequence, event_id, expected_sequence, message_key, raw, headers, projector)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING`,
      [m.topic, m.partition, m.offset, ref.streamId, ref.sequence, ref.eventId, expected, m.key, m.value?.toString('utf8') ?? '', JSON.stringify(m.headers), projector],
    );
    const list = this.parked.get(ref.streamId) ?? [];
    if (!list.some((p) => p.m.topic === m.topic && p.m.partition === m.partition && p.m.offset === m.offset)) {
      list.push({ m, sequence: ref.sequence, eventId: ref.eventId });
      list.sort((a, b) => a.sequence - b.sequence || Number(BigInt(a.m.offset) - BigInt(b.m.offset)));
      this.parked.set(ref.streamId, list);
    }
    return r.rowCount === 1;
  }

  /**
   * Parked messages of the stream that its head has now reached, removed from the park, in sequence
   * order: the caller judges each again (the next one is admitted; a second envelope of the same
   * sequence is a redelivery or a conflict).
   */
  async released(streamId: string): Promise<IncomingMessage[]> {
    const list = this.parked.get(streamId);
    if (!list || list.length === 0) return [];
    const head = this.heads.get(streamId) ?? 0;
    const fit = list.filter((p) => p.sequence <= head);
    if (fit.length === 0) return [];
    this.parked.set(streamId, list.filter((p) => !fit.includes(p)));
    for (const p of fit) {
      await this.tx.query('DELETE FROM projection_sequence_parked WHERE topic = $1 AND partition = $2 AND "offset" = $3', [p.m.topic, p.m.partition, p.m.offset]);
    }
    return fit.map((p) => p.m);
  }

  /** Writes the admitted ids and the moved heads (set-based), in the batch's transaction. */
  async flush(): Promise<void> {
    if (this.fresh.length > 0) {
      await this.tx.query(
        `INSERT INTO projection_event_ledger (event_id, stream_id, sequence, payload_hash, topic, partition, "offset")
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::bigint[]) ON CONFLICT DO NOTHING`,
        [
          this.fresh.map((f) => f.ref.eventId), this.fresh.map((f) => f.ref.streamId), this.fresh.map((f) => f.ref.sequence), this.fresh.map((f) => f.ref.hash),
          this.fresh.map((f) => f.m.topic), this.fresh.map((f) => f.m.partition), this.fresh.map((f) => f.m.offset),
        ],
      );
    }
    if (this.dirtyHeads.size > 0) {
      const ids = [...this.dirtyHeads];
      await this.tx.query(
        `UPDATE projection_stream_heads h SET next_sequence = greatest(h.next_sequence, u.next), updated_at = now()
           FROM unnest($1::text[], $2::int[]) AS u(stream_id, next) WHERE h.stream_id = u.stream_id`,
        [ids, ids.map((s) => this.heads.get(s)!)],
      );
    }
    for (const f of this.fills) await this.tx.query('UPDATE projection_event_ledger SET payload_hash = $2 WHERE event_id = $1 AND payload_hash IS NULL', [f.eventId, f.hash]);
  }
}
