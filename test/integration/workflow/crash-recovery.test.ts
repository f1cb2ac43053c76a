import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { mobility, registerProject, startMobility } from '../../../workflows/client';
import { eventually, testConfig, uniq } from '../../support/env';
import { addContacts, erasmusLine, mailsFor, newProject, studyApplication, today } from './fixtures';
import { mobilityEventsOnKafka } from './harness';

/**
 * Worker processes killed with SIGKILL in the middle of a lifecycle on the dev server: the
 * workflow resumes on the next worker and completes with no duplicate payment order, e-mail or event.
 * The mobility's dates lie in the past, so its deadlines fall due at once (no waiting).
 */
const cfg = testConfig();
const pool = createPool(cfg);
const taskQueue = `crash-${uniq()}`;
let client: Client;
const children: ChildProcess[] = [];

function startWorker(crashAt: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(join(cfg.root, 'node_modules', '.bin', 'tsx'), [join(cfg.root, 'test', 'integration', 'workflow', 'crashing-worker.ts')], {
    env: { ...process.env, ME_TASK_QUEUE: taskQueue, ME_CRASH_AT: crashAt },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const ready = new Promise<void>((resolve) => child.stdout!.on('data', (b: Buffer) => b.toString().includes('worker ready') && resolve()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' || code === 137 ? -9 : code)));
  return { child, ready, exited };
}

beforeAll(async () => {
  client = await connectTemporal(cfg);
});
afterAll(async () => {
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of alive) c.kill('SIGTERM');
  const timer = setTimeout(() => alive.forEach((c) => c.kill('SIGKILL')), 15_000);
  await Promise.all(alive.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.on('exit', r)))));
  clearTimeout(timer);
  await client?.connection.close();
  await pool.end();
});

describe('a worker killed mid-lifecycle', () => {
  it('resumes on the next worker and completes with no duplicate payment, e-mail or event', { timeout: 300_000 }, async () => {
    const t0 = Date.now();
    const step = (what: string) => console.log(`[crash-recovery] +${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    const { projectId, mobilityId } = newProject();
    const id = mobilityId(1);
    const t = today();
    const app = studyApplication(id, projectId, addDays(t, -240));
    await addContacts(pool, app.participantRef);
    await registerProject(client, taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(2_000_000, 4) });

    // Worker 1 dies right after committing the pre-financing order, before reporting the activity done.
    const w1 = startWorker('payment:prefinancing');
    await w1.ready;
    await startMobility(client, taskQueue, app);
    const m = mobility(client, id);
    const staff = { actor: 'staff.io-1' };
    await m.act('select', staff);
    const signing = m.act('signAgreement', { ...staff, participantSignedOn: addDays(app.plan.startDate, -30), institutionSignedOn: addDays(app.plan.startDate, -30) });
    expect(await w1.exited).toBe(-9);
    step('expect(await w1.exited).toBe(-9);');

    // Worker 2 takes over the retried activity, then dies right after its first reminder e-mail; worker 3 then takes over.
    const w2 = startWorker('mail:first');
    const w3 = w2.exited.then((code) => ({ code, next: startWorker('') }));
    await w2.ready;
    expect(await signing).toMatchObject({ stage: 'agreed' });
    step('signed');
    await m.act('confirmDeparture', { ...staff, actualStartDate: app.plan.startDate });
    await m.act('recordCertificateOfAttendance', { ...staff, actualStartDate: app.plan.startDate, actualEndDate: app.plan.endDate });
    step('certified');
    const { code, next } = await w3;
    expect(code).toBe(-9);
    await next.ready;
    step('worker 3 ready');
    await eventually(async () => (await m.state()).stage === 'attended' && (await m.state() as { reportInvitation: unknown }).reportInvitation, 60_000, 'report invitation');
    await eventually(async () => (await m.audit()).some((a) => a.action === 'reminder.transcript-of-records' && a.outcome === 'sent'), 60_000, 'transcript reminder recorded');
    await m.surveySubmitted({ submittedOn: t });
    await m.transcriptReceived({ receivedOn: t, ects: 30 });
    // Both signals are applied in order; recognition needs the transcript too, not only the report.
    await eventually(async () => { const s = await m.state() as { stage: string; transcript?: unknown }; return s.stage === 'reported' && !!s.transcript; }, 30_000, 'report and transcript recorded');
    await m.act('recordRecognition', { ...staff, outcome: 'full', recognisedEcts: 30 });
    const result = await m.handle.result();
    step('const result = await m.handle.result();');
    expect(result).toMatchObject({ stage: 'recognised', closed: true });

    const orders = (await pool.query<{ idempotency_key: string }>('SELECT idempotency_key FROM payment_orders WHERE mobility_id = $1 ORDER BY idempotency_key', [id])).rows.map((r) => r.idempotency_key);
    expect(orders).toEqual([`${id}:balance:1`, `${id}:prefinancing:1`]);
    const audit = await m.audit();
    const sentCount = audit.filter((a) => a.outcome === 'sent').length;
    const mails = mailsFor(cfg, id);
    expect(mails.length).toBe(sentCount);
    expect(new Set(mails.map((x) => x.messageId)).size).toBe(mails.length);
    const outbox = (await pool.query<{ status: string }>('SELECT status FROM notification_outbox WHERE mobility_id = $1', [id])).rows;
    expect(outbox.every((r) => r.status === 'sent')).toBe(true);
    // A publish cut short by a kill is retried with the same event ids: the stream may carry a redelivery
    // (at-least-once, consumers drop it by event id) but never a second event for one state change.
    const events = await mobilityEventsOnKafka(cfg, id, result.eventsRecorded);
    const ids = new Set(events.map((e) => e.eventId));
    expect(ids.size).toBe(result.eventsRecorded);
    expect([...ids].sort()).toEqual([...Array(result.eventsRecorded).keys()].map((n) => `${id}:${n}`).sort());
    for (const e of events) expect(e.eventId).toBe(`${id}:${e.sequence}`);
  });
});
