import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { incomingIdFor } from '../../../domain/incoming';
import { createPool } from '../../../infra/db/pool';
import { kafkaFor } from '../../../infra/kafka/client';
import { TOPICS } from '../../../infra/kafka/topics';
import { incoming, startIncoming } from '../../../workflows/incoming.client';
import { startIncomingProjector } from '../../../workers/projections/incoming';
import { ALL_PROJECTIONS, startProjector } from '../../../workers/projector';
import { eventually, testConfig, uniq } from '../../support/env';
import { addContacts, mailsFor } from './fixtures';
import { timeSkipping } from './harness';
import { caughtUp } from '../projections/support';

/**
 * An incoming student from nomination to transcript on the real stack (time-skipping Temporal, Kafka,
 * Postgres, SMTP): the receiver signs the learning agreement, the student arrives, the institution's
 * staff are reminded of the certificate of attendance before the end date, the certificate is issued,
 * the transcript's 5-week due date passes (recorded missed, escalated), the transcript is issued.
 * The events are on incoming-events, the incoming projection lists the stay, and the budget figures
 * (and every sending-side projection) did not move. ME_RECORD_INCOMING_HISTORY=1 (or a name) writes the history
 * to test/histories/incoming-student.json (or <name>.json) for the replay test.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const staff = { actor: 'staff.incoming-1' };
let ts: Awaited<ReturnType<typeof timeSkipping>>;
let worker: Awaited<ReturnType<Awaited<ReturnType<typeof timeSkipping>>['startWorker']>>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let incomingProjector: Awaited<ReturnType<typeof startIncomingProjector>>;

const budgetFigures = async () => (await pool.query(
  `SELECT count(*)::int AS rows, coalesce(sum(committed_cents), 0)::bigint AS committed, coalesce(sum(paid_cents), 0)::bigint AS paid,
          coalesce(sum(mobilities_used), 0)::bigint AS used, coalesce(sum(org_support_cents), 0)::bigint AS org FROM budget_consumption`)).rows[0];

beforeAll(async () => {
  ts = await timeSkipping(cfg);
  worker = await ts.startWorker();
  projector = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-incoming-test-${uniq()}` });
  incomingProjector = await startIncomingProjector(cfg, pool, { groupId: `projector-incoming-${uniq()}` });
});
afterAll(async () => {
  await incomingProjector?.stop();
  await projector?.stop();
  await worker?.stop();
  await ts?.teardown();
  await pool.end();
});

describe('incoming student on the real stack', () => {
  it('runs from nomination to transcript, publishes its events on incoming-events, is listed by the incoming projection and leaves the budget untouched', async () => {
    const institutionId = `F-IN-${uniq()}`;
    const id = incomingIdFor(institutionId, 1);
    const participantRef = `P-IN${uniq()}`;
    await addContacts(pool, participantRef, institutionId);
    // Whatever earlier tests left in the topics is folded first (this file's projector starts a new group on a shared
    // stack), so 'before' is the budget as it stands and only this stay could move it.
    await caughtUp(cfg, pool, ALL_PROJECTIONS.map((p) => p.name), 90_000);
    const before = await budgetFigures();
    const t0 = await ts.today();
    const startDate = addDays(t0, 30);
    const endDate = addDays(startDate, 149);
    await startIncoming(ts.env.client, ts.taskQueue, {
      incomingId: id, ...staff, institutionId, siteId: null, participantRef, kind: 'student-studies', sendingOrgId: 'D-BERLIN-01', sendingCountry: 'DE', startDate, endDate,
    });
    const m = incoming(ts.env.client, id);

    // A refusal never reaches the history: the learning agreement comes before arrival.
    const early = await m.act('confirmArrival', { ...staff, arrivedOn: t0 }).then(() => null, (e: { cause?: { type?: string } }) => e);
    expect(early?.cause?.type).toBe('agreement-required');
    expect(await m.act('signAgreement', { ...staff, signedOn: t0, ectsPlanned: 30 })).toEqual({ stage: 'agreed', events: ['IncomingAgreementSigned'] });
    await ts.sleepUntil(startDate);
    expect((await m.act('confirmArrival', { ...staff, arrivedOn: startDate })).stage).toBe('arrived');

    // Three days before the end: the staff are reminded of the certificate of attendance.
    await ts.sleepUntil(addDays(endDate, -2));
    await eventually(async () => (await m.audit()).some((a) => a.action === 'reminder.certificate-of-attendance'), 20_000, 'certificate reminder');
    await ts.sleepUntil(endDate, 12);
    expect(await m.act('issueCertificate', { ...staff, actualStartDate: startDate, actualEndDate: endDate, issuedOn: endDate })).toEqual({ stage: 'certified', events: ['IncomingAttendanceCertified'] });
    const transcriptDue = addDays(endDate, 35);
    expect((await m.deadlines()).deadlines).toEqual([{ deadline: 'transcript-of-records', dueOn: transcriptDue, ruleId: 'IN-TOR-5W' }]);

    // The transcript is late: recorded missed the day after its due date, escalated, then issued.
    await ts.sleepUntil(addDays(transcriptDue, 2));
    await eventually(async () => (await m.state() as { missed?: string[] }).missed?.includes('transcript-of-records'), 20_000, 'transcript missed');
    expect(await m.act('issueTranscript', { ...staff, issuedOn: addDays(transcriptDue, 2), ects: 28 })).toEqual({ stage: 'transcribed', events: ['IncomingTranscriptIssued'] });
    const result = await m.handle.result();
    expect(result).toMatchObject({ incomingId: id, stage: 'transcribed', closed: true, eventsPublished: 6 });

    // The reminders reached the institution's coordinator, once each (reminder, then escalation).
    const outbox = (await pool.query('SELECT deadline_id, attempt, kind, status, recipient_role FROM notification_outbox WHERE mobility_id = $1 ORDER BY deadline_id, attempt', [id])).rows;
    expect(outbox).toEqual([
      { deadline_id: 'certificate-of-attendance', attempt: 1, kind: 'reminder', status: 'sent', recipient_role: 'coordinator' },
      { deadline_id: 'transcript-of-records', attempt: 1, kind: 'reminder', status: 'sent', recipient_role: 'coordinator' },
      { deadline_id: 'transcript-of-records', attempt: 2, kind: 'escalation', status: 'sent', recipient_role: 'coordinator' },
    ]);
    await eventually(async () => mailsFor(cfg, id).length === 3, 10_000, 'three mails');
    expect(mailsFor(cfg, id).every((mail) => mail.to.includes(`erasmus-office@${institutionId.toLowerCase()}.example.org`))).toBe(true);

    // On Kafka: the stay's events on incoming-events, in order, each once; nothing on mobility-events.
    const seen = await eventsOnTopic(TOPICS.incomingEvents.name, id, 6);
    expect(seen.map((e) => e.type)).toEqual(['IncomingNominated', 'IncomingAgreementSigned', 'IncomingArrived', 'IncomingAttendanceCertified', 'IncomingDeadlineMissed', 'IncomingTranscriptIssued']);
    expect(seen.map((e) => e.eventId)).toEqual(seen.map((_, i) => `${id}:${i}`));
    expect(JSON.stringify(seen)).not.toMatch(/Cents|@/); // no money, no address
    expect(await eventsOnTopic(TOPICS.mobilityEvents.name, id, 1, 3_000)).toEqual([]);

    // The incoming projection lists it; the budget and every sending-side projection did not move.
    const row = await eventually(async () => (await pool.query(`SELECT * FROM incoming_mobilities WHERE incoming_id = $1 AND stage = 'transcribed'`, [id])).rows[0], 20_000, 'projected');
    expect(row).toMatchObject({ institution_id: institutionId, participant_ref: participantRef, kind: 'student-studies', agreement: 'learning-agreement', transcript_days_late: 2, missed: ['transcript-of-records'] });
    expect(Number(row.ects_awarded)).toBe(28);
    expect(await budgetFigures()).toEqual(before);
    expect((await pool.query(`SELECT projector FROM processed_events WHERE event_id LIKE $1 ORDER BY 1`, [`${id}:%`])).rows.map((r) => r.projector)).toEqual(Array(6).fill('incoming'));
    expect((await pool.query('SELECT 1 FROM budget_mobilities WHERE mobility_id = $1', [id])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM quality_mobilities WHERE mobility_id = $1', [id])).rowCount).toBe(0);

    if (process.env.ME_RECORD_INCOMING_HISTORY) {
      const history = await m.handle.fetchHistory();
      const json = proto.temporal.api.history.v1.History.toObject(history as never, { enums: String, longs: String, bytes: String });
      // ME_RECORD_INCOMING_HISTORY=<name>: test/histories/<name>.json (1: incoming-student, the first one recorded).
      const name = process.env.ME_RECORD_INCOMING_HISTORY === '1' ? 'incoming-student' : process.env.ME_RECORD_INCOMING_HISTORY;
      writeFileSync(join(cfg.root, 'test', 'histories', `${name}.json`), `${JSON.stringify(json, null, 1)}\n`);
    }
  });
});

async function eventsOnTopic(topic: string, key: string, expected: number, timeoutMs = 30_000): Promise<{ eventId: string; type: string }[]> {
  const consumer = kafkaFor(cfg, 'test-reader').consumer({ groupId: `test-reader-${uniq()}` });
  const seen: { eventId: string; type: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() !== key) return;
      const v = JSON.parse(message.value!.toString()) as { eventId: string; type: string };
      seen.push({ eventId: v.eventId, type: v.type });
      if (seen.length >= expected) resolveDone();
    },
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs))]);
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return seen;
}
