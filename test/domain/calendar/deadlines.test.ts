import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { DEFAULT_POLICY, Deadline, Policy, addMonthsClamped, deadlinesFor, utcDateOf, type DeadlineId, type MobilityFactsInput, type PolicyOverrides } from '../../../domain/calendar';

const NOW = '2025-01-01';
const one = (id: DeadlineId, facts: MobilityFactsInput, now = NOW, policy?: PolicyOverrides): Deadline | undefined =>
  deadlinesFor(facts, { now, policy }).find((d) => d.id === id);
const due = (id: DeadlineId, facts: MobilityFactsInput, policy?: PolicyOverrides) => one(id, facts, NOW, policy)?.dueDate;

const zodPaths = (fn: () => unknown): string[] => {
  try { fn(); } catch (e) { if (e instanceof ZodError) return e.issues.map((i) => i.path.join('.')); throw e; }
  return [];
};

describe('policy', () => {
  it('defaults to the reference figures (§2, §8)', () => {
    expect(DEFAULT_POLICY).toEqual({
      prefinancingDays: 30, prefinancingPercent: 80, laChangeWeeks: 5, laApprovalWeeks: 2, extensionNoticeMonths: 1,
      reportInvitationOffsetDays: 0, reportDays: 30, reportReminderOffsetsDays: [-7, 0], reportEscalationDays: 7,
      torWeeks: 5, recognitionWeeks: 5, balanceDays: 45, reminderLeadDays: 7, requiredProofs: {},
      preDepartureDeadlines: true, agreementSignatureDays: 14, travelPreparationDays: 7, certificateDays: 7,
    });
  });
  it('refuses values outside the reference ranges, naming the field', () => {
    expect(zodPaths(() => Policy.parse({ laChangeWeeks: 6 }))).toEqual(['laChangeWeeks']); // §2: 2–5 weeks
    expect(zodPaths(() => Policy.parse({ prefinancingPercent: 60 }))).toEqual(['prefinancingPercent']); // §2: 70–100 %
    expect(zodPaths(() => Policy.parse({ reportReminderOffsetsDays: [0, -7] }))).toEqual(['reportReminderOffsetsDays']);
    expect(zodPaths(() => Policy.parse({ reportReminderOffsetsDays: [-7, 7], reportEscalationDays: 7 }))).toEqual(['reportEscalationDays']);
    expect(zodPaths(() => Policy.parse({ torweeks: 5 }))).toEqual(['']); // unknown key (strict)
  });
  it('bad facts name the field', () => {
    expect(zodPaths(() => deadlinesFor({ endDate: '2025-02-30' }, { now: NOW }))).toEqual(['endDate']);
    expect(zodPaths(() => deadlinesFor({ startDate: '2025-03-01', endDate: '2025-02-01' }, { now: NOW }))).toEqual(['endDate']);
  });
});

describe('participant pre-financing (§2 Participant pre-financing [V S16]): earliest of 30 days after both signatures, or the start date', () => {
  const signed = { agreementSignedByParticipant: '2025-01-10', agreementSignedByInstitution: '2025-01-20' };
  it('the start date wins when earlier: 2025-01-20 + 30 = 2025-02-19 > start 2025-02-01', () => {
    expect(due('prefinancing-payment', { ...signed, startDate: '2025-02-01' })).toBe('2025-02-01');
  });
  it('30 days win when earlier: 2025-01-20 + 30 = 2025-02-19 < start 2025-03-15', () => {
    expect(due('prefinancing-payment', { ...signed, startDate: '2025-03-15' })).toBe('2025-02-19');
  });
  it('counts from the later signature whichever party signs last: 2025-01-31 + 30 = 2025-03-02 (February 2025 has 28 days)', () => {
    expect(due('prefinancing-payment', { agreementSignedByParticipant: '2025-01-31', agreementSignedByInstitution: '2025-01-05' })).toBe('2025-03-02');
  });
  it('is not due before both parties have signed', () => {
    expect(due('prefinancing-payment', { agreementSignedByParticipant: '2025-01-10', startDate: '2025-02-01' })).toBeUndefined();
  });
  it('a start date before the last signature makes it due on signature day, never before its trigger', () => {
    expect(due('prefinancing-payment', { ...signed, startDate: '2025-01-15' })).toBe('2025-01-20');
  });
  it('honours a project override: 45 days, 2025-01-20 + 45 = 2025-03-06', () => {
    expect(due('prefinancing-payment', signed, { prefinancingDays: 45 })).toBe('2025-03-06');
  });
  it('is marked met when paid on the due date, missed with the delay when paid later', () => {
    const f = { ...signed, startDate: '2025-02-01' };
    expect(one('prefinancing-payment', { ...f, prefinancingPaidAt: '2025-02-01' }, '2025-06-01')).toMatchObject({ status: 'met', daysLate: 0, fulfilledAt: '2025-02-01' });
    // paid 2025-02-04, due 2025-02-01: 3 days late
    expect(one('prefinancing-payment', { ...f, prefinancingPaidAt: '2025-02-04' }, '2025-06-01')).toMatchObject({ status: 'missed', daysLate: 3 });
    // unpaid on 2025-02-11: 10 days late; on 2025-02-01 still open
    expect(one('prefinancing-payment', f, '2025-02-11')).toMatchObject({ status: 'missed', daysLate: 10, fulfilledAt: null });
    expect(one('prefinancing-payment', f, '2025-02-01')).toMatchObject({ status: 'open', daysLate: 0 });
  });
});

describe('learning-agreement changes (§2 LA changes during mobility [S S18])', () => {
  it('window: 5 weeks after term start by default, 2025-09-15 + 35 days = 2025-10-20', () => {
    expect(one('la-change-request', { termStartDate: '2025-09-15' })).toMatchObject({ dueDate: '2025-10-20', kind: 'window', audience: 'participant' });
  });
  it('window set by the institutions: 2 weeks, 2025-09-15 + 14 = 2025-09-29', () => {
    expect(due('la-change-request', { termStartDate: '2025-09-15' }, { laChangeWeeks: 2 })).toBe('2025-09-29');
  });
  it('an unused window lapses, it is not missed', () => {
    expect(one('la-change-request', { termStartDate: '2025-09-15' }, '2025-11-01')).toMatchObject({ status: 'lapsed', daysLate: 0 });
  });
  it('approval by all parties within 2 weeks of the request: 2025-10-01 + 14 = 2025-10-15', () => {
    expect(one('la-change-decision', { termStartDate: '2025-09-15', laChangeRequestedAt: '2025-10-01' })).toMatchObject({ dueDate: '2025-10-15', audience: 'coordinator' });
    expect(one('la-change-decision', { laChangeRequestedAt: '2025-10-01', laChangeDecidedAt: '2025-10-16' }, '2025-10-20')).toMatchObject({ status: 'missed', daysLate: 1 });
  });
});

describe('extension request (§2: ≥ 1 month before the end date [S Örebro]); month = same day of the previous month, clamped to its last day', () => {
  it.each([
    ['2025-06-30', '2025-05-30'], // ordinary
    ['2025-03-31', '2025-02-28'], // 31 Feb does not exist: last day of February
    ['2024-03-31', '2024-02-29'], // leap year
    ['2025-03-29', '2025-02-28'], // 29 Feb 2025 does not exist either
    ['2025-05-31', '2025-04-30'], // 30-day month
    ['2025-01-15', '2024-12-15'], // across the year
    ['2025-03-01', '2025-02-01'],
  ])('end %s → request by %s', (endDate, expected) => {
    expect(due('extension-request', { endDate })).toBe(expected);
  });
  it('2 months of notice: 2025-04-30 → 2025-02-28', () => {
    expect(due('extension-request', { endDate: '2025-04-30' }, { extensionNoticeMonths: 2 })).toBe('2025-02-28');
  });
  it('the trigger is the end date, counted backwards', () => {
    expect(one('extension-request', { endDate: '2025-06-30' })?.trigger).toEqual({ fact: 'endDate', date: '2025-06-30', relation: 'before' });
  });
  it('month arithmetic is plain calendar arithmetic', () => {
    expect(addMonthsClamped('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonthsClamped('2024-12-31', 2)).toBe('2025-02-28');
    expect(addMonthsClamped('2025-08-31', -12)).toBe('2024-08-31');
  });
});

describe('participant report (§2 Participant report [V S19], deadline 30 days [S S20])', () => {
  it('invitation at the end date by default: 2025-06-30 + 30 = 2025-07-30', () => {
    expect(due('participant-report', { endDate: '2025-06-30' })).toBe('2025-07-30');
  });
  it('the real invitation date wins: 2025-07-02 + 30 = 2025-08-01', () => {
    expect(due('participant-report', { endDate: '2025-06-30', reportInvitedAt: '2025-07-02' })).toBe('2025-08-01');
  });
  it('invitation offset by policy: 2025-06-30 + 3 = 2025-07-03, + 30 = 2025-08-02', () => {
    expect(due('participant-report', { endDate: '2025-06-30' }, { reportInvitationOffsetDays: 3 })).toBe('2025-08-02');
  });
});

describe('transcript of records (§2 ToR from the receiver [V S17]) and recognition (§2 Recognition by the sender [V S17])', () => {
  it('5 weeks after results publication: 2025-07-10 + 35 = 2025-08-14', () => {
    expect(one('transcript-of-records', { endDate: '2025-06-30', resultsPublishedAt: '2025-07-10' })).toMatchObject({ dueDate: '2025-08-14', audience: 'host' });
  });
  it('5 weeks after the end date while publication is unknown: 2025-06-30 + 35 = 2025-08-04', () => {
    expect(due('transcript-of-records', { endDate: '2025-06-30' })).toBe('2025-08-04');
  });
  it('no transcript expected (e.g. staff training): no ToR deadline', () => {
    expect(due('transcript-of-records', { endDate: '2025-06-30', expectsTranscript: false })).toBeUndefined();
  });
  it('recognition 5 weeks after the host ToR is received: 2025-08-01 + 35 = 2025-09-05', () => {
    expect(one('recognition', { transcriptReceivedAt: '2025-08-01' })).toMatchObject({ dueDate: '2025-09-05', audience: 'coordinator' });
  });
});

describe('balance payment (§2 Balance payment [V S16]): 45 days after the report is submitted', () => {
  it('2025-07-20 + 45 = 2025-09-03 (11 days left in July, 31 in August, 3 in September)', () => {
    expect(one('balance-payment', { reportSubmittedAt: '2025-07-20' })).toMatchObject({ dueDate: '2025-09-03', audience: 'finance' });
  });
  it('at 100 % pre-financing there is no balance, but any overpayment is recovered by the same date', () => {
    expect(due('balance-payment', { reportSubmittedAt: '2025-07-20' }, { prefinancingPercent: 100 })).toBe('2025-09-03');
    expect(one('balance-payment', { reportSubmittedAt: '2025-07-20', prefinancingPercent: 100 })?.basis).toMatch(/no balance; any overpayment is recovered/);
  });
});

describe('the whole calendar', () => {
  it('grows with the facts, sorted by due date, each entry schema-valid', () => {
    const facts: MobilityFactsInput = {
      agreementSignedByParticipant: '2025-01-10', agreementSignedByInstitution: '2025-01-20',
      startDate: '2025-02-01', endDate: '2025-06-30', termStartDate: '2025-02-03',
    };
    const list = deadlinesFor(facts, { now: '2025-02-15' });
    // agreement 2025-02-01 − 14 = 2025-01-18 (signed 2025-01-20: late); insurance and travel 2025-02-01 − 7 = 2025-01-25 (lapsed);
    // pre-financing 2025-02-01; LA window 2025-02-03 + 35 = 2025-03-10; extension 2025-05-30;
    // report 2025-07-30; ToR 2025-06-30 + 35 = 2025-08-04
    expect(list.map((d) => [d.id, d.dueDate, d.status])).toEqual([
      ['agreement-signature', '2025-01-18', 'missed'],
      ['insurance-travel', '2025-01-25', 'lapsed'],
      ['prefinancing-payment', '2025-02-01', 'missed'],
      ['la-change-request', '2025-03-10', 'open'],
      ['extension-request', '2025-05-30', 'open'],
      ['participant-report', '2025-07-30', 'open'],
      ['transcript-of-records', '2025-08-04', 'open'],
    ]);
    for (const d of list) expect(Deadline.parse(d)).toEqual(d);
    expect(list[2]!.basis).toContain('2025-01-20 + 30 = 2025-02-19');
    expect(list[2]!.source).toBe('§2 Participant pre-financing [V S16]');
    // Mobilities that ran before the pre-departure deadlines keep the calendar they had.
    expect(deadlinesFor(facts, { now: '2025-02-15', policy: { preDepartureDeadlines: false } }).map((d) => d.id)).toEqual(list.slice(2).map((d) => d.id));
  });
  it('knows nothing without facts', () => {
    expect(deadlinesFor({}, { now: NOW })).toEqual([]);
  });
  it('utcDateOf turns an event time into its UTC calendar day', () => {
    expect(utcDateOf('2025-03-01T23:30:00-02:00')).toBe('2025-03-02');
    expect(utcDateOf('2025-03-01T00:30:00+02:00')).toBe('2025-02-28');
  });
});

describe('before departure and at the end of the stay (§2 Participant GA, LA before mobility, OLS, certificate of attendance)', () => {
  const planned = { startDate: '2025-09-01', endDate: '2025-12-20' };
  it('given the planned start, when nothing is signed, then the agreement is due 14 days before it and still open', () => {
    const d = deadlinesFor(planned, { now: '2025-08-01' }).find((x) => x.id === 'agreement-signature')!;
    expect([d.dueDate, d.status, d.kind, d.audience, d.ruleId]).toEqual(['2025-08-18', 'open', 'obligation', 'participant', 'DL-AGREEMENT-SIGNATURE']);
    expect(d.trigger).toEqual({ fact: 'startDate', date: '2025-09-01', relation: 'before' });
    expect(d.basis).toContain('2025-09-01 − 14 days = 2025-08-18');
  });
  it('given both signatures, then the agreement deadline is met on the later one', () => {
    const d = deadlinesFor({ ...planned, agreementSignedByParticipant: '2025-08-10', agreementSignedByInstitution: '2025-08-12' }, { now: '2025-08-20' }).find((x) => x.id === 'agreement-signature')!;
    expect([d.status, d.fulfilledAt]).toEqual(['met', '2025-08-12']);
  });
  it('given a learner, then the OLS assessment is a window closing the day before departure; staff are not asked', () => {
    expect(due('ols-assessment', { ...planned, expectsOls: true })).toBe('2025-08-31');
    expect(due('ols-assessment', { ...planned })).toBeUndefined();
    const taken = deadlinesFor({ ...planned, expectsOls: true, olsBeforeAt: '2025-08-20' }, { now: '2025-08-25' }).find((x) => x.id === 'ols-assessment')!;
    expect(taken.status).toBe('met');
  });
  it('given the policy, then insurance and travel are due travelPreparationDays before the start', () => {
    expect(due('insurance-travel', planned)).toBe('2025-08-25');
    expect(due('insurance-travel', planned, { travelPreparationDays: 21 })).toBe('2025-08-11');
  });
  it('given a departure, then the host certificate is due certificateDays after the end date, met when received', () => {
    expect(due('certificate-of-attendance', planned)).toBeUndefined(); // not before departure
    expect(due('certificate-of-attendance', { ...planned, departedOn: '2025-09-01' })).toBe('2025-12-27');
    const d = deadlinesFor({ ...planned, departedOn: '2025-09-01', certificateReceivedAt: '2025-12-22' }, { now: '2026-01-05' }).find((x) => x.id === 'certificate-of-attendance')!;
    expect([d.status, d.audience, d.kind]).toEqual(['met', 'host', 'obligation']);
    const late = deadlinesFor({ ...planned, departedOn: '2025-09-01' }, { now: '2026-01-05' }).find((x) => x.id === 'certificate-of-attendance')!;
    expect([late.status, late.daysLate]).toEqual(['missed', 9]);
  });
  it('given preDepartureDeadlines off, then none of them exists', () => {
    const ids = deadlinesFor({ ...planned, departedOn: '2025-09-01', expectsOls: true }, { now: '2025-08-01', policy: { preDepartureDeadlines: false } }).map((d) => d.id);
    expect(ids.filter((id) => ['agreement-signature', 'ols-assessment', 'insurance-travel', 'certificate-of-attendance'].includes(id))).toEqual([]);
  });
});
