import { describe, it } from 'vitest';
import { at, cmd, estimatedGrant, history, path, shorterFinalGrant, spec, submit } from './fixtures';

describe('RecordCertificateOfAttendance (§2 certificate of attendance; §1.6 counting rules)', () => {
  it('fixes actual dates, physical days less interruptions and the final grant with its delta', () => {
    const interrupted = [...path.departed(), cmd('RecordInterruption', '2025-11-20', { from: '2025-11-01', to: '2025-11-10', reasonCode: 'personal' })];
    // 150 BM days − 10 interrupted = 140; delta 310 900 − 330 900 = −20 000; nothing paid so balance due = 310 900
    spec.given(history(interrupted))
      .when(cmd('RecordCertificateOfAttendance', '2026-02-05', { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', finalGrant: shorterFinalGrant }))
      .thenMatches([{
        type: 'AttendanceCertified',
        payload: {
          actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', physicalDays: 140, interruptedDays: 10, minimumMet: true, forceMajeure: false,
          finalGrant: shorterFinalGrant, estimatedTotalCents: 330_900, deltaCents: -20_000, paidCents: 0, balanceDueCents: 310_900,
          facts: { activity: 'HE-SMS', hostCountry: 'DE' },
        },
      }]);
  });

  it('balance due deducts the pre-financing already paid', () => {
    const paid = [...path.agreed(), cmd('RecordPaymentOrdered', '2025-06-20', { kind: 'prefinancing', amountCents: 231_630, paymentId: 'PAY-1' }),
      cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' })];
    // 310 900 − 231 630 = 79 270
    spec.given(history(paid)).when(cmd('RecordCertificateOfAttendance', '2026-02-05', { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', finalGrant: shorterFinalGrant }))
      .thenMatches([{ payload: { paidCents: 231_630, balanceDueCents: 79_270 } }]);
  });

  it('refuses inverted or future dates, interruptions outside the attended dates, and a mobility not departed', () => {
    const coa = (s: string, e: string, on = '2026-02-05') => cmd('RecordCertificateOfAttendance', on, { actualStartDate: s, actualEndDate: e, finalGrant: estimatedGrant });
    spec.given(history(path.departed())).when(coa('2026-01-31', '2025-09-01')).thenRejects('invalid-dates');
    spec.given(history(path.departed())).when(coa('2025-09-01', '2026-01-31', '2026-01-30')).thenRejects('invalid-dates', /future/);
    const interrupted = [...path.departed(), cmd('RecordInterruption', '2025-12-01', { from: '2026-01-20', to: '2026-01-25', reasonCode: 'personal' })];
    spec.given(history(interrupted)).when(coa('2025-09-01', '2026-01-15')).thenRejects('invalid-dates', /outside the attended dates/);
    spec.given(history(path.agreed())).when(coa('2025-09-01', '2026-01-31')).thenRejects('wrong-stage', /departure has not been confirmed/);
  });
});

describe('participant report (§2 [V S19], 30 days [S S20])', () => {
  it('invitation after the end date, due 30 days later', () =>
    // 6 Feb 2026 + 30 days = 8 Mar 2026 (22 days to 28 Feb, then 8)
    spec.given(history(path.attended())).when(cmd('InviteParticipantReport', '2026-02-06', {}))
      .thenMatches([{ type: 'ParticipantReportInvited', payload: { invitedOn: '2026-02-06', dueOn: '2026-03-08' } }]));

  it('no invitation on or before the end date, and only one invitation', () => {
    const sameDay = [...path.departed(), cmd('RecordCertificateOfAttendance', '2026-01-31', { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', finalGrant: estimatedGrant })];
    spec.given(history(sameDay)).when(cmd('InviteParticipantReport', '2026-01-31', {})).thenRejects('report-before-end', /REPORT-AFTER-END/);
    spec.given(history(path.invited())).when(cmd('InviteParticipantReport', '2026-02-10', {})).thenRejects('report-already-invited', /send a reminder/);
  });

  it('manual reminder at most once per 24 h (REPORT-REMIND-24H)', () => {
    const early = { ...cmd('RemindParticipantReport', '2026-02-07', {}), at: at('2026-02-07', '08:59:00') };
    spec.given(history(path.invited())).when(early).thenRejects('reminder-too-soon', /at most one per 24 h, not before 2026-02-07T09:00.*REPORT-REMIND-24H/);
    const first = cmd('RemindParticipantReport', '2026-02-07', {});
    spec.given(history(path.invited())).when(first).thenMatches([{ type: 'ParticipantReportReminded', payload: { reminderNumber: 1 } }]);
    spec.given(history([...path.invited(), first])).when({ ...first, at: at('2026-02-08', '08:00:00') }).thenRejects('reminder-too-soon');
    spec.given(history([...path.invited(), first])).when({ ...first, at: at('2026-02-08', '09:00:00') }).thenMatches([{ payload: { reminderNumber: 2 } }]);
    spec.given(history(path.attended())).when(first).thenRejects('report-not-invited');
  });

  it('submission counts days late against the due date', () =>
    // due 8 Mar, submitted 10 Mar → 2 days late
    spec.given(history(path.invited())).when(cmd('RecordParticipantReportSubmitted', '2026-03-10', { submittedOn: '2026-03-10' }))
      .thenMatches([{ type: 'ParticipantReportSubmitted', payload: { submittedOn: '2026-03-10', dueOn: '2026-03-08', daysLate: 2 } }]));

  it('submission needs an invitation', () =>
    spec.given(history(path.attended())).when(cmd('RecordParticipantReportSubmitted', '2026-02-10', { submittedOn: '2026-02-10' })).thenRejects('report-not-invited'));
});

describe('RecordOlsAssessment (§2 OLS: before and after)', () => {
  const ols = (phase: 'before' | 'after', on: string) => cmd('RecordOlsAssessment', on, { phase, language: 'de', level: 'B1' });
  it('before mobility from selection, after mobility once attendance is certified, once each', () => {
    spec.given(history(path.selected())).when(ols('before', '2025-05-01')).thenMatches([{ type: 'OlsAssessmentRecorded', payload: { phase: 'before', language: 'de', level: 'B1' } }]);
    spec.given(history(path.applied())).when(ols('before', '2025-03-02')).thenRejects('wrong-stage');
    spec.given(history(path.departed())).when(ols('after', '2025-10-01')).thenRejects('wrong-stage', /once attendance is certified/);
    spec.given(history(path.reported())).when(ols('after', '2026-03-01')).thenMatches([{ payload: { phase: 'after' } }]);
    spec.given(history([...path.selected(), ols('before', '2025-05-01')])).when(ols('before', '2025-05-02')).thenRejects('ols-already-recorded');
  });
});

describe('transcript and recognition (§2 [V S17]: 5 weeks each)', () => {
  const tor = (receivedOn: string, ects = 30) => cmd('RecordTranscriptOfRecords', receivedOn, { receivedOn, ects });
  const recognise = (on: string, outcome: 'full' | 'partial', recognisedEcts?: number) =>
    cmd('RecordRecognition', on, recognisedEcts === undefined ? { outcome } : { outcome, recognisedEcts });

  it('transcript due 35 days after the end date', () =>
    // 31 Jan + 35 = 7 Mar 2026; received 10 Mar → 3 days late
    spec.given(history(path.attended())).when(tor('2026-03-10'))
      .thenMatches([{ type: 'TranscriptReceived', payload: { ects: 30, dueOn: '2026-03-07', daysLate: 3 } }]));

  it('transcript only for HE learners, once', () => {
    const staff = [submit({ endDate: '2025-09-05' }, { activity: 'HE-STA' }), ...path.attended().slice(1)];
    spec.given(history(staff)).when(tor('2026-03-10')).thenRejects('transcript-not-applicable');
    spec.given(history([...path.attended(), tor('2026-03-01')])).when(tor('2026-03-02')).thenRejects('transcript-already-recorded');
  });

  it('recognition needs the report and the transcript; full means every transcript credit', () => {
    spec.given(history(path.invited())).when(recognise('2026-03-20', 'full', 30)).thenRejects('wrong-stage', /report has not been submitted/);
    spec.given(history(path.reported())).when(recognise('2026-03-20', 'full', 30)).thenRejects('transcript-required');
    const withTor = [...path.reported(), tor('2026-03-10')];
    // due 10 Mar + 35 = 14 Apr; recorded 20 Apr → 6 days late
    spec.given(history(withTor)).when(recognise('2026-04-20', 'full', 30))
      .thenMatches([{ type: 'RecognitionRecorded', payload: { outcome: 'full', recognisedEcts: 30, transcriptEcts: 30, dueOn: '2026-04-14', daysLate: 6, europass: false } }]);
    spec.given(history(withTor)).when(recognise('2026-03-20', 'partial', 27)).thenMatches([{ payload: { outcome: 'partial', recognisedEcts: 27, daysLate: 0 } }]);
    spec.given(history(withTor)).when(recognise('2026-03-20', 'full', 27)).thenRejects('recognition-inconsistent', /RECOG-FULL/);
    spec.given(history(withTor)).when(recognise('2026-03-20', 'partial', 31)).thenRejects('recognition-inconsistent', /exceed the 30 ECTS/);
    spec.given(history(withTor)).when(recognise('2026-03-20', 'partial')).thenRejects('recognition-inconsistent', /required/);
  });

  it('non-HE learners: Europass and open badge without credits (users-and-processes §003)', () => {
    // VET-LEARN-ST, 1–30 Sep = 30 actual days within 10–89
    const vet = [submit({ endDate: '2025-09-30' }, { activity: 'VET-LEARN-ST' }), ...path.departed().slice(1),
      cmd('RecordCertificateOfAttendance', '2025-10-02', { actualStartDate: '2025-09-01', actualEndDate: '2025-09-30', finalGrant: estimatedGrant }),
      cmd('InviteParticipantReport', '2025-10-02', {}), cmd('RecordParticipantReportSubmitted', '2025-10-05', { submittedOn: '2025-10-05' })];
    spec.given(history(vet)).when(cmd('RecordRecognition', '2025-10-10', { outcome: 'full', europass: true, openBadge: true }))
      .thenMatches([{ payload: { recognisedEcts: null, transcriptEcts: null, europass: true, openBadge: true, dueOn: null, daysLate: 0 } }]);
  });
});

describe('RecordDeadlineMissed (§8 deadline timers)', () => {
  const missed = (deadline: 'prefinancing' | 'participant-report' | 'transcript' | 'recognition' | 'balance', on: string) => cmd('RecordDeadlineMissed', on, { deadline });

  it('pre-financing due 8 Jul (last signature 8 Jun + 30): missed on 10 Jul is 2 days late', () => {
    spec.given(history(path.agreed())).when(missed('prefinancing', '2025-07-08')).thenRejects('deadline-not-passed');
    spec.given(history(path.agreed())).when(missed('prefinancing', '2025-07-10')).thenMatches([{ type: 'DeadlineMissed', payload: { deadline: 'prefinancing', dueOn: '2025-07-08', daysLate: 2 } }]);
    spec.given(history([...path.agreed(), missed('prefinancing', '2025-07-10')])).when(missed('prefinancing', '2025-07-11')).thenRejects('deadline-already-recorded');
    const paid = [...path.agreed(), cmd('RecordPaymentOrdered', '2025-06-20', { kind: 'prefinancing', amountCents: 231_630, paymentId: 'PAY-1' })];
    spec.given(history(paid)).when(missed('prefinancing', '2025-07-10')).thenRejects('deadline-not-applicable', /met/);
  });

  it('report due 8 Mar; transcript due 7 Mar; balance due 45 days after the report', () => {
    spec.given(history(path.invited())).when(missed('participant-report', '2026-03-09')).thenMatches([{ payload: { dueOn: '2026-03-08', daysLate: 1 } }]);
    spec.given(history(path.attended())).when(missed('transcript', '2026-03-08')).thenMatches([{ payload: { dueOn: '2026-03-07', daysLate: 1 } }]);
    // report 20 Feb + 45 = 6 Apr (8 days to 28 Feb, 31 in March, 6 in April)
    spec.given(history(path.reported())).when(missed('balance', '2026-04-07')).thenMatches([{ payload: { deadline: 'balance', dueOn: '2026-04-06', daysLate: 1 } }]);
    spec.given(history(path.selected())).when(missed('balance', '2026-04-07')).thenRejects('wrong-stage', /no deadline is watched in this stage \(stage 'selected'\)/);
    spec.given(history(path.agreed())).when(missed('balance', '2026-04-07')).thenRejects('deadline-not-applicable', /does not apply/);
  });
});
