import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evolve, initialState, type MobilityCommand, type OpenMobility, parseEvent, RecordRecognition } from '../../../domain/mobility';
import { availability, careerDocument, careerRows, europassDocument, type MobilitySummary, openBadgeCredential, summaryOf } from '../../../domain/recognition/records';
import { cmd, estimatedGrant, history, path, submit } from '../mobility/fixtures';

/**
 * Recognition records (reference §2 Europass Mobility; users-and-processes.md seed 003: Europass, a staff
 * career record, learner and professional open badges): what each record says, and when it exists.
 */
const stateOf = (commands: readonly MobilityCommand[]) => history(commands).reduce(evolve, initialState) as OpenMobility;

/** A VET learner, 1–30 Sep 2025 (30 days), through report to recognition with the given switches. */
const vet = (recognition: { europass?: boolean; openBadge?: boolean; learningOutcomes?: string } | null) => {
  const cs: MobilityCommand[] = [submit({ endDate: '2025-09-30' }, { activity: 'VET-LEARN-ST' }), ...path.departed().slice(1),
    cmd('RecordCertificateOfAttendance', '2025-10-02', { actualStartDate: '2025-09-01', actualEndDate: '2025-09-30', finalGrant: estimatedGrant }),
    cmd('RecordOlsAssessment', '2025-10-03', { phase: 'after', language: 'de', level: 'B2' }),
    cmd('InviteParticipantReport', '2025-10-02', {}), cmd('RecordParticipantReportSubmitted', '2025-10-05', { submittedOn: '2025-10-05' })];
  if (recognition) cs.push(cmd('RecordRecognition', '2025-10-10', { outcome: 'full', ...recognition }));
  return summaryOf(stateOf(cs));
};
/** A staff training mobility (HE-STT), 1–5 Sep 2025. */
const staff = (end = '2025-09-05', certified = true) => {
  const cs: MobilityCommand[] = [submit({ endDate: end, longTerm: undefined }, { activity: 'HE-STT' }), ...path.departed().slice(1)];
  if (certified) cs.push(cmd('RecordCertificateOfAttendance', '2025-09-20', { actualStartDate: '2025-09-01', actualEndDate: end, finalGrant: estimatedGrant }));
  return summaryOf(stateOf(cs));
};

describe('when a record exists (the API answers 409 with the reason otherwise)', () => {
  it('given a learner mobility not yet recognised, then neither the Europass record nor the badge exists, and the reason says why', () => {
    const s = vet(null);
    expect(availability('europass', s)).toEqual({ ok: false, reason: expect.stringMatching(/recognition has not been recorded.*'reported'/) });
    expect(availability('open-badge', s)).toMatchObject({ ok: false });
  });
  it('given a recognition that asked for a Europass record only, then the Europass exists and the badge does not', () => {
    const s = vet({ europass: true });
    expect(availability('europass', s)).toEqual({ ok: true });
    expect(availability('open-badge', s)).toEqual({ ok: false, reason: expect.stringMatching(/did not ask for one \(openBadge: false\)/) });
  });
  it('given a learner mobility, then there is no career record; given a staff mobility, there is one once the host certified attendance', () => {
    expect(availability('career-record', vet({ europass: true }))).toEqual({ ok: false, reason: expect.stringMatching(/for staff mobilities/) });
    expect(availability('career-record', staff('2025-09-05', false))).toEqual({ ok: false, reason: expect.stringMatching(/certificate of attendance/) });
    expect(availability('career-record', staff())).toEqual({ ok: true });
  });
});

describe("an accompanying person of a learners' group (§1.8)", () => {
  it('given a teacher accompanying VET learners, then the records are a staff member\'s: a career record once certified, a professional badge, no learning period', () => {
    const cs: MobilityCommand[] = [submit({ endDate: '2025-09-30', accompanyingPerson: true }, { activity: 'VET-LEARN-ST' }), ...path.departed().slice(1),
      cmd('RecordCertificateOfAttendance', '2025-10-02', { actualStartDate: '2025-09-01', actualEndDate: '2025-09-30', finalGrant: estimatedGrant }),
      cmd('InviteParticipantReport', '2025-10-02', {}), cmd('RecordParticipantReportSubmitted', '2025-10-05', { submittedOn: '2025-10-05' }),
      cmd('RecordRecognition', '2025-10-10', { outcome: 'full', europass: true, openBadge: true })];
    const s = summaryOf(stateOf(cs));
    expect(s.family).toBe('staff');
    expect(s.activityLabel).toMatch(/as an accompanying person$/);
    expect(availability('career-record', s)).toEqual({ ok: true });
    const badge = openBadgeCredential(s, { credentialId: 'urn:uuid:00000000-0000-8000-8000-000000000001', issuer: { did: 'did:key:z6MkTest', name: 'Lycée Paris', institutionId: 'F-PARIS001' }, identity: { identityHash: 'sha256$ab', salt: 's' } });
    expect(JSON.stringify(badge)).toMatch(/staff mobility/);
    expect(JSON.stringify(badge)).not.toMatch(/learning mobility/);
  });
});

describe('the Europass Mobility record (§2)', () => {
  it('given a recognised VET mobility, then it names holder, sending and host organisations, certified dates and duration, activity, skills and issuer', () => {
    const doc = europassDocument(vet({ europass: true, learningOutcomes: 'Prepares a bakery order in German\nHACCP hygiene rules; works in a team' }), { givenName: 'Léa', familyName: 'Martin' }, { institutionId: 'F-PARIS001', institutionName: 'Lycée Paris' }, '2025-10-11');
    const text = JSON.stringify(doc);
    expect(doc.sections.find((x) => x.heading.includes('Skills'))!.lines.slice(0, 3).map((l) => l[1])).toEqual(['Prepares a bakery order in German', 'HACCP hygiene rules', 'works in a team']);
    for (const fact of ['Léa Martin', 'F-PARIS001', 'Lycée Paris', 'D-BERLIN01', '2025-09-01', '2025-09-30', '30 days (certified by the host)', 'VET learner short-term mobility (VET-LEARN-ST)', 'CEFR level assessed by OLS: B2 after', 'recognised in full', '2025-10-11']) {
      expect(text).toContain(fact);
    }
  });

  it('follows the sections of the official Europass Mobility document and fills the fields the engine knows', () => {
    const s = vet({ europass: true, learningOutcomes: 'Prepares a bakery order in German' });
    const doc = europassDocument(s, { givenName: 'Léa', familyName: 'Martin', dateOfBirth: '2007-02-03', nationality: 'FR' }, { institutionId: 'F-PARIS001', institutionName: 'Lycée Paris' }, '2025-10-11');
    expect(doc.sections.map((x) => x.heading.split(' ')[0])).toEqual(['1.', '2.', '3.', '4.', '5a.', '5b.']);
    const field = (heading: string, label: string) => doc.sections.find((x) => x.heading.startsWith(heading))!.lines.filter((l) => l[0] === label).map((l) => l[1]);
    expect(field('1.', 'Surname(s)')).toEqual(['Martin']);
    expect(field('1.', 'First name(s)')).toEqual(['Léa']);
    expect(field('1.', 'Date of birth')).toEqual(['2007-02-03']);
    expect(field('1.', 'Nationality')).toEqual(['FR']);
    expect(field('2.', 'Europass Mobility number')).toEqual([`EM-${s.mobilityId}`]);
    expect(field('2.', 'Date of issue')).toEqual(['2025-10-11']);
    expect(field('3.', 'Sending partner')).toEqual(['Lycée Paris (F-PARIS001)']);
    expect(field('3.', 'Host partner')).toEqual(['D-BERLIN01']);
    expect(field('4.', 'Objective')[0]).toMatch(/^A period of learning abroad \(VET learner short-term mobility\)/);
    expect(field('4.', 'Programme')).toEqual(['Erasmus+ Key Action 1 (learning mobility of individuals)']);
    expect(field('4.', 'From')).toEqual(['2025-09-01']);
    expect(field('4.', 'To')).toEqual(['2025-09-30']);
    expect(field('5b.', 'Recognition')[0]).toMatch(/^recognised in full by the sending organisation on 2025-10-10/);
    // The same mobility always has the same number; the optional holder fields are left out when unknown.
    expect(europassDocument(s, { givenName: 'Léa', familyName: 'Martin' }, { institutionId: 'F-PARIS001', institutionName: 'Lycée Paris' }, '2026-01-01').sections[0]!.lines.map((l) => l[0]))
      .toEqual(['Surname(s)', 'First name(s)', 'Participant reference']);
  });

  it('given a staff mobility, then its objective is professional development', () => {
    const doc = europassDocument(staff(), { givenName: 'Jean', familyName: 'Dupont' }, { institutionId: 'F-PARIS001', institutionName: 'Lycée Paris' }, '2025-10-11');
    expect(doc.sections.find((x) => x.heading.startsWith('4.'))!.lines.find((l) => l[0] === 'Objective')![1]).toMatch(/^Professional development abroad/);
  });
});

describe('the open badge (OB 3.0 OpenBadgeCredential)', () => {
  const badge = (s: MobilitySummary) => openBadgeCredential(s, { credentialId: 'urn:uuid:00000000-0000-8000-8000-000000000000', issuer: { did: 'did:key:z6MkTest', name: 'Lycée Paris', institutionId: 'F-PARIS001' }, identity: { identityHash: 'sha256$ab', salt: 's' } });
  it('given a learner, then it is a learner-family achievement issued when recognition was recorded, with a hashed identity and no name', () => {
    const c = badge(vet({ openBadge: true, learningOutcomes: 'Bakery orders in German' }));
    expect(c.description).toBe('Learning outcomes: Bakery orders in German');
    expect(c.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(c.issuanceDate).toBe('2025-10-10T09:00:00.000Z');
    expect(c.credentialSubject.achievement.id).toBe('urn:mobility-engine:achievement:learner:VET-LEARN-ST');
    expect(c.credentialSubject.identifier).toEqual([{ type: 'IdentityObject', hashed: true, identityHash: 'sha256$ab', identityType: 'emailAddress', salt: 's' }]);
    expect(c.credentialSubject).toMatchObject({ activityStartDate: '2025-09-01T00:00:00Z', activityEndDate: '2025-09-30T00:00:00Z' });
    expect(JSON.stringify(c)).not.toMatch(/P-7f3a9c21|Martin/);
  });
});

describe('learning outcomes recorded with the recognition (RecognitionRecorded v2)', () => {
  it('given outcomes one a line or separated by ";", then the event carries them one each, trimmed, blanks dropped', () => {
    expect(vet({ europass: true, learningOutcomes: ' A ;\n\n B \r\nC; ' }).recognition!.learningOutcomes).toEqual(['A', 'B', 'C']);
    expect(vet({ europass: true }).recognition!.learningOutcomes).toEqual([]);
  });
  it('given an e-mail address, more than 12 outcomes or one over 200 characters, then the command is invalid, naming learningOutcomes', () => {
    const base = { type: 'RecordRecognition', mobilityId: '2024-1-FR01-KA131-HED-000123-MOB-00001', at: '2025-10-10T09:00:00Z', actor: 'staff-1', outcome: 'full' };
    for (const learningOutcomes of ['Contact: lea.martin@example.org', Array.from({ length: 13 }, (_, i) => `skill ${i}`).join(';'), 'x'.repeat(201)]) {
      const r = RecordRecognition.safeParse({ ...base, learningOutcomes });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['learningOutcomes']);
    }
    expect(RecordRecognition.safeParse({ ...base, learningOutcomes: 'Customer service in Spanish (B2)' }).success).toBe(true);
  });
  it('given a v1 RecognitionRecorded from the stream, then it reads as v2 with no outcomes (upcast)', () => {
    const v1 = { outcome: 'full', recognisedEcts: null, transcriptEcts: null, europass: true, openBadge: false, dueOn: null, daysLate: 0, actor: 'staff-1', at: '2025-10-10T09:00:00Z' };
    expect(parseEvent({ type: 'RecognitionRecorded', version: 1, payload: v1 })).toEqual({ type: 'RecognitionRecorded', version: 2, payload: { ...v1, learningOutcomes: [] } });
  });
});

describe('the staff career record', () => {
  it('lists staff mobilities only, oldest first, whatever order they come in (property)', () => {
    const a = staff('2025-09-05');
    const learner = vet({ europass: true });
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 8 }), (offsets) => {
      const ms: MobilitySummary[] = [learner, ...offsets.map((o, i) => {
        const d = new Date(Date.parse('2024-01-01') + o * 86_400_000).toISOString().slice(0, 10);
        return { ...a, mobilityId: `${a.mobilityId}-${i}`, startDate: d };
      })];
      const rows = careerRows(ms);
      expect(rows).toHaveLength(offsets.length);
      expect(rows.map((r) => r.startDate)).toEqual([...rows.map((r) => r.startDate)].sort());
    }));
  });
  it('given a certified staff mobility, then its row has dates, host, activity and outcome', () => {
    const doc = careerDocument([staff()], { givenName: 'Jean', familyName: 'Dupont' }, { institutionId: 'F-PARIS001', institutionName: 'Lycée Paris' }, '2025-10-01');
    expect(doc.sections[1]!.table!.rows).toEqual([['2024-1-FR01-KA131-HED-000123-MOB-00001', '2025-09-01 – 2025-09-05', '5', 'D-BERLIN01 (DE)', 'HE staff mobility for training (HE-STT)', 'attendance certified (stage attended)']]);
  });
});
