import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { createPool } from '../../../infra/db/pool';
import { mobility, registerProject, startMobility } from '../../../workflows/client';
import { eraseParticipant, registerParticipant } from '../../../workers/api/participants';
import { testConfig } from '../../support/env';
import { erasmusLine, mailsFor, newProject, studyApplication } from '../workflow/fixtures';
import { timeSkipping } from '../workflow/harness';
import { seedTenancy } from './support';

/**
 * The registry is where reminders find the participant: the mail activity reads the contact the
 * registry wrote, under the ref the workflow carries. After erasure there is no address left, so
 * the next reminder is recorded as undeliverable and no mail goes out.
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

describe('reminders of a registered participant', () => {
  it('reach the e-mail address of the registry; after erasure none is sent', async () => {
    const tn = await seedTenancy(pool);
    const email = `reminded.${tn.t.toLowerCase()}@student.example.org`;
    const ref = await registerParticipant(pool, {
      institutionId: tn.id.a1, givenName: 'Ada', familyName: `Reminded${tn.t}`, email, dateOfBirth: '2003-05-06', gender: 'undisclosed', nationality: 'FR',
    }, tn.users.ioA1);

    const client = ts.env.client;
    const t0 = await ts.today();
    const { projectId, mobilityId } = newProject();
    const id = mobilityId(1);
    await registerProject(client, ts.taskQueue, { projectId, institutionId: tn.id.a1, lines: erasmusLine(2_000_000, 4) });
    const app = { ...studyApplication(id, projectId, t0, { participantRef: ref }), institutionId: tn.id.a1 };
    await startMobility(client, ts.taskQueue, app);
    const m = mobility(client, id);
    await m.act('select', { actor: 'staff.io-1' });
    await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: t0, institutionSignedOn: t0 });
    await ts.sleepUntil(app.plan.startDate);
    await m.act('confirmDeparture', { actor: 'staff.io-1', actualStartDate: app.plan.startDate });

    // Before departure (insurance and travel, the OLS assessment) and 28 days into the term (the learning-agreement
    // change window): each reminder goes to the registry's address.
    await ts.sleepUntil(addDays(app.plan.startDate, 35));
    const first = mailsFor(cfg, id);
    expect(first.map((x) => x.headers['x-deadline-id']?.trim())).toEqual(['insurance-travel', 'ols-assessment', 'la-change-request']);
    for (const mail of first) expect(mail.to).toEqual([email]);

    await eraseParticipant(pool, ref, tn.users.ioA1);
    // The extension request's reminder (end − 1 month − 7 days) finds no address: undeliverable, no mail.
    await ts.sleepUntil(addDays(app.plan.endDate, -30));
    const outbox = (await pool.query<{ deadline_id: string; status: string }>('SELECT deadline_id, status FROM notification_outbox WHERE mobility_id = $1 ORDER BY deadline_id', [id])).rows;
    expect(outbox).toEqual([
      { deadline_id: 'extension-request', status: 'undeliverable' },
      { deadline_id: 'insurance-travel', status: 'sent' },
      { deadline_id: 'la-change-request', status: 'sent' },
      { deadline_id: 'ols-assessment', status: 'sent' },
    ]);
    expect(mailsFor(cfg, id)).toHaveLength(3);
    await m.handle.terminate('test done');
  });
});
