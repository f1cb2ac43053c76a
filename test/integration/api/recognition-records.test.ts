import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { decodePDFRawStream, PDFDocument, PDFRawStream } from 'pdf-lib';
import { verifyCredential } from 'did-jwt-vc';
import { Resolver } from 'did-resolver';
import { getResolver } from 'key-did-resolver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import { issuerKeyFile } from '../../../infra/credentials/issuer-key';
import { sha256Hex } from '../../../infra/credentials/open-badge';
import { checkCredentialStatus } from '../../../infra/credentials/status-list';
import { createPool } from '../../../infra/db/pool';
import { kafkaFor } from '../../../infra/kafka/client';
import { TOPICS } from '../../../infra/kafka/topics';
import { connectTemporal } from '../../../infra/temporal';
import { mobility } from '../../../workflows/client';
import type { PayloadOf, UpdateName } from '../../../workflows/messages';
import { scanForPii } from '../../../workers/projections/pii-scan';
import { startProjector } from '../../../workers/projector';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { launchChromium } from '../../browser/chromium';
import { http, KA131_TERMS, LINES, project, seedTenancy, startApi, today } from './support';

/**
 * Recognition records on the real stack (Temporal worker, Kafka, projector, Postgres): a learner
 * mobility run to recognition with a Europass record and an open badge asked for, and a staff
 * mobility with its career record. The PDF loads with pdf-lib and says the mobility's id and dates;
 * the badge verifies with the VC library, a tampered one does not; scope (404), role (403) and
 * timing (409) refusals; nothing personal reaches the event stream.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let api: Awaited<ReturnType<typeof startApi>>;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const tokens = {} as Record<string, string>;
let teacherRef = '';
const projectA = `2024-1-FR01-KA131-HED-${uniq()}`;
const t = today();
const learnerStart = addDays(t, -170);
const learnerEnd = addDays(learnerStart, 149);
const staffStart = addDays(t, -30);
const staffEnd = addDays(staffStart, 4);
const learnerId = `${projectA}-MOB-00001`;
const staffId = `${projectA}-MOB-00002`;
const staffLaterId = `${projectA}-MOB-00003`;
const person = { givenName: 'Maëlle', familyName: `Recognised${uniq()}`, email: `maelle.${uniq().toLowerCase()}@learner.example.org` };
const teacher = { givenName: 'Jean', familyName: `Careerist${uniq()}`, email: `jean.${uniq().toLowerCase()}@staff.example.org` };
const staff = { actor: 'staff.recognition-test' };
const OUTCOMES = ['Takes part in laboratory seminars held in German', 'Writes a project report in academic German'];

const act = <U extends UpdateName>(id: string, name: U, payload: Omit<PayloadOf<U>, 'actor'>) =>
  mobility(temporal, id).act(name, { ...staff, ...payload } as PayloadOf<U>);

/** Select → sign → depart → certificate → report (→ transcript), with dates in the past. */
async function runToReport(id: string, start: string, end: string, transcript: boolean) {
  await act(id, 'select', {});
  await act(id, 'signAgreement', { participantSignedOn: addDays(start, -30), institutionSignedOn: addDays(start, -29) });
  await act(id, 'confirmDeparture', { actualStartDate: start });
  await act(id, 'recordCertificateOfAttendance', { actualStartDate: start, actualEndDate: end });
  await eventually(async () => ((await mobility(temporal, id).state()) as { reportInvitation?: unknown }).reportInvitation, 30_000, `${id} report invitation`);
  await act(id, 'recordReportSubmitted', { submittedOn: t });
  if (transcript) await act(id, 'recordTranscriptOfRecords', { receivedOn: t, ects: 30 });
}

/** The text drawn on the PDF's pages (pdf-lib writes Helvetica text as hex strings in Flate streams). */
function pdfText(pdf: PDFDocument): string {
  let out = '';
  for (const page of pdf.getPages()) {
    const contents = page.node.Contents();
    const streams = contents instanceof PDFRawStream ? [contents] : (contents as unknown as { asArray(): unknown[] } | undefined)?.asArray().map((r) => pdf.context.lookup(r as never)) ?? [];
    for (const s of streams) {
      if (!(s instanceof PDFRawStream)) continue;
      const ops = Buffer.from(decodePDFRawStream(s).decode()).toString('latin1');
      for (const m of ops.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)) out += `${Buffer.from(m[1]!, 'hex').toString('latin1')}\n`;
    }
  }
  return out;
}

/** Wrapped lines rejoined: at a space (words) or without one (a long id cut in a table cell). */
const has = (text: string, fact: string) => text.replace(/\n/g, ' ').includes(fact) || text.replace(/\n/g, '').includes(fact);

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `recognition-test-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  for (const key of ['ioA3', 'coordA', 'coordB', 'observerA', 'qualityA', 'ioOut'] as const) tokens[key] = await login(tn.users[key], tn.password(tn.users[key]));

  const terms = { ...KA131_TERMS, applicableRates: { 'HE-SMS': { '2': { monthlyEur: 600 } } } };
  const reg = await call('POST', '/api/projects', { token: tokens.coordA, body: project(projectA, tn.id.a1, tn.id.consA, LINES, terms) });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);

  const register = async (p: typeof person) => {
    const r = await call<{ participantRef: string }>('POST', '/api/participants', { token: tokens.ioA3, body: { institutionId: tn.id.a3, ...p, dateOfBirth: '1990-04-12', gender: 'undisclosed', nationality: 'FR' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.participantRef;
  };
  const learnerRef = await register(person);
  teacherRef = await register(teacher);
  const plan = (start: string, end: string) => ({ startDate: start, endDate: end, receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN-01', distanceKm: 800, greenTravel: true, fewerOpportunities: false });
  const submit = async (mobilityId: string, participantRef: string, activity: string, start: string, end: string) => {
    const r = await call('POST', '/api/mobilities', { token: tokens.ioA3, body: { mobilityId, projectId: projectA, institutionId: tn.id.a3, participantRef, activity, funderLineId: 'erasmus', plan: plan(start, end) } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  };
  await submit(learnerId, learnerRef, 'HE-SMS', learnerStart, learnerEnd);
  await submit(staffId, teacherRef, 'HE-STT', staffStart, staffEnd);
  // The same teacher's next staff mobility, only applied for: the career record lists it with its stage.
  await submit(staffLaterId, teacherRef, 'HE-STA', addDays(t, 60), addDays(t, 64));
  await Promise.all([runToReport(learnerId, learnerStart, learnerEnd, true), runToReport(staffId, staffStart, staffEnd, false)]);
});

afterAll(async () => {
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

describe('before recognition', () => {
  it('answers 409 with the reason for the Europass record and the badge; the career record is for staff only', async () => {
    const { call } = http(api.base);
    const e = await call('GET', `/api/mobilities/${learnerId}/europass.pdf`, { token: tokens.ioA3 });
    expect(e.status).toBe(409);
    expect(e.body.reason).toMatch(/recognition has not been recorded.*'reported'/);
    const b = await call('GET', `/api/mobilities/${learnerId}/badge`, { token: tokens.ioA3 });
    expect(b.status).toBe(409);
    const c = await call('GET', `/api/mobilities/${learnerId}/career-record.pdf`, { token: tokens.ioA3 });
    expect(c.status).toBe(409);
    expect(c.body.reason).toMatch(/for staff mobilities/);
  });
});

describe('after recognition with Europass and open badge', () => {
  let badge: any;

  beforeAll(async () => {
    // Through the API, as the office records it: the learning outcomes travel in the event (v2), refs only.
    const { call } = http(api.base);
    const badOutcome = await call('POST', `/api/mobilities/${learnerId}/actions/recordRecognition`, { token: tokens.ioA3, body: { outcome: 'full', recognisedEcts: 30, learningOutcomes: `Contact ${person.email}` } });
    expect(badOutcome.status).toBe(400);
    expect(badOutcome.body.issues[0].field).toBe('learningOutcomes');
    await act(learnerId, 'recordRecognition', { outcome: 'full', recognisedEcts: 30, europass: true, openBadge: true, learningOutcomes: OUTCOMES.join('; ') });
    await act(staffId, 'recordRecognition', { outcome: 'full', openBadge: true });
  });

  it('produces the Europass Mobility record as a PDF that pdf-lib loads, with the mobility id, dates, organisations and the holder', async () => {
    const res = await fetch(`${api.base}/api/mobilities/${learnerId}/europass.pdf`, { headers: { authorization: `Bearer ${tokens.ioA3}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    const pdf = await PDFDocument.load(bytes);
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(pdf.getSubject()).toBe(learnerId);
    const text = pdfText(pdf);
    for (const fact of [learnerId, learnerStart, learnerEnd, 'D-BERLIN-01', tn.id.a3, `${person.givenName} ${person.familyName}`, 'HE student mobility for studies (HE-SMS)', '30 ECTS', ...OUTCOMES]) expect(has(text, fact), fact).toBe(true);
    // The official document's sections and the fields the engine knows (the holder's from the registry, now).
    for (const fact of ['1. The holder of the Europass Mobility', '2. The Europass Mobility document', '3. The partner organisations', '4. Description of the Europass Mobility experience',
      '5a. Skills and competences acquired', '5b. Record of courses completed and credits obtained', 'Europass Mobility number', `EM-${learnerId}`,
      'Surname(s)', person.familyName, 'First name(s)', 'Date of birth', '1990-04-12', 'Nationality', 'Sending partner', 'Host partner', 'Objective', 'ECTS credits recognised']) expect(has(text, fact), fact).toBe(true);
  });

  it('issues an OB 3.0 badge that the VC library verifies against its did:key issuer; the public endpoint says valid; the key file is private', async () => {
    const { call } = http(api.base);
    const r = await call('GET', `/api/mobilities/${learnerId}/badge`, { token: tokens.ioA3 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    badge = r.body;
    expect(badge.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(badge.description).toBe(`Learning outcomes: ${OUTCOMES.join('; ')}`);
    expect(badge.credentialSubject.achievement).toMatchObject({ type: ['Achievement'], id: 'urn:mobility-engine:achievement:learner:HE-SMS' });
    // The subject is the salted hash of the registry's e-mail address, never the name.
    const id = badge.credentialSubject.identifier[0];
    expect(id.identityHash).toBe(`sha256$${sha256Hex(person.email.toLowerCase() + id.salt)}`);
    expect(JSON.stringify(badge)).not.toContain(person.familyName);

    const verified = await verifyCredential(badge.proof.jwt, new Resolver(getResolver()));
    expect(verified.verified).toBe(true);
    expect(verified.issuer).toBe(badge.issuer.id);
    expect(badge.issuer.id).toMatch(/^did:key:z6Mk/);
    expect(statSync(issuerKeyFile()).mode & 0o777).toBe(0o600);

    const again = await call('GET', `/api/mobilities/${learnerId}/badge`, { token: tokens.ioA3 });
    expect(again.body.proof.jwt).toBe(badge.proof.jwt);

    for (const credential of [badge, badge.proof.jwt]) {
      const v = await call('POST', '/api/credentials/verify', { body: { credential } }); // no session
      expect(v.status).toBe(200);
      expect(v.body).toMatchObject({ valid: true, reason: null, issuer: badge.issuer.id, credentialId: badge.id, issuedByThisEngine: true });
    }
  });

  it('refuses a tampered badge: edited JSON, edited JWT (the library too), a foreign signature', async () => {
    const { call } = http(api.base);
    const editedJson = { ...badge, credentialSubject: { ...badge.credentialSubject, creditsEarned: 60 } };
    const a = await call('POST', '/api/credentials/verify', { body: { credential: editedJson } });
    expect(a.body).toMatchObject({ valid: false, reason: 'content-mismatch' });

    const [h, p, s] = (badge.proof.jwt as string).split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.vc.credentialSubject.creditsEarned = 60;
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    await expect(verifyCredential(forged, new Resolver(getResolver()))).rejects.toThrow(/signature/);
    const b = await call('POST', '/api/credentials/verify', { body: { credential: forged } });
    expect(b.body).toMatchObject({ valid: false, reason: 'bad-signature' });

    const c = await call('POST', '/api/credentials/verify', { body: { credential: 'not a jwt' } });
    expect(c.body).toMatchObject({ valid: false, reason: 'malformed' });
    const d = await call('POST', '/api/credentials/verify', { body: { credential: badge.proof.jwt, extra: 1 } });
    expect(d.status).toBe(400);
    expect(d.body.issues.map((i: { field: string }) => i.field)).toContain('extra');
  });

  it('revokes the badge: another tenant 404, a reader 403, a bad reason 400, nothing changed; then revoked with a reason, audited, once; a verifier finds the bit set in the status list the API serves and refuses a tampered list', async () => {
    const { call } = http(api.base);
    // A verifier that trusts the badge's issuer DID only (no key of the engine): what anyone can do.
    const verifier = { current: { did: badge.issuer.id }, all: [{ did: badge.issuer.id }] } as never;
    const entry = badge.credentialStatus;
    expect(entry).toMatchObject({ type: 'StatusList2021Entry', statusPurpose: 'revocation', statusListIndex: expect.stringMatching(/^\d+$/) });
    expect(entry.statusListCredential).toMatch(/\/api\/credentials\/status\/revocation-\d+$/);
    expect(badge['@context']).toContain('https://w3id.org/vc/status-list/2021/v1');
    const listPath = new URL(entry.statusListCredential).pathname;
    const fetchList = async () => {
      const r = await call('GET', listPath); // public: no session
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const before = await fetchList();
    expect(before).toMatchObject({ id: entry.statusListCredential, type: ['VerifiableCredential', 'StatusList2021Credential'], issuer: { id: badge.issuer.id } });
    // The list is a VC-JWT the VC library verifies against the same did:key as the badge.
    const listVerified = await verifyCredential(before.proof.jwt, new Resolver(getResolver()));
    expect(listVerified.issuer).toBe(badge.issuer.id);
    expect(await checkCredentialStatus(badge, before, verifier)).toMatchObject({ ok: true, revoked: false, index: Number(entry.statusListIndex) });
    expect((await call('POST', '/api/credentials/verify', { body: { credential: badge } })).body).toMatchObject({ valid: true, revoked: false });

    const path = `/api/mobilities/${learnerId}/badge/revoke`;
    const body = { reasonCode: 'issued-in-error', note: 'ECTS recorded twice' };
    for (const who of ['coordB', 'ioOut']) expect((await call('POST', path, { token: tokens[who], body })).status, who).toBe(404);
    for (const who of ['observerA', 'qualityA', 'coordA']) expect((await call('POST', path, { token: tokens[who], body })).status, who).toBe(403);
    expect((await call('POST', path, { body })).status).toBe(401);
    const badCode = await call('POST', path, { token: tokens.ioA3, body: { reasonCode: 'because' } });
    expect(badCode.status).toBe(400);
    expect(badCode.body.issues[0].field).toBe('reasonCode');
    const noNote = await call('POST', path, { token: tokens.ioA3, body: { reasonCode: 'other' } });
    expect(noNote.status).toBe(400);
    expect(noNote.body.issues[0].field).toBe('note');
    expect((await pool.query('SELECT 1 FROM credential_revocations WHERE mobility_id = $1', [learnerId])).rows).toHaveLength(0);
    expect(await checkCredentialStatus(badge, await fetchList(), verifier)).toMatchObject({ ok: true, revoked: false });
    // No badge was handed out for the staff mobility yet: nothing to revoke.
    expect((await call('POST', `/api/mobilities/${staffId}/badge/revoke`, { token: tokens.ioA3, body })).status).toBe(409);

    const first = await call('POST', path, { token: tokens.ioA3, body });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ revoked: true, alreadyRevoked: false, credentialId: badge.id, reasonCode: 'issued-in-error', revokedBy: tn.users.ioA3, credentialStatus: entry });
    const second = await call('POST', path, { token: tokens.ioA3, body: { reasonCode: 'fraud' } });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ alreadyRevoked: true, revokedAt: first.body.revokedAt, reasonCode: 'issued-in-error' });
    const audit = await pool.query('SELECT reason_code, note, revoked_by FROM credential_revocations WHERE mobility_id = $1', [learnerId]);
    expect(audit.rows).toEqual([{ reason_code: 'issued-in-error', note: 'ECTS recorded twice', revoked_by: tn.users.ioA3 }]);

    const after = await fetchList();
    expect(await checkCredentialStatus(badge, after, verifier)).toMatchObject({ ok: true, revoked: true });
    expect(await checkCredentialStatus(badge, after.proof.jwt, verifier)).toMatchObject({ ok: true, revoked: true });
    for (const credential of [badge, badge.proof.jwt]) {
      expect((await call('POST', '/api/credentials/verify', { body: { credential } })).body).toMatchObject({ valid: false, reason: 'revoked', revoked: true, issuedByThisEngine: true });
    }
    // Tampered lists: the revoked list's proof with the earlier bits (JSON edited), an edited JWT.
    const edited = { ...after, credentialSubject: { ...after.credentialSubject, encodedList: before.credentialSubject.encodedList } };
    expect(await checkCredentialStatus(badge, edited, verifier)).toMatchObject({ ok: false, reason: 'status-list-invalid', message: expect.stringMatching(/content-mismatch/) });
    const [h, p, s] = (after.proof.jwt as string).split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.vc.credentialSubject.encodedList = before.credentialSubject.encodedList;
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await checkCredentialStatus(badge, forged, verifier)).toMatchObject({ ok: false, reason: 'status-list-invalid', message: expect.stringMatching(/bad-signature/) });

    // The badge handed out again is the same (its entry kept); the records say revoked, no more revoke offered.
    expect((await call('GET', `/api/mobilities/${learnerId}/badge`, { token: tokens.ioA3 })).body.proof.jwt).toBe(badge.proof.jwt);
    const records = await call('GET', `/api/mobilities/${learnerId}/records`, { token: tokens.ioA3 });
    expect(records.body.records.find((r: { kind: string }) => r.kind === 'open-badge')).toMatchObject({ revokedAt: first.body.revokedAt, canRevoke: false });
    expect((await call('GET', '/api/credentials/status/revocation-999999')).status).toBe(404);
    expect((await call('GET', '/api/credentials/status/NOT_A_LIST')).status).toBe(400);
  });

  it("gives the teacher's career record: both staff mobilities, dates, host, activity, outcome", async () => {
    const res = await fetch(`${api.base}/api/mobilities/${staffId}/career-record.pdf`, { headers: { authorization: `Bearer ${tokens.ioA3}` } });
    expect(res.status).toBe(200);
    const text = pdfText(await PDFDocument.load(new Uint8Array(await res.arrayBuffer())));
    for (const fact of [`${teacher.givenName} ${teacher.familyName}`, staffId, staffLaterId, staffStart, staffEnd, 'D-BERLIN-01 (DE)', 'recognised in full', 'stage applied']) expect(has(text, fact), fact).toBe(true);
  });

  it('keeps every record in scope: another tenant 404, a read-only or consortium role 403', async () => {
    const { call } = http(api.base);
    for (const path of ['europass.pdf', 'badge', 'career-record.pdf']) {
      const id = path === 'career-record.pdf' ? staffId : learnerId;
      for (const who of ['coordB', 'ioOut']) expect((await call('GET', `/api/mobilities/${id}/${path}`, { token: tokens[who] })).status, `${who} ${path}`).toBe(404);
      for (const who of ['observerA', 'qualityA', 'coordA']) {
        const r = await call('GET', `/api/mobilities/${id}/${path}`, { token: tokens[who] });
        expect(r.status, `${who} ${path}`).toBe(403);
        expect(r.body.reason).toBeTruthy();
      }
      expect((await call('GET', `/api/mobilities/${id}/${path}`)).status).toBe(401);
    }
    expect((await call('GET', `/api/mobilities/${projectA}-MOB-09999/badge`, { token: tokens.ioA3 })).status).toBe(404);
    expect((await call('GET', '/api/mobilities/not-an-id/badge', { token: tokens.ioA3 })).status).toBe(400);
  });

  it('offers the records on the mobility page, in French and English: the office downloads them, an observer sees them disabled (screenshots)', { timeout: 120_000 }, async () => {
    const shots = join(cfg.dataDir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const browser = await launchChromium();
    const problems: string[] = [];
    try {
      const page = async (who: 'ioA3' | 'observerA', locale: string) => {
        const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale, baseURL: api.base, acceptDownloads: true });
        const p = await ctx.newPage();
        p.on('pageerror', (e) => problems.push(`${who}: ${e.message}`));
        await p.goto('/');
        await p.locator('#login-username').fill(tn.users[who]);
        await p.locator('#login-password').fill(tn.password(tn.users[who]));
        await p.locator('form.login button[type=submit]').click();
        await p.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
        return p;
      };
      const fr = await page('ioA3', 'fr-FR');
      await fr.goto(`/mobilities/${learnerId}`);
      const records = fr.getByTestId('recognition-records');
      await records.waitFor();
      expect(await records.locator('ul button').allTextContents()).toEqual(['Europass Mobilité (PDF)', 'Open badge (JSON, vérifiable)']);
      // Its badge was revoked (above): the page says so and offers no revocation.
      expect(await records.getByTestId('badge-revoked').textContent()).toMatch(/Open badge révoqué le/);
      expect(await records.getByTestId('badge-revoke-toggle').count()).toBe(0);
      await records.scrollIntoViewIfNeeded();
      await fr.screenshot({ path: join(shots, 'recognition-records-fr.png'), fullPage: true });
      const [pdf] = await Promise.all([fr.waitForEvent('download'), records.locator('button[data-record=europass]').click()]);
      expect(pdf.suggestedFilename()).toBe(`europass-mobility-${learnerId}.pdf`);
      expect(readFileSync((await pdf.path())!).subarray(0, 5).toString()).toBe('%PDF-');
      const [json] = await Promise.all([fr.waitForEvent('download'), records.locator('button[data-record=open-badge]').click()]);
      expect(JSON.parse(readFileSync((await json.path())!, 'utf8')).type).toContain('OpenBadgeCredential');

      // The staff mobility's badge, handed out: the office revokes it from the page, with a reason.
      expect((await http(api.base).call('GET', `/api/mobilities/${staffId}/badge`, { token: tokens.ioA3 })).status).toBe(200);
      const en = await page('ioA3', 'en-GB');
      await en.goto(`/mobilities/${staffId}`);
      await en.getByTestId('recognition-records').waitFor();
      expect(await en.getByTestId('recognition-records').locator('ul button').allTextContents()).toEqual(['Open badge (JSON, verifiable)', 'Staff career record (PDF)']);
      await en.getByTestId('badge-revoke-toggle').click();
      const form = en.locator('#revoke-badge');
      await form.waitFor();
      await form.locator('select').selectOption('recognition-withdrawn');
      await form.locator('input, textarea').first().fill('Recognition recorded for the wrong mobility');
      await en.screenshot({ path: join(shots, 'recognition-badge-revoke-en.png'), fullPage: true });
      await form.locator('button[type=submit]').click();
      await en.getByTestId('badge-revoked').waitFor({ timeout: 15_000 });
      expect(await en.getByTestId('badge-revoked').textContent()).toMatch(/Open badge revoked on/);
      await en.screenshot({ path: join(shots, 'recognition-records-en-staff.png'), fullPage: true });
      const staffAudit = await pool.query('SELECT reason_code, note, revoked_by FROM credential_revocations WHERE mobility_id = $1', [staffId]);
      expect(staffAudit.rows).toEqual([{ reason_code: 'recognition-withdrawn', note: 'Recognition recorded for the wrong mobility', revoked_by: tn.users.ioA3 }]);

      const observer = await page('observerA', 'en-GB');
      await observer.goto(`/mobilities/${learnerId}`);
      await observer.getByTestId('recognition-records').waitFor();
      for (const b of await observer.getByTestId('recognition-records').locator('ul button').all()) expect(await b.isDisabled()).toBe(true);
      expect(await observer.getByTestId('badge-revoke-toggle').count()).toBe(0);
      await observer.screenshot({ path: join(shots, 'recognition-records-observer.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    expect(problems).toEqual([]);
  });

  it('puts nothing personal on the event stream: the recognised mobilities carry refs only', async () => {
    const consumer = kafkaFor(cfg, 'recognition-test-reader').consumer({ groupId: `recognition-test-${uniq()}` });
    const seen: unknown[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.mobilityEvents.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString();
        if (key === learnerId || key === staffId) seen.push(JSON.parse(message.value!.toString()));
      },
    });
    await eventually(async () => seen.filter((e) => (e as { type: string }).type === 'RecognitionRecorded').length === 2, 30_000, 'both recognitions on Kafka');
    await consumer.disconnect();
    const all = JSON.stringify(seen);
    for (const secret of [person.familyName, person.email, teacher.familyName, teacher.email, 'Maëlle']) expect(all).not.toContain(secret);
    for (const e of seen) expect(scanForPii(e)).toEqual([]);
    const recognised = seen.find((e) => (e as { type: string; mobilityId: string }).type === 'RecognitionRecorded' && (e as { mobilityId: string }).mobilityId === learnerId) as { version: number; payload: { learningOutcomes: string[] } };
    expect(recognised.version).toBe(2);
    expect(recognised.payload.learningOutcomes).toEqual(OUTCOMES);
    const rows = await pool.query('SELECT * FROM issued_credentials WHERE mobility_id = $1', [learnerId]);
    expect(rows.rows).toHaveLength(1);
    expect(JSON.stringify(rows.rows)).not.toMatch(new RegExp(`${person.familyName}|${person.email}`));
  });

  it('produces nothing naming a participant erased from the registry: 410', async () => {
    const { call } = http(api.base);
    expect((await call('DELETE', `/api/participants/${teacherRef}`, { token: tokens.ioA3 })).status).toBe(200);
    for (const path of ['career-record.pdf', 'badge']) {
      const r = await call('GET', `/api/mobilities/${staffId}/${path}`, { token: tokens.ioA3 });
      expect(r.status, path).toBe(410);
      expect(r.body.message).toMatch(/erased/);
    }
  });
});
