import { describe, expect, it } from 'vitest';
import {
  decideIncoming, evolveIncoming, type IncomingCommand, type IncomingEvent, type IncomingRejection, type IncomingState,
  incomingActionsIn, incomingIdFor, initialIncomingState, isIncomingClosed, isIncomingRejection, liveIncomingDeadlines, plannedIncomingAlarms,
} from '../../../domain/incoming';
import { DeciderSpecification } from '../support/decider-spec';

/** Given/when/then of the receiving side's lifecycle (reference §2: LA signed by the receiver, certificate of attendance, transcript within 5 weeks). */
const spec = DeciderSpecification.for<IncomingCommand, IncomingEvent, IncomingState, IncomingRejection>({
  decide: decideIncoming, evolve: evolveIncoming, initialState: initialIncomingState, isRejection: (r): r is IncomingRejection => isIncomingRejection(r),
});

const id = incomingIdFor('F-LYON-003', 1);
const staff = 'staff.lyon';
const at = (d: string) => `${d}T10:00:00.000Z`;
const nominate = (over: Partial<Extract<IncomingCommand, { type: 'RecordNomination' }>> = {}): IncomingCommand => ({
  type: 'RecordNomination', incomingId: id, at: at('2025-06-01'), actor: staff, institutionId: 'F-LYON-003', siteId: null, participantRef: 'P-ABCDEFGHIJKL',
  kind: 'student-studies', sendingOrgId: 'D-BERLIN-01', sendingCountry: 'DE', startDate: '2025-09-01', endDate: '2026-01-31', ...over,
});
const events = (...cmds: IncomingCommand[]): IncomingEvent[] => {
  let s: IncomingState = initialIncomingState;
  const out: IncomingEvent[] = [];
  for (const c of cmds) {
    const d = decideIncoming(c, s);
    if (isIncomingRejection(d)) throw new Error(d.reason);
    for (const e of d) s = evolveIncoming(s, e);
    out.push(...d);
  }
  return out;
};
const sign = (d = '2025-07-01', ectsPlanned: number | null = 30): IncomingCommand => ({ type: 'SignAgreementAsReceiver', incomingId: id, at: at(d), actor: staff, signedOn: d, ectsPlanned });
const arrive = (d = '2025-09-01'): IncomingCommand => ({ type: 'ConfirmArrival', incomingId: id, at: at(d), actor: staff, arrivedOn: d });
const certify = (end = '2026-01-31', issued = end): IncomingCommand => ({ type: 'IssueCertificateOfAttendance', incomingId: id, at: at(issued), actor: staff, actualStartDate: '2025-09-01', actualEndDate: end, issuedOn: issued });
const transcript = (d: string, ects = 27.5): IncomingCommand => ({ type: 'IssueTranscriptOfRecords', incomingId: id, at: at(d), actor: staff, issuedOn: d, ects });

describe('incoming: nomination received', () => {
  it('given nothing, when a partner nominates a student for a semester, then the nomination is recorded with the documents the receiver owes', () =>
    spec.given([]).when(nominate()).thenMatches([{ type: 'IncomingNominated', payload: { kind: 'student-studies', plannedDays: 150, durationRuleId: 'DUR-HE-STU-LT', agreement: 'learning-agreement', transcript: true } }]));

  it('when a student stay fits neither the short-term (5–30 days) nor the long-term form (2–12 months), then it is refused naming both rules', () =>
    spec.given([]).when(nominate({ startDate: '2025-09-01', endDate: '2025-10-10' })).thenRejects('duration-out-of-range', /DUR-HE-STU-ST.*DUR-HE-STU-LT/));

  it('when an invited expert comes for two days, then it fits, with no agreement and no transcript owed (DUR-EXPERT-IN: 2–60 days)', () => {
    spec.given([]).when(nominate({ kind: 'invited-expert', startDate: '2025-09-01', endDate: '2025-09-02' }))
      .thenMatches([{ payload: { plannedDays: 2, agreement: 'none', transcript: false, durationRuleId: 'DUR-EXPERT-IN' } }]);
    spec.given([]).when(nominate({ kind: 'invited-expert', startDate: '2025-09-01', endDate: '2025-09-01' })).thenRejects('duration-out-of-range', /DUR-EXPERT-IN/);
  });

  it('when a hosted teacher in training stays 9 days, then it is refused (10–365 days)', () =>
    spec.given([]).when(nominate({ kind: 'hosted-teacher-in-training', startDate: '2025-09-01', endDate: '2025-09-09' })).thenRejects('duration-out-of-range', /DUR-HOSTED-TE/));

  it('when a preparatory visit lasts five weeks, then it is refused (DUR-PREP-VISIT: 1–30 days)', () =>
    spec.given([]).when(nominate({ kind: 'preparatory-visit', startDate: '2025-09-01', endDate: '2025-10-05' })).thenRejects('duration-out-of-range', /DUR-PREP-VISIT/));

  it('when the dates are inverted, then it is refused', () => spec.given([]).when(nominate({ startDate: '2025-09-02', endDate: '2025-09-01' })).thenRejects('invalid-dates'));
});

describe('incoming: learning agreement signed as the receiving party', () => {
  it('given a nominated student, when the receiver signs the LA with its Table A credits, then the mobility is agreed', () =>
    spec.given(events(nominate())).when(sign()).thenMatches([{ type: 'IncomingAgreementSigned', payload: { agreement: 'learning-agreement', ectsPlanned: 30 } }]));

  it('given a nominated student, when the LA has no credits, then it is refused', () => spec.given(events(nominate())).when(sign('2025-07-01', null)).thenRejects('ects-required'));

  it('given an incoming staff member, when the receiver signs the mobility agreement without credits, then it is agreed; with credits it is refused', () => {
    spec.given(events(nominate({ kind: 'staff-teaching', startDate: '2025-09-01', endDate: '2025-09-05' }))).when(sign('2025-07-01', null)).thenMatches([{ payload: { agreement: 'mobility-agreement' } }]);
    spec.given(events(nominate({ kind: 'staff-teaching', startDate: '2025-09-01', endDate: '2025-09-05' }))).when(sign('2025-07-01', 5)).thenRejects('ects-not-applicable');
  });

  it('given an invited expert, when staff try to sign an agreement, then there is none to sign', () =>
    spec.given(events(nominate({ kind: 'invited-expert', startDate: '2025-09-01', endDate: '2025-09-03' }))).when(sign('2025-07-01', null)).thenRejects('agreement-not-applicable'));

  it('when the signature is dated after today, then it is refused', () =>
    spec.given(events(nominate())).when({ ...sign('2025-07-01'), signedOn: '2025-07-02' } as IncomingCommand).thenRejects('date-in-future'));
});

describe('incoming: arrival', () => {
  it('given a nominated student without a signed LA, when arrival is confirmed, then it is refused: the LA comes first', () =>
    spec.given(events(nominate())).when(arrive()).thenRejects('agreement-required'));

  it('given an agreed student, when the student arrives two days late, then the shift is recorded', () =>
    spec.given(events(nominate(), sign())).when(arrive('2025-09-03')).thenMatches([{ type: 'IncomingArrived', payload: { daysShifted: 2, plannedStartDate: '2025-09-01' } }]));

  it('given a nominated invited expert, when the expert arrives, then no agreement is needed', () =>
    spec.given(events(nominate({ kind: 'invited-expert', startDate: '2025-09-01', endDate: '2025-09-03' }))).when(arrive()).thenMatches([{ type: 'IncomingArrived' }]));
});

describe('incoming: certificate of attendance and transcript of records', () => {
  it('given an arrived student, when the certificate is issued on the end date, then the transcript falls due 5 weeks after the last day (IN-TOR-5W)', () =>
    spec.given(events(nominate(), sign(), arrive())).when(certify()).thenMatches([{ type: 'IncomingAttendanceCertified', payload: { physicalDays: 153, dueOn: '2026-01-31', daysLate: 0, transcriptDueOn: '2026-03-07' } }]));

  it('when the certificate attests days after its issue date, then it is refused', () =>
    spec.given(events(nominate(), sign(), arrive())).when(certify('2026-01-31', '2026-01-30')).thenRejects('invalid-dates'));

  it('given a certified student, when the transcript comes 3 days after its due date, then it is recorded 3 days late and the mobility closes', () => {
    const given = events(nominate(), sign(), arrive(), certify());
    spec.given(given).when(transcript('2026-03-10')).thenMatches([{ type: 'IncomingTranscriptIssued', payload: { dueOn: '2026-03-07', daysLate: 3, ects: 27.5, ectsPlanned: 30 } }]);
    spec.given(given).when(transcript('2026-03-10')).thenState((s) => expect(isIncomingClosed(s)).toBe(true));
  });

  it('given a certified staff member, then the mobility is closed and no transcript is owed', () => {
    const given = events(nominate({ kind: 'staff-training', startDate: '2025-09-01', endDate: '2025-09-05' }), sign('2025-07-01', null), arrive(), certify('2025-09-05'));
    const s = given.reduce(evolveIncoming, initialIncomingState);
    expect(isIncomingClosed(s)).toBe(true);
    expect(incomingActionsIn(s)).toEqual([]);
    spec.given(given).when(transcript('2025-09-10')).thenRejects('transcript-not-applicable');
  });
});

describe('incoming: cancellation and no-show', () => {
  it('given an agreed student, when the sender withdraws the nomination, then it is cancelled', () =>
    spec.given(events(nominate(), sign())).when({ type: 'CancelIncoming', incomingId: id, at: at('2025-08-01'), actor: staff, reasonCode: 'withdrawn-by-sender' })
      .thenMatches([{ type: 'IncomingCancelled', payload: { fromStage: 'agreed' } }]));

  it('given an arrived student, when staff cancel, then it is refused (cancellation is before arrival)', () =>
    spec.given(events(nominate(), sign(), arrive())).when({ type: 'CancelIncoming', incomingId: id, at: at('2025-09-02'), actor: staff, reasonCode: 'other' }).thenRejects('wrong-stage'));

  it('when a no-show is recorded on the planned start date, then it is refused; the day after, it is recorded', () => {
    spec.given(events(nominate(), sign())).when({ type: 'RecordNoShow', incomingId: id, at: at('2025-09-01'), actor: staff }).thenRejects('no-show-before-start');
    spec.given(events(nominate(), sign())).when({ type: 'RecordNoShow', incomingId: id, at: at('2025-09-02'), actor: staff }).thenMatches([{ type: 'IncomingNoShowRecorded', payload: { daysAfterStart: 1 } }]);
  });
});

describe('incoming: due dates and reminders to the institution staff', () => {
  it('given an arrived student, then the certificate is due at the end date, reminded 3 days before and missed the day after', () => {
    const s = events(nominate(), sign(), arrive()).reduce(evolveIncoming, initialIncomingState);
    expect(liveIncomingDeadlines(s)).toEqual([{ deadline: 'certificate-of-attendance', dueOn: '2026-01-31', ruleId: 'IN-COA-END' }]);
    expect(plannedIncomingAlarms(s).map((a) => [a.kind, a.at])).toEqual([['reminder', '2026-01-28T08:00:00.000Z'], ['missed', '2026-02-01T00:00:00.000Z']]);
  });

  it('given a certified student, when the transcript due date passes, then it is recorded missed once', () => {
    const given = events(nominate(), sign(), arrive(), certify());
    const missed: IncomingCommand = { type: 'RecordIncomingDeadlineMissed', incomingId: id, at: at('2026-03-08'), actor: 'system:workflow', deadline: 'transcript-of-records' };
    spec.given(given).when({ ...missed, at: at('2026-03-07') } as IncomingCommand).thenRejects('deadline-not-passed');
    spec.given(given).when(missed).thenMatches([{ type: 'IncomingDeadlineMissed', payload: { dueOn: '2026-03-07', daysLate: 1 } }]);
    spec.given([...given, ...events()].concat(decideIncoming(missed, given.reduce(evolveIncoming, initialIncomingState)) as IncomingEvent[])).when(missed).thenRejects('deadline-already-recorded');
  });
});
