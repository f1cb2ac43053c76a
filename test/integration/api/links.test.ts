import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { createPool } from '../../../infra/db/pool';
import { LinkSigner, linkIdFor } from '../../../infra/links/tokens';
import { mobility, registerProject, startMobility } from '../../../workflows/client';
import { registerParticipant } from '../../../workers/api/participants';
import { testConfig, uniq } from '../../support/env';
import { erasmusLine, newProject, studyApplication } from '../workflow/fixtures';
import { timeSkipping } from '../workflow/harness';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, seedTenancy, startApi } from './support';

/**
 * Signed participant and host links on the real stack: a participant's reminder e-mail in the SMTP sink
 * carries a link; through it (no account) the certificate of attendance is uploaded with the actual dates,
 * the document is attached and the mobility moves on. An expired, altered, other-mobility or other-purpose
 * use is refused and changes nothing; every use is a row of link_audit.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let ts: Awaited<ReturnType<typeof timeSkipping>>;
let w: Awaited<ReturnType<Awaited<ReturnType<typeof timeSkipping>>['startWorker']>>;
let api: Awaited<ReturnType<typeof startApi>>;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
let staff = '';
let other = '';
let id = '';
let id2 = '';
let app: ReturnType<typeof studyApplication>;
let token = '';

const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% certificate of attendance, signed by the host\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
const certificate = (tok: string, mobilityId: string, dates = { actualStartDate: app.plan.startDate, actualEndDate: app.plan.endDate }) =>
  fetch(`${api.base}/api/links/${tok}/certificate-of-attendance?mobilityId=${mobilityId}&actualStartDate=${dates.actualStartDate}&actualEndDate=${dates.actualEndDate}`, {
    method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(pdf),
  });
/** Mails of the SMTP sink for a mobility, with their (quoted-printable) bodies decoded. */
const mails = (mobilityId: string) => readFileSync(join(cfg.dataDir, 'mail', 'inbox.jsonl'), 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.parse(l) as { to: string[]; headers: Record<string, string>; body: string })
  .filter((m) => m.headers['x-mobility-id']?.trim() === mobilityId)
  .map((m) => ({ ...m, text: m.body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) }));
const audit = async (mobilityId: string) => (await pool.query<{ action: string; outcome: string; actor: string }>(
  `SELECT action, outcome, actor FROM link_audit WHERE mobility_id = $1 OR requested_mobility_id = $1 ORDER BY id`, [mobilityId])).rows;
const stateOf = async (mobilityId: string) => mobility(ts.env.client, mobilityId).state();

beforeAll(async () => {
  ts = await timeSkipping(cfg);
  w = await ts.startWorker();
  tn = await seedTenancy(pool);
  api = await startApi(pool, ts.env.client, ts.taskQueue);
  staff = await http(api.base).login(tn.users.ioA1, tn.password(tn.users.ioA1));
  other = await http(api.base).login(tn.users.ioOut, tn.password(tn.users.ioOut));
  const ref = await registerParticipant(pool, {
    institutionId: tn.id.a1, givenName: 'Ada', familyName: `Linked${tn.t}`, email: `linked.${tn.t.toLowerCase()}@student.example.org`, dateOfBirth: '2003-05-06', gender: 'undisclosed', nationality: 'FR',
  }, tn.users.ioA1);
  const client = ts.env.client;
  const t0 = await ts.today();
  const p = newProject();
  id = p.mobilityId(1);
  id2 = p.mobilityId(2);
  await registerProject(client, ts.taskQueue, { projectId: p.projectId, institutionId: tn.id.a1, lines: erasmusLine(2_000_000, 4) });
  app = { ...studyApplication(id, p.projectId, t0, { participantRef: ref }), institutionId: tn.id.a1 };
  await startMobility(client, ts.taskQueue, app);
  await startMobility(client, ts.taskQueue, { ...studyApplication(id2, p.projectId, t0), institutionId: tn.id.a1 });
  const m = mobility(client, id);
  await m.act('select', { actor: 'staff.io-1' });
  await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: t0, institutionSignedOn: t0 });
  await ts.sleepUntil(app.plan.startDate);
  await m.act('confirmDeparture', { actor: 'staff.io-1', actualStartDate: app.plan.startDate });
  // The extension-request window's reminder (end − 1 month − 7 days) goes to the participant, with a link.
  await ts.sleepUntil(addDays(app.plan.endDate, -30));
}, 180_000);

afterAll(async () => {
  await api?.close();
  for (const x of [id, id2]) await mobility(ts.env.client, x).handle.terminate('test done').catch(() => undefined);
  await w?.stop();
  await ts?.teardown();
  await pool.end();
});

describe('a participant reminder carries a signed link', () => {
  it('the e-mail in the development mailbox carries a link for the certificate of attendance, with no personal data in it', async () => {
    const withLink = mails(id).filter((m) => m.headers['x-link-purpose']?.trim() === 'certificate-of-attendance');
    expect(withLink.length).toBeGreaterThanOrEqual(1);
    const url = /(http:\/\/\S+\/link\/(\S+))/.exec(withLink.at(-1)!.text);
    expect(url, withLink.at(-1)!.text).not.toBeNull();
    token = url![2]!;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'jti', 'pur', 'sub']);
    expect(claims).toMatchObject({ sub: id, aud: 'participant', pur: 'certificate-of-attendance' });
    expect(JSON.stringify(claims)).not.toMatch(/Ada|Linked|@/);

    const info = await http(api.base).call('GET', `/api/links/${token}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ mobilityId: id, audience: 'participant', purpose: 'certificate-of-attendance', stage: 'departed', awaited: true });
  });

  it('an altered, an expired, another mobility\'s or another purpose\'s use is refused (403/410) and changes nothing', async () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    const forged = Buffer.from(p, 'base64url').toString('utf8').replace(id, id2);
    const tampered = [`${h}.${Buffer.from(forged).toString('base64url')}.${s}`, `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`];
    for (const t of tampered) {
      const r = await certificate(t, id2);
      expect(r.status).toBe(403);
      expect(((await r.json()) as { error: string }).error).toBe('link-invalid');
    }
    const expired = await LinkSigner.forDataDir(cfg.dataDir).sign({ linkId: linkIdFor(uniq()), mobilityId: id, audience: 'participant', purpose: 'certificate-of-attendance', expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const late = await certificate(expired, id);
    expect(late.status).toBe(410);
    expect(((await late.json()) as { message: string }).message).toMatch(/expired on/);
    expect((await http(api.base).call('GET', `/api/links/${expired}`)).status).toBe(410);

    const elsewhere = await certificate(token, id2);
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { message: string }).message).toMatch(/another mobility/);
    const purpose = await http(api.base).call('POST', `/api/links/${token}/report-confirmation`, { body: { mobilityId: id, submittedOn: await ts.today() } });
    expect(purpose.status).toBe(403);
    expect(purpose.body.message).toMatch(/for the certificate-of-attendance, not the report-confirmation/);

    for (const x of [id, id2]) {
      const st = await stateOf(x);
      expect(st.stage === 'none' ? null : { stage: st.stage, documents: st.documents.length }).toEqual({ stage: x === id ? 'departed' : 'applied', documents: 0 });
    }
    expect(await audit(id2)).toEqual([
      { action: 'certificate-of-attendance', outcome: 'invalid', actor: 'anonymous' },
      { action: 'certificate-of-attendance', outcome: 'invalid', actor: 'anonymous' },
      { action: 'certificate-of-attendance', outcome: 'mismatch', actor: 'participant' },
    ]);
    const outcomes = (await audit(id)).map((r) => r.outcome);
    expect(outcomes).toEqual(expect.arrayContaining(['viewed', 'expired', 'mismatch']));
  });

  it('through the link the certificate of attendance is accepted: the document attached, attendance certified, the mobility moves on; a second use changes nothing', async () => {
    await ts.sleepUntil(addDays(app.plan.endDate, 1));
    const r = await certificate(token, id);
    const body = (await r.json()) as { stage: string; events: string[]; sha256: string };
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(body.stage).toBe('attended');
    expect(body.events).toEqual(expect.arrayContaining(['DocumentAttached', 'AttendanceCertified']));
    const st = await stateOf(id);
    if (st.stage !== 'attended') throw new Error(`stage ${st.stage}`);
    expect(st.attendance).toMatchObject({ actualStartDate: app.plan.startDate, actualEndDate: app.plan.endDate });
    expect(st.documents).toEqual([expect.objectContaining({ kind: 'certificate-of-attendance', sha256: body.sha256, attachedBy: 'link:participant' })]);
    const trail = await mobility(ts.env.client, id).audit();
    expect(trail.filter((a) => a.actor === 'link:participant').map((a) => a.action)).toEqual(['attachDocument', 'recordCertificateOfAttendance']);

    const again = await certificate(token, id);
    expect(again.status).toBe(409);
    const after = await stateOf(id);
    expect(after.stage === 'none' ? -1 : after.documents.length).toBe(1);
    expect((await audit(id)).filter((a) => a.action === 'certificate-of-attendance').map((a) => a.outcome)).toEqual(['expired', 'mismatch', 'applied', 'refused']);
  });

  it('staff issue a host link for a mobility of their scope (another tenant: 404); it names the host and its purpose', async () => {
    const issued = await http(api.base).call('POST', `/api/mobilities/${id2}/links`, { token: staff, body: { audience: 'host', purpose: 'certificate-of-attendance' } });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const hostToken = /\/link\/(\S+)$/.exec(issued.body.url)![1]!;
    const info = await http(api.base).call('GET', `/api/links/${hostToken}`);
    expect(info.body).toMatchObject({ mobilityId: id2, audience: 'host', purpose: 'certificate-of-attendance', stage: 'applied', awaited: false });
    expect((await http(api.base).call('POST', `/api/mobilities/${id2}/links`, { token: other, body: { audience: 'host', purpose: 'certificate-of-attendance' } })).status).toBe(404);
    expect((await http(api.base).call('POST', `/api/mobilities/${id2}/links`, { token: staff, body: { audience: 'host', purpose: 'report-confirmation' } })).status).toBe(400);
    expect((await audit(id2)).map((a) => [a.action, a.outcome])).toEqual([['certificate-of-attendance', 'invalid'], ['certificate-of-attendance', 'invalid'], ['certificate-of-attendance', 'mismatch'], ['issue', 'issued'], ['view', 'viewed']]);
  });
});
