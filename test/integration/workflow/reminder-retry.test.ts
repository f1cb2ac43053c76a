import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { createPool } from '../../../infra/db/pool';
import { testConfig } from '../../support/env';
import { mailsFor, startStudyMobility } from './fixtures';
import { timeSkipping } from './harness';

/**
 * A reminder whose activity fails after the e-mail went out (or after claiming the outbox row)
 * is retried by Temporal and still produces exactly one e-mail: the outbox row is found 'sent',
 * or re-claimed and sent once; if the row could not be marked after the SMTP server accepted the e-mail, the
 * retry marks it without sending it again.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let ts: Awaited<ReturnType<typeof timeSkipping>>;
let w: Awaited<ReturnType<Awaited<ReturnType<typeof timeSkipping>>['startWorker']>>;
const crashes: string[] = [];

beforeAll(async () => {
  ts = await timeSkipping(cfg);
  w = await ts.startWorker({
    faults: {
      notifications: {
        afterSent: (r, attempt) => {
          if (r.deadlineId === 'la-change-request' && attempt === 1) {
            crashes.push(`afterSent:${r.mobilityId}`);
            throw new Error('simulated crash after the e-mail was sent');
          }
        },
        beforeMarkSent: (r, attempt) => {
          if (r.deadlineId === 'insurance-travel' && attempt === 1) {
            crashes.push(`beforeMarkSent:${r.mobilityId}`);
            throw new Error('simulated Postgres failure after the SMTP server accepted the e-mail');
          }
        },
        afterClaim: (r, attempt) => {
          if (r.deadlineId === 'extension-request' && attempt === 1) {
            crashes.push(`afterClaim:${r.mobilityId}`);
            throw new Error('simulated crash after the outbox row was claimed');
          }
        },
      },
    },
  });
});
afterAll(async () => {
  await w?.stop();
  await ts?.teardown();
  await pool.end();
});

describe('reminder retried after a crash', () => {
  it('sends one e-mail per reminder whatever the failed attempts', async () => {
    const client = ts.env.client;
    const t0 = await ts.today();
    const { id, app, m } = await startStudyMobility(client, ts.taskQueue, pool, t0);
    await m.act('select', { actor: 'staff.io-1' });
    await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: t0, institutionSignedOn: t0 });
    await ts.sleepUntil(app.plan.startDate);
    await m.act('confirmDeparture', { actor: 'staff.io-1', actualStartDate: app.plan.startDate });
    // Past the reminders before departure (insurance and travel, OLS), the learning-agreement window reminder (term start + 28 days)
    // and the extension reminder (end − 1 month − 7 days).
    await ts.sleepUntil(addDays(app.plan.endDate, -30));
    const sent = (await m.audit()).filter((a) => a.outcome === 'sent').map((a) => a.action);
    expect(sent).toEqual(['reminder.insurance-travel', 'reminder.ols-assessment', 'reminder.la-change-request', 'reminder.extension-request']);
    expect(crashes).toEqual([`beforeMarkSent:${id}`, `afterSent:${id}`, `afterClaim:${id}`]);

    const mails = mailsFor(cfg, id);
    const ids = ['insurance-travel', 'ols-assessment', 'la-change-request', 'extension-request'];
    expect(mails.map((x) => x.headers['x-deadline-id']?.trim())).toEqual(ids);
    expect(mails.map((x) => x.messageId)).toEqual(ids.map((d) => `<${id}.${d}.1@mobility-engine.local>`));
    const rows = (await pool.query<{ deadline_id: string; status: string; claims: number }>('SELECT deadline_id, status, claims FROM notification_outbox WHERE mobility_id = $1 ORDER BY deadline_id', [id])).rows;
    expect(rows).toEqual([
      { deadline_id: 'extension-request', status: 'sent', claims: 2 },
      { deadline_id: 'insurance-travel', status: 'sent', claims: 1 },
      { deadline_id: 'la-change-request', status: 'sent', claims: 1 },
      { deadline_id: 'ols-assessment', status: 'sent', claims: 1 },
    ]);
    await m.handle.terminate('test done');
  });
});
