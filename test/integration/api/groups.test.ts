import type { Client } from '@temporalio/client';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { connectTemporal } from '../../../infra/temporal';
import { mobility } from '../../../workflows/client';
import { createMobilityWorker } from '../../../workers/temporal-worker';
import { eventually, testConfig, uniq } from '../../support/env';
import { http, participant, project, seedTenancy, startApi, today } from './support';

/**
 * A group of pupils with two accompanying teachers (reference §1.8), on the real stack (Temporal worker,
 * Postgres, Kafka): recorded with its subgroups through the API, moved from selection to recognition by
 * group actions (each member its own workflow Update), one member diverging (an interruption), each member's
 * grant lines, the group's total and its organisational support counted the Beneficiary Module's way.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let api: Awaited<ReturnType<typeof startApi>>;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const tokens = {} as Record<string, string>;
const projectId = `2024-1-FR01-KA121-SCH-${uniq()}`;
const otherProject = `2024-1-FR01-KA121-SCH-${uniq()}`;
const day = (n: number) => new Date(Date.parse(`${today()}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
// A five-day trip to Berlin that ended a fortnight ago; the train subgroup stays one day longer.
const start = day(-20);
const end = day(-16);
const TERMS = {
  action: 'KA121', callYear: 2024, country: 'FR', prefinancingPercent: 80,
  // Germany is in group 1 from call 2024 (§1.8): pupils 85 €/day, staff (and so accompanying persons) 191 €/day (Icelandic NA figures, §1.8).
  applicableRates: { 'SCH-PUPIL-GRP': { '1': { dailyEur: 85 } }, 'SCH-STAFF-JS': { '1': { dailyEur: 191 } } },
};
const LINES = [{ lineId: 'erasmus', funder: 'Erasmus+ KA121', allocatedCents: 5_000_000, allocatedMobilities: 20 }];
/** The issue's case: a school sends ten pupils with two accompanying teachers; one pupil travels with the train subgroup. */
const PUPILS = 10;
const TEACHERS = 2;
const N = PUPILS + TEACHERS;
let groupId = '';
let members: { mobilityId: string; participantRef: string; accompanyingPerson: boolean; subgroupId: string | null }[] = [];

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  for (const key of ['ioOut', 'ioA1', 'coordB', 'director'] as const) tokens[key] = await login(tn.users[key], tn.password(tn.users[key]));
  for (const [pid, who] of [[projectId, tn.id.out], [otherProject, tn.id.out]] as const) {
    const reg = await call('POST', '/api/projects', { token: tokens.ioOut, body: project(pid, who, null, LINES, TERMS) });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await api?.close();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

const groupBody = async () => ({
  institutionId: tn.id.out, activity: 'SCH-PUPIL-GRP', funderLineId: 'erasmus',
  plan: { startDate: start, endDate: end, sendingCountry: 'FR', receivingCountry: 'DE', hostOrgId: 'D-BERLIN01', distanceKm: 1050, greenTravel: false },
  subgroups: [{ subgroupId: 'train', greenTravel: true, endDate: day(-15) }],
  members: [
    ...(await Promise.all(Array.from({ length: PUPILS - 1 }, async () => ({ participantRef: await participant(api.base, tokens.ioOut!, tn.id.out, { dateOfBirth: '2010-03-01' }), accompanyingPerson: false })))),
    { participantRef: await participant(api.base, tokens.ioOut!, tn.id.out, { dateOfBirth: '2010-05-01' }), accompanyingPerson: false, subgroupId: 'train' },
    ...(await Promise.all(Array.from({ length: TEACHERS }, async () => ({ participantRef: await participant(api.base, tokens.ioOut!, tn.id.out), accompanyingPerson: true })))),
  ],
});

const act = async (action: string, body: Record<string, unknown>, key?: string) => {
  const r = await http(api.base).call('POST', `/api/groups/${groupId}/actions/${action}`, { token: tokens.ioOut, body, headers: key ? { 'idempotency-key': key } : {} });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { results: { mobilityId: string; outcome: string; stage: string | null; reason: string | null }[] };
};
const outcomes = (r: Awaited<ReturnType<typeof act>>) => r.results.map((x) => x.outcome);

describe('a group of ten pupils with two accompanying teachers, selection to recognition', () => {
  it('records the group, its subgroup and its members: each member one mobility of the group', async () => {
    const r = await http(api.base).call('POST', `/api/projects/${projectId}/groups`, { token: tokens.ioOut, body: await groupBody() });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    groupId = r.body.groupId;
    members = r.body.members;
    expect(groupId).toBe(`${projectId}-GRP-001`);
    expect(members).toHaveLength(N);
    for (const m of members) {
      const s = await mobility(temporal, m.mobilityId).state();
      expect(s.stage).toBe('applied');
      if (s.stage === 'none') continue;
      expect(s.identity.groupId).toBe(groupId);
      expect(s.plan.accompanyingPerson).toBe(m.accompanyingPerson);
    }
    expect(members.filter((m) => m.accompanyingPerson)).toHaveLength(TEACHERS);
  });

  it('selects the group at once (each member its own Update); a retry with the same key applies nothing twice and answers the same', async () => {
    const first = await act('select', {}, 'sel-1');
    expect(outcomes(first)).toEqual(Array(N).fill('applied'));
    const again = await act('select', {}, 'sel-1');
    expect(again.results).toEqual(first.results);
    const audit = await mobility(temporal, members[0]!.mobilityId).audit();
    expect(audit.filter((a) => a.action === 'select' && a.outcome === 'applied')).toHaveLength(1);
    // A new key: nobody's stage allows selection any more: skipped, with the reason.
    const late = await act('select', {}, 'sel-2');
    expect(outcomes(late)).toEqual(Array(N).fill('skipped'));
    expect(late.results[0]!.reason).toMatch(/stage 'selected' does not allow select/);
  });

  it('signs, departs; one pupil is interrupted on its own mobility; attendance certified for the whole group', async () => {
    expect(outcomes(await act('signAgreement', { participantSignedOn: day(-30), institutionSignedOn: day(-30) }, 'sign'))).toEqual(Array(N).fill('applied'));
    expect(outcomes(await act('confirmDeparture', { actualStartDate: start }, 'dep'))).toEqual(Array(N).fill('applied'));
    const diverging = members[1]!.mobilityId;
    const intr = await http(api.base).call('POST', `/api/mobilities/${diverging}/actions/recordInterruption`, {
      token: tokens.ioOut, body: { from: day(-18), to: day(-18), reasonCode: 'personal' },
    });
    expect(intr.status, JSON.stringify(intr.body)).toBe(200);
    const train = members.find((m) => m.subgroupId === 'train')!.mobilityId;
    const cert = await act('recordCertificateOfAttendance', { actualStartDate: start, actualEndDate: end }, 'coa');
    expect(outcomes(cert)).toEqual(Array(N).fill('applied'));
    expect(cert.results.every((x) => x.stage === 'attended')).toBe(true);
    expect((await mobility(temporal, train).state()).stage).toBe('attended');
  });

  it('each member\'s grant lines: pupils at the pupils\' rate, accompanying persons at the staff rate (§1.8), the interruption deducted; the total is their sum', async () => {
    const g = await http(api.base).call('GET', `/api/groups/${groupId}`, { token: tokens.ioOut });
    expect(g.status, JSON.stringify(g.body)).toBe(200);
    type M = { mobilityId: string; accompanyingPerson: boolean; grantKind: string; stage: string; grant: { totalCents: number; days: number; lines: { ruleId: string; amountCents: number; basis: string }[] } };
    const ms = g.body.members as M[];
    expect(ms.every((m) => m.grantKind === 'final' && m.stage === 'attended')).toBe(true);
    const teachers = ms.filter((m) => m.accompanyingPerson);
    for (const t of teachers) {
      // 5 days abroad + the funded travel days (§1.7), all within the first 14 days, at the staff rate.
      expect(t.grant.days).toBeGreaterThanOrEqual(5);
      expect(t.grant.lines.find((l) => l.ruleId === 'GRANT-ACCOMP-DAYS-1-14')?.amountCents).toBe(t.grant.days * 191_00);
      expect(t.grant.lines.find((l) => l.ruleId === 'GRANT-ACCOMP-DAYS-1-14')?.basis).toMatch(/staff rate/);
    }
    const pupilDays = (m: M) => m.grant.lines.filter((l) => !l.ruleId.startsWith('GRANT-TRAVEL')).reduce((n, l) => n + l.amountCents, 0);
    const interrupted = ms.find((m) => m.mobilityId === members[1]!.mobilityId)!;
    const plain = ms.find((m) => m.mobilityId === members[0]!.mobilityId)!;
    expect(pupilDays(plain)).toBe(plain.grant.days * 85_00);
    expect(interrupted.grant.days).toBe(plain.grant.days - 1);
    expect(pupilDays(interrupted)).toBe(interrupted.grant.days * 85_00);
    expect(teachers[0]!.grant.days).toBe(plain.grant.days);
    expect(g.body.totalCents).toBe(ms.reduce((n, m) => n + m.grant.totalCents, 0));
    expect((g.body.linesByRule as { amountCents: number }[]).reduce((n, l) => n + l.amountCents, 0)).toBe(g.body.totalCents);
    // Organisational support: the ten pupils counted, the two accompanying persons excluded (§1.8).
    expect(g.body.organisationalSupport.participants).toBe(PUPILS);
    expect(g.body.organisationalSupport.excludedAccompanying).toBe(TEACHERS);
    expect(g.body.organisationalSupport.lines[0].basis).toMatch(/accompanying persons excluded \(2\)/);
    // In euros, from the domain: the call 2024 KA121/KA122 unit cost × the ten pupils counted.
    expect(g.body.organisationalSupport).toMatchObject({ currency: 'EUR', callYear: 2024, unitCents: 100_00, participants: PUPILS, amountCents: PUPILS * 100_00, totalCents: PUPILS * 100_00, ruleId: 'ORG-KA12X' });
    expect(g.body.organisationalSupport.basis).toMatch(/^100\.00 € × 10 participants of group .*GRP-001 \(SCH-PUPIL-GRP\); accompanying persons excluded \(2\)/);
    // The OpenAPI document declares the field, so the console's forms and any client know it.
    const doc = await http(api.base).call('GET', '/api/openapi.json', {});
    const schema = doc.body.paths['/api/groups/{id}'].get.responses['200'].content['application/json'].schema;
    expect(schema.properties.organisationalSupport.properties.amountCents).toBeDefined();
    expect(schema.properties.organisationalSupport.properties.unitCents).toBeDefined();
  });

  it('reports and recognition for the whole group', async () => {
    // The workflow invites each participant's report the day after the end (already past): wait for the invitations.
    for (const m of members) await eventually(async () => { const s = await mobility(temporal, m.mobilityId).state(); return s.stage !== 'none' && 'reportInvitation' in s && s.reportInvitation !== null; }, 30_000, `report invitation of ${m.mobilityId}`);
    expect(outcomes(await act('recordReportSubmitted', { submittedOn: today() }, 'rep'))).toEqual(Array(N).fill('applied'));
    const rec = await act('recordRecognition', { outcome: 'full', europass: true, openBadge: true }, 'rec');
    expect(outcomes(rec)).toEqual(Array(N).fill('applied'));
    expect(rec.results.every((x) => x.stage === 'recognised')).toBe(true);
  });

  it("each pupil's Europass Mobility record downloads as a PDF, and each member's open badge verifies", async () => {
    const { call } = http(api.base);
    for (const m of members) {
      if (!m.accompanyingPerson) {
        const res = await fetch(`${api.base}/api/mobilities/${m.mobilityId}/europass.pdf`, { headers: { authorization: `Bearer ${tokens.ioOut}` } });
        expect(res.status, m.mobilityId).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/pdf');
        const pdf = await PDFDocument.load(new Uint8Array(await res.arrayBuffer()));
        expect(pdf.getSubject()).toBe(m.mobilityId);
      }
      const badge = await call('GET', `/api/mobilities/${m.mobilityId}/badge`, { token: tokens.ioOut });
      expect(badge.status, JSON.stringify(badge.body)).toBe(200);
      const v = await call('POST', '/api/credentials/verify', { body: { credential: badge.body.proof.jwt } }); // anyone, no session
      expect(v.body, m.mobilityId).toMatchObject({ valid: true, reason: null, credentialId: badge.body.id, issuedByThisEngine: true });
      // A pupil's badge is a learning achievement; an accompanying teacher's a professional one (§1.8: staff).
      expect(badge.body.credentialSubject.achievement.id).toMatch(m.accompanyingPerson ? /:staff:/ : /:learner:/);
    }
  });
});

describe('hostile', () => {
  it("another tenant's group is 404 like one that does not exist; a reader who may not act gets 403", async () => {
    const { call } = http(api.base);
    for (const who of ['coordB', 'ioA1'] as const) {
      expect((await call('GET', `/api/groups/${groupId}`, { token: tokens[who] })).status).toBe(404);
      expect((await call('POST', `/api/groups/${groupId}/actions/select`, { token: tokens[who], body: {} })).status).toBe(404);
      expect((await call('POST', `/api/groups/${groupId}/members`, { token: tokens[who], body: { members: [{ participantRef: members[0]!.participantRef, accompanyingPerson: false }] } })).status).toBe(404);
    }
    expect((await call('GET', `/api/groups/${projectId}-GRP-999`, { token: tokens.ioOut })).status).toBe(404);
    const list = await call('GET', '/api/groups', { token: tokens.coordB });
    expect(list.body.groups.map((g: { groupId: string }) => g.groupId)).not.toContain(groupId);
    const dir = await call('POST', `/api/groups/${groupId}/actions/cancel`, { token: tokens.director, body: { reasonCode: 'other' } });
    expect(dir.status).toBe(403);
  });

  it('a member from another project, a participant of another institution, a member twice and bad input are refused naming the field; nothing starts', async () => {
    const { call } = http(api.base);
    const ref = await participant(api.base, tokens.ioOut!, tn.id.out);
    const foreign = await call('POST', '/api/mobilities', { token: tokens.ioOut, body: {
      projectId: otherProject, institutionId: tn.id.out, participantRef: ref, activity: 'SCH-PUPIL-GRP', funderLineId: 'erasmus', groupId,
      plan: { startDate: start, endDate: end, receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN01', distanceKm: 1050, greenTravel: false, fewerOpportunities: false },
    } });
    expect(foreign.status, JSON.stringify(foreign.body)).toBe(400);
    expect(foreign.body.issues.map((i: { field: string }) => i.field)).toContain('groupId');
    const otherInstRef = await participant(api.base, tokens.ioA1!, tn.id.a1);
    const outsider = await call('POST', `/api/groups/${groupId}/members`, { token: tokens.ioOut, body: { members: [{ participantRef: otherInstRef, accompanyingPerson: false }] } });
    expect(outsider.status).toBe(400);
    expect(outsider.body.issues[0].field).toBe('members.0.participantRef');
    const twice = await call('POST', `/api/groups/${groupId}/members`, { token: tokens.ioOut, body: { members: [{ participantRef: members[0]!.participantRef, accompanyingPerson: false }] } });
    expect(twice.status).toBe(400);
    expect(twice.body.issues[0].message).toMatch(/already a member/);
    const badGroup = await call('POST', `/api/projects/${projectId}/groups`, { token: tokens.ioOut, body: { ...(await groupBody()), activity: 'HE-SMS', members: [] } });
    expect(badGroup.status).toBe(400);
    expect(badGroup.body.issues[0].field).toBe('activity');
    const unknownKey = await call('POST', `/api/groups/${groupId}/actions/select`, { token: tokens.ioOut, body: { estimatedGrant: 1 } });
    expect(unknownKey.status).toBe(400);
    const g = await call('GET', `/api/groups/${groupId}`, { token: tokens.ioOut });
    expect(g.body.members).toHaveLength(N);
  });
});
