import type pg from 'pg';
import { type IncomingEnvelope as Envelope, IncomingEnvelope, type IncomingEvent, parseIncomingEvent } from '../../domain/incoming/events';
import { eventIdFor } from '../../domain/envelope';
import type { Config } from '../../infra/config';
import { type IncomingBatch, type IncomingMessage, startBatchConsumer } from '../../infra/kafka/consumer';
import { loadSigningKeys, type SigningKeys } from '../../infra/kafka/signing';
import { TOPICS } from '../../infra/kafka/topics';
import { errorFields, type Logger } from '../../infra/log';
import { checkSignature } from './decode';
import { storedPositions } from './runner';

/**
 * The `incoming` projection: incoming mobilities (domain/incoming) for the console's Incoming page,
 * folded from their own topic, `incoming-events`. Its own consumer group reads only that topic, so
 * the budget and quality projections never see an incoming stay (an incoming stay is paid by its
 * sender). Same guarantees as the other projections: each batch in one transaction with its
 * positions (projection_offsets) and dedupe records (processed_events), signatures verified first,
 * a message that cannot be read recorded in projection_dead_letters and passed over.
 */
export const INCOMING_PROJECTION = 'incoming';

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

/** Folds one event into incoming_mobilities (the nomination creates the row; later facts fill it, guarded by the sequence). */
export async function foldIncomingEvent(tx: Db, env: Envelope, event: IncomingEvent): Promise<void> {
  const id = env.incomingId;
  const seq = env.sequence;
  const stage = `stage = CASE WHEN last_sequence < $2 THEN $3 ELSE stage END, last_sequence = greatest(last_sequence, $2), updated_at = now()`;
  switch (event.type) {
    case 'IncomingNominated': {
      const p = event.payload;
      await tx.query(
        `INSERT INTO incoming_mobilities (incoming_id, institution_id, site_id, participant_ref, kind, sending_org_id, sending_country, start_date, end_date, planned_days,
                                          agreement, transcript_owed, stage, last_sequence, nominated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'nominated',$13,$14) ON CONFLICT (incoming_id) DO NOTHING`,
        [id, p.institutionId, p.siteId, p.participantRef, p.kind, p.sendingOrgId, p.sendingCountry, p.startDate, p.endDate, p.plannedDays, p.agreement, p.transcript, seq, p.at],
      );
      return;
    }
    case 'IncomingAgreementSigned':
      await tx.query(`UPDATE incoming_mobilities SET ${stage}, agreement_signed_on = $4, ects_planned = $5 WHERE incoming_id = $1`, [id, seq, 'agreed', event.payload.signedOn, event.payload.ectsPlanned]);
      return;
    case 'IncomingArrived':
      await tx.query(`UPDATE incoming_mobilities SET ${stage}, arrived_on = $4 WHERE incoming_id = $1`, [id, seq, 'arrived', event.payload.arrivedOn]);
      return;
    case 'IncomingAttendanceCertified': {
      const p = event.payload;
      await tx.query(
        `UPDATE incoming_mobilities SET ${stage}, actual_start_date = $4, actual_end_date = $5, certificate_issued_on = $6, certificate_days_late = $7, transcript_due_on = $8 WHERE incoming_id = $1`,
        [id, seq, 'certified', p.actualStartDate, p.actualEndDate, p.issuedOn, p.daysLate, p.transcriptDueOn],
      );
      return;
    }
    case 'IncomingTranscriptIssued':
      await tx.query(`UPDATE incoming_mobilities SET ${stage}, transcript_issued_on = $4, ects_awarded = $5, transcript_days_late = $6 WHERE incoming_id = $1`,
        [id, seq, 'transcribed', event.payload.issuedOn, event.payload.ects, event.payload.daysLate]);
      return;
    case 'IncomingCancelled':
      await tx.query(`UPDATE incoming_mobilities SET ${stage}, cancellation_reason = $4 WHERE incoming_id = $1`, [id, seq, 'cancelled', event.payload.reasonCode]);
      return;
    case 'IncomingNoShowRecorded':
      await tx.query(`UPDATE incoming_mobilities SET ${stage} WHERE incoming_id = $1`, [id, seq, 'no-show']);
      return;
    case 'IncomingDeadlineMissed':
      await tx.query(`UPDATE incoming_mobilities SET missed = array(SELECT DISTINCT unnest(missed || ARRAY[$2::text]) ORDER BY 1), updated_at = now() WHERE incoming_id = $1`, [id, event.payload.deadline]);
      return;
    default: {
      const never: never = event;
      throw new Error(`unknown incoming event ${(never as { type: string }).type}`);
    }
  }
}

/** One batch, one transaction: positions, dead letters, dedupe and the fold commit together. */
export async function foldIncomingBatch(pool: pg.Pool, batch: IncomingBatch, keys: SigningKeys): Promise<{ applied: number; duplicates: number; deadLettered: number }> {
  const out = { applied: 0, duplicates: 0, deadLettered: 0 };
  if (batch.messages.length === 0) return out;
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    await tx.query(`INSERT INTO projection_offsets (projection, topic, partition, next_offset) VALUES ($1,$2,$3,0) ON CONFLICT DO NOTHING`, [INCOMING_PROJECTION, batch.topic, batch.partition]);
    const from = BigInt((await tx.query<{ next_offset: string }>(
      'SELECT next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE', [INCOMING_PROJECTION, batch.topic, batch.partition])).rows[0]!.next_offset);
    for (const m of batch.messages) {
      if (BigInt(m.offset) < from) continue;
      const d = decodeIncoming(m, keys);
      if (!d.ok) {
        await deadLetter(tx, m, d.reason, d.detail, d.peek);
        out.deadLettered++;
        continue;
      }
      const fresh = await tx.query('INSERT INTO processed_events (projector, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [INCOMING_PROJECTION, d.env.eventId]);
      if (fresh.rowCount === 0) {
        out.duplicates++;
        continue;
      }
      await foldIncomingEvent(tx, d.env, d.event);
      out.applied++;
    }
    const next = (BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n).toString();
    await tx.query(`UPDATE projection_offsets SET next_offset = greatest(next_offset, $4::bigint), updated_at = now() WHERE projection = $1 AND topic = $2 AND partition = $3`,
      [INCOMING_PROJECTION, batch.topic, batch.partition, next]);
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
