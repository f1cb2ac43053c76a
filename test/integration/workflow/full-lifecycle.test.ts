import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { createPool } from '../../../infra/db/pool';
import { projectBudget } from '../../../workflows/client';
import { testConfig } from '../../support/env';
import { mailsFor, startStudyMobility } from './fixtures';
import { mobilityEventsOnKafka, timeSkipping } from './harness';

/**
 * A full five-month study mobility on the Java time-skipping test server: months pass in
 * seconds, every deadline timer fires (reminders, escalations, overdue records), against the
 * real Kafka, Postgres and SMTP sink of the stack.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let ts: Awaited<ReturnType<typeof timeSkipping>>;
let w: Awaited<ReturnType<Awaited<ReturnType<typeof timeSkipping>>['startWorker']>>;

beforeAll(async () => {
  ts = await timeSkipping(cfg);
  w = await ts.startWorker();
});
afterAll(async () => {
  await w?.stop();
  await ts?.teardown();
  await pool.end();
});

describe('full lifecycle with time skipping', () => {
  it('runs a five-month study mobility from application to recognition, every timer firing once', async () => {
    const client = ts.env.client;
    const t0 = await ts.today();
    const { projectId, id, app, m } = await startStudyMobility(client, ts.taskQueue, pool, t0);
    const staff = { actor: 'staff.io-1' };

    await m.act('select', staff);
    await m.act('recordOlsAssessment', { ...staff, phase: 'before', language: 'de', level: 'B1' });
    await m.act('signAgreement', { ...staff, participantSignedOn: t0, institutionSignedOn: t0 });
    const estimated = (await m.grant()).estimated!.totalCents;

    await ts.sleepUntil(app.plan.startDate);
    await m.act('confirmDeparture', { ...staff, actualStartDate: app.plan.startDate });
    // The host certifies ten days fewer than planned: the final grant drops and the budget gets the difference back.
    const actualEnd = addDays(app.plan.endDate, -10);
    await ts.sleepUntil(addDays(actualEnd, 2));
    await m.hostCertificateOfAttendance({ actualStartDate: app.plan.startDate, actualEndDate: actualEnd });
    // The report invitation goes out the day after the end; the participant answers late, after two reminders and an escalation.
    const reportDue = addDays(actualEnd, 1 + 30);
    await ts.sleepUntil(addDays(reportDue, 9));
    const mid = await m.deadlines();
    expect(mid.remindersSent['participant-report']?.count).toBe(3);
    await m.surveySubmitted({ submittedOn: addDays(reportDue, 9) });
    await m.transcriptReceived({ receivedOn: addDays(reportDue, 9), ects: 30 });
    await ts.sleepUntil(addDays(reportDue, 9 + 30));
    await m.act('recordOlsAssessment', { ...staff, phase: 'after', language: 'de', level: 'B2' });
    await m.act('recordRecognition', { ...staff, outcome: 'full', recognisedEcts: 30 });
    const result = await m.handle.result();
    expect(result).toMatchObject({ stage: 'recognised', closed: true });
    expect(result.eventsPublished).toBe(result.eventsRecorded);

    const audit = await m.audit();
    const sent = audit.filter((a) => a.outcome === 'sent').map((a) => a.action);
    // (No OLS reminder: the assessment before departure was recorded at selection.)
    expect(sent).toEqual([
      'reminder.insurance-travel',
      'reminder.la-change-request',
      'reminder.extension-request',
      'reminder.participant-report',
      'reminder.transcript-of-records',
      'reminder.participant-report',
      'escalation.transcript-of-records',
      'escalation.participant-report',
      'reminder.recognition',
    ]);
    expect(audit.filter((a) => a.action.startsWith('overdue.')).map((a) => a.action)).toEqual(['overdue.participant-report', 'overdue.transcript-of-records']);

    // One e-mail per reminder, each with its own deterministic Message-ID; personal addresses only in the mail.
    const mails = mailsFor(cfg, id);
    expect(mails).toHaveLength(sent.length);
    expect(new Set(mails.map((x) => x.messageId)).size).toBe(sent.length);
    expect(mails.filter((x) => x.to[0]!.startsWith('erasmus-office@'))).toHaveLength(4);
    expect(JSON.stringify(await m.handle.fetchHistory())).not.toMatch(/student\.example\.org/);

    // Money: the final grant is below the estimate; pre-financing 80 % + balance = final grant; the budget holds the final grant.
    const grant = await m.grant();
    const final = grant.final!.totalCents;
    expect(final).toBeLessThan(estimated);
    const orders = (await pool.query<{ kind: string; amount_cents: number }>('SELECT kind, amount_cents FROM payment_orders WHERE mobility_id = $1 ORDER BY created_at', [id])).rows;
    expect(orders.map((o) => o.kind)).toEqual(['prefinancing', 'balance']);
    expect(orders[0]!.amount_cents + orders[1]!.amount_cents).toBe(final);
    expect((await projectBudget(client, projectId))?.lines[0]).toMatchObject({ reservedCents: final, reservedMobilities: 1 });

    // Every state change is one event on Kafka, ids mobility:sequence, no gaps, no duplicates.
    const events = await mobilityEventsOnKafka(cfg, id, result.eventsRecorded);
    expect(events.map((e) => e.sequence)).toEqual([...Array(result.eventsRecorded).keys()]);
    expect(events.map((e) => e.eventId)).toEqual(events.map((e) => `${id}:${e.sequence}`));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['ApplicationSubmitted', 'ParticipantSelected', 'AgreementSigned', 'PaymentOrdered', 'DepartureConfirmed', 'AttendanceCertified', 'ParticipantReportInvited', 'ParticipantReportReminded', 'DeadlineMissed', 'ParticipantReportSubmitted', 'TranscriptReceived', 'RecognitionRecorded']));
  });
});
