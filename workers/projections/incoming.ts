import type pg from 'pg';
import { type IncomingEnvelope as Envelope, IncomingEnvelope, type IncomingEvent, parseIncomingEvent } from '../../domain/incoming/events';
import { eventIdFor } from '../../domain/envelope';
import type { Config } from '../../infra/config';
import { type IncomingBatch, type IncomingMessage, startBatchConsumer } from '../../infra/kafka/consumer';
import { loadSigningKeys, type SigningKeys } from '../../infra/kafka/signing';
import { TOPICS } from '../../infra/kafka/topics';
import { errorFields, type Logger } from '../../infra/log';
import { checkSignature } from './decode';
import { recordProcessed, storedPositions } from './runner';

/**
 * The `incoming` projection: incoming mobilities (domain/incoming) for the console's Incoming page,
 * folded from their own topic, `incoming-events`. Its own consumer group reads only that topic, so
 * the budget and quality projections never see an incoming stay (an incoming stay is paid by its
 * sender). Same guarantees as the other projections: each batch in one transaction with its
 * positions (projection_offsets) and dedupe records (processed_events), signatures verified first,
 * a message that cannot be read recorded in projection_dead_letters and passed over; folded set-based
 * (a few statements per batch over `unnest`, whatever its size), and rebuilt with the others
 * (rebuild.ts, `npm run projections:rebuild`).
 */
export const INCOMING_PROJECTION = 'incoming';
/** The tables holding the projection's state, emptied by a rebuild. */
export const INCOMING_TABLES = ['incoming_mobilities'] as const;

type Db = pg.PoolClient;

async function deadLetter(tx: Db, m: IncomingMessage, reason: string, detail: string, peek: { eventId: string | null; type: string | null; version: number | null }) {
  await tx.query(
    `INSERT INTO projection_dead_letters (topic, partition, "offset", reason, detail, event_id, event_type, event_version, message_key, raw, projector)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING`,
    [m.topic, m.partition, m.offset, reason, detail.replace(/\u0000/g, ''), peek.eventId, peek.type, peek.version, m.key, (m.value?.toString('utf8') ?? '').replace(/\u0000/g, ''), INCOMING_PROJECTION],
  );
}

/** Reads one message: signature, JSON, envelope (id and key agree), then the event of its type and version. */
export function decodeIncoming(m: IncomingMessage, keys: SigningKeys): { ok: true; env: Envelope; event: IncomingEvent } | { ok: false; reason: string; detail: string; peek: { eventId: string | null; type: string | null; version: number | null } } {
  const bad = checkSignature(m, keys);
  if (bad) return { ok: false, reason: bad.reason, detail: bad.detail, peek: bad };
  let raw: unknown;
  try {
    raw = JSON.parse(m.value?.toString('utf8') ?? '');
  } catch (e) {
    return { ok: false, reason: 'invalid-json', detail: (e as Error).message, peek: { eventId: null, type: null, version: null } };
  }
  const env = IncomingEnvelope.safeParse(raw);
  const o = (raw ?? {}) as Record<string, unknown>;
  const peek = { eventId: typeof o.eventId === 'string' ? o.eventId : null, type: typeof o.type === 'string' ? o.type : null, version: typeof o.version === 'number' ? o.version : null };
  if (!env.success) return { ok: false, reason: 'invalid-envelope', detail: env.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), peek };
  const e = env.data;
  if (e.eventId !== eventIdFor(e.incomingId, e.sequence)) return { ok: false, reason: 'invalid-envelope', detail: `eventId ${e.eventId} is not ${eventIdFor(e.incomingId, e.sequence)}`, peek };
  if (m.key !== null && m.key !== e.incomingId) return { ok: false, reason: 'key-mismatch', detail: `key ${m.key} is not the incoming id ${e.incomingId}`, peek };
  const event = parseIncomingEvent(e);
  if ('kind' in event) return { ok: false, reason: event.kind, detail: event.detail, peek };
  return { ok: true, env: e, event };
}

/** A decoded event of the batch: its envelope and its event. */
export interface IncomingFolded { readonly env: Envelope; readonly event: IncomingEvent }

/** Nullable column values a batch sets on a row (a column is set when the batch carried its event). */
type Sets = Partial<Record<(typeof SET_COLUMNS)[number], string | number | null>>;
const SET_COLUMNS = [
  'agreement_signed_on', 'ects_planned', 'arrived_on', 'actual_start_date', 'actual_end_date', 'certificate_issued_on', 'certificate_days_late',
  'transcript_due_on', 'transcript_issued_on', 'ects_awarded', 'transcript_days_late', 'cancellation_reason',
] as const;
const COLUMN_TYPES: Record<(typeof SET_COLUMNS)[number], string> = {
  agreement_signed_on: 'date', ects_planned: 'numeric', arrived_on: 'date', actual_start_date: 'date', actual_end_date: 'date', certificate_issued_on: 'date',
  certificate_days_late: 'int', transcript_due_on: 'date', transcript_issued_on: 'date', ects_awarded: 'numeric', transcript_days_late: 'int', cancellation_reason: 'text',
};

/** What one batch does to one stay's row, folded in memory in the order the events were admitted. */
interface IncomingDelta {
  incomingId: string;
  nomination: { env: Envelope; p: Extract<IncomingEvent, { type: 'IncomingNominated' }>['payload'] } | null;
  /** The stage of the batch's latest event by sequence (the nomination's is the row's first). */
  stage: { stage: string; seq: number } | null;
  sets: Sets;
  missed: Set<string>;
}

const STAGE_OF: Partial<Record<IncomingEvent['type'], string>> = {
  IncomingAgreementSigned: 'agreed', IncomingArrived: 'arrived', IncomingAttendanceCertified: 'certified', IncomingTranscriptIssued: 'transcribed',
  IncomingCancelled: 'cancelled', IncomingNoShowRecorded: 'no-show',
};

/**
 * The batch's deltas, one per stay. The rules are those of folding the events one by one: the nomination
 * creates the row (a second one changes nothing); each later fact sets its columns (the last one of the batch
 * wins, as the last UPDATE would) and moves the stage only when its sequence is above the row's; missed
 * deadlines are a set.
 */
export function incomingDeltas(events: readonly IncomingFolded[]): IncomingDelta[] {
  const out = new Map<string, IncomingDelta>();
  for (const { env, event } of events) {
    let d = out.get(env.incomingId);
    if (!d) out.set(env.incomingId, (d = { incomingId: env.incomingId, nomination: null, stage: null, sets: {}, missed: new Set() }));
    const seq = env.sequence;
    const stage = STAGE_OF[event.type];
    if (stage !== undefined && (d.stage === null || d.stage.seq < seq)) d.stage = { stage, seq };
    switch (event.type) {
      case 'IncomingNominated':
        d.nomination ??= { env, p: event.payload };
        break;
      case 'IncomingAgreementSigned':
        Object.assign(d.sets, { agreement_signed_on: event.payload.signedOn, ects_planned: event.payload.ectsPlanned });
        break;
      case 'IncomingArrived':
        Object.assign(d.sets, { arrived_on: event.payload.arrivedOn });
        break;
      case 'IncomingAttendanceCertified': {
        const p = event.payload;
        Object.assign(d.sets, { actual_start_date: p.actualStartDate, actual_end_date: p.actualEndDate, certificate_issued_on: p.issuedOn, certificate_days_late: p.daysLate, transcript_due_on: p.transcriptDueOn });
        break;
      }
      case 'IncomingTranscriptIssued':
        Object.assign(d.sets, { transcript_issued_on: event.payload.issuedOn, ects_awarded: event.payload.ects, transcript_days_late: event.payload.daysLate });
        break;
      case 'IncomingCancelled':
        Object.assign(d.sets, { cancellation_reason: event.payload.reasonCode });
        break;
      case 'IncomingNoShowRecorded':
        break;
      case 'IncomingDeadlineMissed':
        d.missed.add(event.payload.deadline);
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown incoming event ${(never as { type: string }).type}`);
      }
    }
  }
  return [...out.values()];
}

/**
 * The batch's fresh events into incoming_mobilities, set-based: one INSERT of the nominations, then one
 * UPDATE merging every stay's delta (each over `unnest`), whatever the batch's size. Leaves the rows that
 * folding the events one by one, in the same order, would leave.
 */
export async function foldIncomingEvents(tx: Db, events: readonly IncomingFolded[]): Promise<void> {
  const ds = incomingDeltas(events);
  if (ds.length === 0) return;
  const noms = ds.flatMap((d) => (d.nomination ? [d.nomination] : []));
  if (noms.length > 0) {
    const c = <T>(f: (n: (typeof noms)[number]) => T) => noms.map(f);
    await tx.query(
      `INSERT INTO incoming_mobilities (incoming_id, institution_id, site_id, participant_ref, kind, sending_org_id, sending_country, start_date, end_date, planned_days,
                                        agreement, transcript_owed, stage, last_sequence, nominated_at)
       SELECT i, inst, site, ref, kind, org, country, sd, ed, days, agr, tr, 'nominated', seq, at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::date[], $9::date[], $10::int[], $11::text[], $12::boolean[], $13::int[], $14::timestamptz[])
           AS n(i, inst, site, ref, kind, org, country, sd, ed, days, agr, tr, seq, at)
       ON CONFLICT (incoming_id) DO NOTHING`,
      [c((n) => n.env.incomingId), c((n) => n.p.institutionId), c((n) => n.p.siteId), c((n) => n.p.participantRef), c((n) => n.p.kind), c((n) => n.p.sendingOrgId),
        c((n) => n.p.sendingCountry), c((n) => n.p.startDate), c((n) => n.p.endDate), c((n) => n.p.plannedDays), c((n) => n.p.agreement), c((n) => n.p.transcript),
        c((n) => n.env.sequence), c((n) => n.p.at)],
    );
  }
  // Only stays whose later facts the batch carried: a batch of nominations alone updates nothing.
  const ups = ds.filter((d) => d.stage !== null || d.missed.size > 0 || Object.keys(d.sets).length > 0);
  if (ups.length === 0) return;
  // unnest of a text[][] would flatten it: each stay's missed deadlines travel as one JSON array.
  const params: unknown[] = [ups.map((d) => d.incomingId), ups.map((d) => d.stage?.stage ?? null), ups.map((d) => d.stage?.seq ?? -1), ups.map((d) => JSON.stringify([...d.missed].sort()))];
  const setList = SET_COLUMNS.map((col) => {
    params.push(ups.map((d) => col in d.sets));
    const has = params.length;
    params.push(ups.map((d) => d.sets[col] ?? null));
    return { col, has, value: params.length };
  });
  await tx.query(
    `UPDATE incoming_mobilities m SET
       stage = CASE WHEN u.seq > m.last_sequence THEN u.stage ELSE m.stage END,
       last_sequence = greatest(m.last_sequence, u.seq),
       ${setList.map((s) => `${s.col} = CASE WHEN u.has_${s.col} THEN u.${s.col} ELSE m.${s.col} END`).join(',\n       ')},
       missed = CASE WHEN jsonb_array_length(u.missed) = 0 THEN m.missed
                     ELSE array(SELECT DISTINCT x FROM unnest(m.missed || array(SELECT jsonb_array_elements_text(u.missed))) AS x ORDER BY 1) END,
       updated_at = now()
     FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[], ${setList.map((s) => `$${s.has}::boolean[], $${s.value}::${COLUMN_TYPES[s.col]}[]`).join(', ')})
       AS u(incoming_id, stage, seq, missed, ${setList.map((s) => `has_${s.col}, ${s.col}`).join(', ')})
     WHERE m.incoming_id = u.incoming_id`,
    params,
  );
}

/**
 * One batch (one partition) inside the caller's transaction, set-based like the other projections
 * (runner.ts): lock the position, skip what is below it, dead-letter what cannot be read, dedupe the
 * event ids in one statement (processed_events), fold the fresh events (foldIncomingEvents), store the
 * new position. `dedupe` and `skip` let a rebuild keep its own dedupe and leave out what was quarantined.
 */
export async function foldIncomingBatchInTx(
  tx: Db, batch: IncomingBatch, keys: SigningKeys,
  opts: { dedupe?: (tx: Db, pairs: readonly (readonly [string, string])[]) => Promise<Iterable<readonly [string, string]>>; skip?: (m: IncomingMessage) => boolean } = {},
): Promise<{ applied: number; duplicates: number; deadLettered: number }> {
  const out = { applied: 0, duplicates: 0, deadLettered: 0 };
  if (batch.messages.length === 0) return out;
  await tx.query(`INSERT INTO projection_offsets (projection, topic, partition, next_offset) VALUES ($1,$2,$3,0) ON CONFLICT DO NOTHING`, [INCOMING_PROJECTION, batch.topic, batch.partition]);
  const from = BigInt((await tx.query<{ next_offset: string }>(
    'SELECT next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE', [INCOMING_PROJECTION, batch.topic, batch.partition])).rows[0]!.next_offset);
  const decoded: IncomingFolded[] = [];
  for (const m of batch.messages) {
    if (BigInt(m.offset) < from) continue;
    if (opts.skip?.(m)) {
      out.deadLettered++;
      continue;
    }
    const d = decodeIncoming(m, keys);
    if (!d.ok) {
      await deadLetter(tx, m, d.reason, d.detail, d.peek);
      out.deadLettered++;
      continue;
    }
    decoded.push({ env: d.env, event: d.event });
  }
  if (decoded.length > 0) {
    const pairs = decoded.map((d) => [INCOMING_PROJECTION, d.env.eventId] as const);
    const fresh = new Set([...await (opts.dedupe ?? recordProcessed)(tx, pairs)].map(([, id]) => id));
    // Each fresh id folded once, at its first place in the batch.
    const folded = decoded.filter((d) => fresh.delete(d.env.eventId));
    out.duplicates += decoded.length - folded.length;
    await foldIncomingEvents(tx, folded);
    out.applied += folded.length;
  }
  const next = (BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n).toString();
  await tx.query(`UPDATE projection_offsets SET next_offset = greatest(next_offset, $4::bigint), updated_at = now() WHERE projection = $1 AND topic = $2 AND partition = $3`,
    [INCOMING_PROJECTION, batch.topic, batch.partition, next]);
  return out;
}

/** One batch, one transaction: positions, dead letters, dedupe and the fold commit together. */
export async function foldIncomingBatch(pool: pg.Pool, batch: IncomingBatch, keys: SigningKeys): Promise<{ applied: number; duplicates: number; deadLettered: number }> {
  if (batch.messages.length === 0) return { applied: 0, duplicates: 0, deadLettered: 0 };
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const out = await foldIncomingBatchInTx(tx, batch, keys);
    await tx.query('COMMIT');
    return out;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

export interface RunningIncomingProjector {
  readonly groupId: string;
  stop(): Promise<void>;
  readonly crashed: Promise<Error>;
}

/** The incoming projection's consumer group over `incoming-events`, resuming from its stored positions. */
export async function startIncomingProjector(cfg: Config, pool: pg.Pool, opts: { groupId?: string; log?: Logger } = {}): Promise<RunningIncomingProjector> {
  const keys = loadSigningKeys(cfg);
  const groupId = opts.groupId ?? `projector-${INCOMING_PROJECTION}`;
  const consumer = await startBatchConsumer(cfg, {
    role: groupId,
    groupId,
    topics: [TOPICS.incomingEvents.name],
    positions: () => storedPositions(pool, [INCOMING_PROJECTION]),
    onBatch: async (batch) => {
      const r = await foldIncomingBatch(pool, batch, keys);
      if (r.deadLettered > 0) opts.log?.warn({ topic: batch.topic, partition: batch.partition, deadLettered: r.deadLettered }, 'incoming events dead-lettered');
    },
  });
  return { groupId, stop: () => consumer.stop(), crashed: consumer.crashed };
}

/** Keeps the incoming projector running inside the projector process: a consumer that stops on an error is replaced after a back-off. */
export function superviseIncomingProjector(cfg: Config, pool: pg.Pool, log: Logger): { stop(): Promise<void> } {
  let stopping = false;
  let current: RunningIncomingProjector | null = null;
  const loop = async () => {
    let backoffMs = 500;
    while (!stopping) {
      try {
        current = await startIncomingProjector(cfg, pool, { log });
        log.info({ groupId: current.groupId }, 'incoming projector running');
        const err = await current.crashed;
        if (stopping) return;
        log.error(errorFields(err), 'incoming consumer stopped on an error; starting a new one');
        await current.stop().catch(() => undefined);
        current = null;
      } catch (err) {
        if (stopping) return;
        log.error(errorFields(err), 'incoming projector could not start');
      }
      await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 15_000);
    }
  };
  void loop();
  return {
    async stop() {
      stopping = true;
      await current?.stop().catch(() => undefined);
    },
  };
}
