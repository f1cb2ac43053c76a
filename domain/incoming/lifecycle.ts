import { z } from 'zod';

/**
 * THE lifecycle table of an incoming mobility, the receiving side's (reference §2 and §4: EWP's
 * incoming nomination, the learning agreement signed by the receiver, the certificate of attendance,
 * the transcript of records). The one place a stage name is written: the decider's stage guards,
 * evolve's checks, the API's per-stage actions and the projection's stage order derive from it.
 *
 *   none → nominated → agreed → arrived → certified → transcribed
 *   nominated → arrived           (kinds without an agreement: invited experts, preparatory visits)
 *   nominated | agreed → cancelled | no-show
 *
 * A kind narrows the table (`kinds.ts`): the agreement is signed only where the kind has one, and
 * the transcript is issued only for students; `certified` closes the others.
 */
export const INCOMING_LIFECYCLE = {
  none: { order: 0, allows: ['RecordNomination'], deadlines: [] },
  nominated: { order: 10, allows: ['SignAgreementAsReceiver', 'ConfirmArrival', 'CancelIncoming', 'RecordNoShow'], deadlines: [] },
  agreed: { order: 20, allows: ['ConfirmArrival', 'CancelIncoming', 'RecordNoShow'], deadlines: [] },
  arrived: { order: 30, allows: ['IssueCertificateOfAttendance', 'RecordIncomingDeadlineMissed'], deadlines: ['certificate-of-attendance'] },
  certified: { order: 40, allows: ['IssueTranscriptOfRecords', 'RecordIncomingDeadlineMissed'], deadlines: ['transcript-of-records'] },
  transcribed: { order: 50, allows: [], deadlines: [] },
  cancelled: { order: 100, allows: [], deadlines: [] },
  'no-show': { order: 101, allows: [], deadlines: [] },
} as const satisfies Record<string, { order: number; allows: readonly string[]; deadlines: readonly string[] }>;

export type IncomingStage = keyof typeof INCOMING_LIFECYCLE;
export type IncomingAllowed = (typeof INCOMING_LIFECYCLE)[IncomingStage]['allows'][number];
export type IncomingDeadlineId = (typeof INCOMING_LIFECYCLE)[IncomingStage]['deadlines'][number];

export const INCOMING_STAGES = (Object.keys(INCOMING_LIFECYCLE) as IncomingStage[]).sort((a, b) => INCOMING_LIFECYCLE[a].order - INCOMING_LIFECYCLE[b].order);
export const OPEN_INCOMING_STAGES = INCOMING_STAGES.filter((s): s is Exclude<IncomingStage, 'none'> => s !== 'none');
export const IncomingStageName = z.enum(OPEN_INCOMING_STAGES as [Exclude<IncomingStage, 'none'>, ...Exclude<IncomingStage, 'none'>[]]);
export type IncomingStageName = z.infer<typeof IncomingStageName>;

/** Closed without a stay. */
export const INCOMING_TERMINAL = ['cancelled', 'no-show'] as const satisfies readonly IncomingStage[];

export const incomingAllows = (stage: IncomingStage, entry: IncomingAllowed): boolean => (INCOMING_LIFECYCLE[stage].allows as readonly string[]).includes(entry);

/** The stages in which a command is allowed, in lifecycle order. */
export const incomingStagesAllowing = (entry: IncomingAllowed): IncomingStage[] => INCOMING_STAGES.filter((s) => incomingAllows(s, entry));

/** Which stage each stage-changing event leads to; other events keep the stage. */
export const INCOMING_ENTERS = {
  IncomingNominated: 'nominated',
  IncomingAgreementSigned: 'agreed',
  IncomingArrived: 'arrived',
  IncomingAttendanceCertified: 'certified',
  IncomingTranscriptIssued: 'transcribed',
  IncomingCancelled: 'cancelled',
  IncomingNoShowRecorded: 'no-show',
} as const satisfies Record<string, IncomingStage>;

/** The command that emits each event. */
export const INCOMING_EMITTED_BY = {
  IncomingNominated: 'RecordNomination',
  IncomingAgreementSigned: 'SignAgreementAsReceiver',
  IncomingArrived: 'ConfirmArrival',
  IncomingAttendanceCertified: 'IssueCertificateOfAttendance',
  IncomingTranscriptIssued: 'IssueTranscriptOfRecords',
  IncomingCancelled: 'CancelIncoming',
  IncomingNoShowRecorded: 'RecordNoShow',
  IncomingDeadlineMissed: 'RecordIncomingDeadlineMissed',
} as const satisfies Record<string, IncomingAllowed>;

export const incomingStageAfter = (event: string, current: IncomingStage): IncomingStage =>
  Object.hasOwn(INCOMING_ENTERS, event) ? INCOMING_ENTERS[event as keyof typeof INCOMING_ENTERS] : current;
