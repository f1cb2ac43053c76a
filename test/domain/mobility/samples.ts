import type { MobilityEvent } from '../../../domain/mobility';
import { cmd, estimatedGrant, extendedGrant, history, path, shorterFinalGrant } from './fixtures';

/** Histories that, together, emit every event type at least once (checked in events.test.ts). */
export const sampleEvents = (): MobilityEvent[] => {
  const ols = (phase: 'before' | 'after', on: string) => cmd('RecordOlsAssessment', on, { phase, language: 'de', level: 'B2' });
  const full = history([
    ...path.agreed(),
    cmd('RecordDeadlineSchedule', '2025-06-10', {}),
    cmd('RecordPaymentOrdered', '2025-07-10', { kind: 'prefinancing', amountCents: 231_630, paymentId: 'PAY-1' }),
    ols('before', '2025-07-11'),
    cmd('ChangeLearningAgreement', '2025-07-12', { reasonCode: 'language-mismatch' }),
    cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' }),
    cmd('RecordInterruption', '2025-10-20', { from: '2025-11-01', to: '2025-11-03', reasonCode: 'academic-break' }),
    cmd('DeclareForceMajeure', '2025-11-02', { reasonCode: 'travel-disruption' }),
    cmd('RequestExtension', '2025-12-01', { newEndDate: '2026-02-28' }),
    cmd('RefuseExtension', '2025-12-02', { reasonCode: 'host-declined' }),
    cmd('RequestExtension', '2025-12-03', { newEndDate: '2026-02-28' }),
    cmd('ApproveExtension', '2025-12-04', { revisedGrant: extendedGrant }),
    cmd('AttachDocument', '2026-03-01', { documentId: 'DOC-00000000000000c1', kind: 'certificate-of-attendance', sha256: 'c1'.repeat(32), byteSize: 48_213, mediaType: 'application/pdf' }),
    cmd('RecordCertificateOfAttendance', '2026-03-02', { actualStartDate: '2025-09-01', actualEndDate: '2026-02-28', finalGrant: shorterFinalGrant }),
    cmd('InviteParticipantReport', '2026-03-03', {}),
    cmd('RemindParticipantReport', '2026-03-10', {}),
    cmd('RecordDeadlineMissed', '2026-04-10', { deadline: 'participant-report' }),
    cmd('RecordParticipantReportSubmitted', '2026-04-11', { submittedOn: '2026-04-11' }),
    ols('after', '2026-04-12'),
    cmd('RecordTranscriptOfRecords', '2026-04-13', { receivedOn: '2026-04-13', ects: 30 }),
    cmd('RecordRecognition', '2026-04-20', { outcome: 'partial', recognisedEcts: 25 }),
    cmd('RecordPaymentOrdered', '2026-04-21', { kind: 'balance', amountCents: 310_900 - 231_630, paymentId: 'PAY-2' }),
  ]);
  const cancelled = history([...path.agreed(), cmd('RecordPaymentOrdered', '2025-06-20', { kind: 'prefinancing', amountCents: 100_000, paymentId: 'PAY-1' }),
    cmd('CancelMobility', '2025-08-01', { reasonCode: 'force-majeure' }), cmd('RecordPaymentOrdered', '2025-08-02', { kind: 'recovery', amountCents: 100_000, paymentId: 'REC-1' })]);
  const reserve = history([...path.applied(), cmd('RejectApplication', '2025-04-01', { reasonCode: 'selection-ranking', reserveListRank: 2 }),
    cmd('RejectApplication', '2025-06-01', { reasonCode: 'no-budget' })]);
  const withdrawn = history([...path.applied(), cmd('RecordGrantConditions', '2025-03-02', { travelSupport: true, inclusionSupportCents: 40_000, exceptionalTravelCostCents: null, zeroGrant: false }),
    cmd('WithdrawApplication', '2025-03-05', { reasonCode: 'personal' })]);
  const takenOver = history([...path.applied(), cmd('TakeOverMobility', '2025-10-01', {
    stage: 'departed', selectedOn: '2025-04-01', agreement: { participantSignedOn: '2025-06-05', institutionSignedOn: '2025-06-08', prefinancingPercent: 70 },
    departedOn: '2025-09-01', attendance: null, payments: [{ kind: 'prefinancing', paymentId: 'OLD-1', amountCents: 231_630, paidOn: '2025-06-20' }],
    source: 'import:IMP-1 row 2', estimatedGrant, finalGrant: null,
  })]);
  return [...full, ...cancelled, ...reserve, ...withdrawn, ...takenOver];
};
