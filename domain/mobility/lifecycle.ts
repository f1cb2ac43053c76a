import { z } from 'zod';
import type { DeadlineId } from '../calendar/deadlines';

/**
 * THE lifecycle table of a mobility: its stages in order, what each stage allows, and which stage
 * each event leads to. It is the one place a stage name is written; everything else derives from it:
 * - the decider's stage guards (`stagesAllowing`),
 * - evolve's "may this event follow that stage" checks (`stagesBefore`),
 * - the workflow's notion of closed, the API's per-stage actions and the console's stage filter,
 * - the quality projection's stage order (`STAGE_ORDER`; a test checks the SQL against it).
 *
 * `deadlines` names the calendar deadlines that are live in the stage;
 * nothing due after the end is live before attendance is certified, except the certificate itself.
 *
 * An entry `Command.variant` (e.g. `RecordOlsAssessment.before`) narrows a command by one of its fields
 * (the OLS phase, the payment kind) when the stages differ per value.
 *
 *   none → applied → selected | reserve-list | rejected | withdrawn
 *   reserve-list → selected | rejected | withdrawn;   selected → agreed | withdrawn
 *   agreed → departed → attended → reported → recognised
 *   applied | selected | reserve-list | agreed → cancelled
 */
/** The deadlines that stay live once attendance is certified (the pre-departure ones and the certificate are behind). */
const AFTER_ATTENDANCE = [
  'prefinancing-payment', 'la-change-request', 'la-change-decision', 'extension-request', 'participant-report', 'transcript-of-records',
  'recognition', 'balance-payment',
] as const satisfies readonly DeadlineId[];

export const LIFECYCLE = {
  none: {
    order: 0,
    allows: ['SubmitApplication'],
    deadlines: [],
  },
  applied: {
    order: 10,
    allows: ['SelectParticipant', 'RejectApplication', 'WithdrawApplication', 'CancelMobility', 'RecordGrantConditions', 'RecordDeadlineSchedule', 'TakeOverMobility', 'AttachDocument'],
    deadlines: [],
  },
  'reserve-list': {
    order: 20,
    allows: ['PromoteFromReserveList', 'RejectApplication', 'WithdrawApplication', 'CancelMobility', 'RecordGrantConditions', 'RecordDeadlineSchedule', 'AttachDocument'],
    deadlines: [],
  },
  selected: {
    order: 30,
    allows: ['SignAgreement', 'WithdrawApplication', 'CancelMobility', 'RecordOlsAssessment.before', 'RecordGrantConditions', 'RecordDeadlineSchedule', 'AttachDocument'],
    deadlines: ['agreement-signature', 'ols-assessment', 'insurance-travel'],
  },
  agreed: {
    order: 40,
    allows: [
      'ConfirmDeparture', 'ChangeLearningAgreement', 'DeclareForceMajeure', 'RecordOlsAssessment.before', 'CancelMobility',
      'RecordPaymentOrdered.prefinancing', 'RecordDeadlineMissed', 'RecordGrantConditions', 'RecordDeadlineSchedule', 'AttachDocument',
    ],
    deadlines: ['prefinancing-payment', 'ols-assessment', 'insurance-travel'],
  },
  departed: {
    order: 50,
    allows: [
      'RecordCertificateOfAttendance', 'RecordInterruption', 'DeclareForceMajeure', 'RequestExtension', 'ApproveExtension',
      'RefuseExtension', 'ChangeLearningAgreement', 'RecordOlsAssessment.before', 'RecordPaymentOrdered.prefinancing', 'RecordDeadlineMissed', 'RecordGrantConditions', 'RecordDeadlineSchedule', 'AttachDocument',
    ],
    deadlines: ['prefinancing-payment', 'la-change-request', 'la-change-decision', 'extension-request', 'certificate-of-attendance'],
  },
  attended: {
    order: 60,
    allows: [
      'InviteParticipantReport', 'RemindParticipantReport', 'RecordParticipantReportSubmitted', 'RecordTranscriptOfRecords',
      'DeclareForceMajeure', 'RecordOlsAssessment.after', 'RecordPaymentOrdered.balance', 'RecordPaymentOrdered.recovery', 'RecordDeadlineMissed', 'RecordDeadlineSchedule', 'AttachDocument',
    ],
    deadlines: AFTER_ATTENDANCE,
  },
  reported: {
    order: 70,
    allows: [
      'RecordTranscriptOfRecords', 'RecordRecognition', 'RecordOlsAssessment.after', 'RecordPaymentOrdered.balance',
      'RecordPaymentOrdered.recovery', 'RecordDeadlineMissed', 'RecordDeadlineSchedule', 'AttachDocument',
    ],
    deadlines: AFTER_ATTENDANCE,
  },
  recognised: {
    order: 80,
    allows: ['RecordOlsAssessment.after', 'RecordPaymentOrdered.balance', 'RecordPaymentOrdered.recovery', 'RecordDeadlineMissed', 'RecordDeadlineSchedule', 'AttachDocument'],
    deadlines: AFTER_ATTENDANCE,
  },
  rejected: { order: 100, allows: ['RecordDeadlineSchedule'], deadlines: [] },
  withdrawn: { order: 101, allows: ['RecordDeadlineSchedule'], deadlines: [] },
  cancelled: { order: 102, allows: ['RecordPaymentOrdered.recovery', 'RecordDeadlineSchedule'], deadlines: [] },
} as const satisfies Record<string, { order: number; allows: readonly string[]; deadlines: readonly DeadlineId[] }>;

export type Stage = keyof typeof LIFECYCLE;
/** Every entry of the table: a command type, or `Command.variant`. */
export type Allowed = (typeof LIFECYCLE)[Stage]['allows'][number];

/** Every stage, in lifecycle order ('none' first, the closed-early stages last). */
export const STAGES = (Object.keys(LIFECYCLE) as Stage[]).sort((a, b) => LIFECYCLE[a].order - LIFECYCLE[b].order);
/** The stages a mobility can be in once it exists. */
export const OPEN_STAGES = STAGES.filter((s): s is Exclude<Stage, 'none'> => s !== 'none');
export const StageName = z.enum(OPEN_STAGES as [Exclude<Stage, 'none'>, ...Exclude<Stage, 'none'>[]]);
export type StageName = z.infer<typeof StageName>;

/** Closed without a mobility: nothing follows (but a recovery of money already paid on a cancellation). */
export const TERMINAL_STAGES = ['rejected', 'withdrawn', 'cancelled'] as const satisfies readonly Stage[];
/** Attendance is certified: a final grant exists. */
export const CERTIFIED_STAGES = ['attended', 'reported', 'recognised'] as const satisfies readonly Stage[];
/** The participant has left (the mobility can no longer be cancelled). */
export const DEPARTED_STAGES = ['departed', ...CERTIFIED_STAGES] as const satisfies readonly Stage[];
/** Under agreement: the agreement is signed. */
export const AGREED_STAGES = ['agreed', ...DEPARTED_STAGES] as const satisfies readonly Stage[];
/** Selected: an estimated grant exists. */
export const SELECTED_STAGES = ['selected', ...AGREED_STAGES] as const satisfies readonly Stage[];

/** The stages (as a type) in which an entry of the table is allowed. */
export type StagesAllowing<A extends Allowed> = { [S in Stage]: A extends (typeof LIFECYCLE)[S]['allows'][number] ? S : never }[Stage];

/** The stages in which an entry of the table is allowed, in lifecycle order (never empty: each entry is allowed somewhere). */
export const stagesAllowing = <A extends Allowed>(entry: A): [StagesAllowing<A>, ...StagesAllowing<A>[]] =>
  STAGES.filter((s) => (LIFECYCLE[s].allows as readonly string[]).includes(entry)) as [StagesAllowing<A>, ...StagesAllowing<A>[]];

/** Whether the command (or `Command.variant`) is allowed in the stage, by the table alone. */
export const allows = (stage: Stage, entry: Allowed): boolean => (LIFECYCLE[stage].allows as readonly string[]).includes(entry);

/**
 * Which stage each stage-changing event leads to. Events not listed keep the stage.
 * evolve checks an event against the stages its commands are allowed in (`stagesBefore`).
 */
export const ENTERS = {
  ApplicationSubmitted: 'applied',
  ParticipantSelected: 'selected',
  PlacedOnReserveList: 'reserve-list',
  ApplicationRejected: 'rejected',
  ApplicationWithdrawn: 'withdrawn',
  AgreementSigned: 'agreed',
  DepartureConfirmed: 'departed',
  AttendanceCertified: 'attended',
  ParticipantReportSubmitted: 'reported',
  RecognitionRecorded: 'recognised',
  MobilityCancelled: 'cancelled',
} as const satisfies Record<string, Stage>;
export type StageChangingEvent = keyof typeof ENTERS;

/** The command that emits each event (the table is per command: an event may follow any stage its commands allow). */
export const EMITTED_BY = {
  ApplicationSubmitted: ['SubmitApplication'],
  ParticipantSelected: ['SelectParticipant', 'PromoteFromReserveList'],
  ApplicationRejected: ['RejectApplication'],
  PlacedOnReserveList: ['RejectApplication'],
  ApplicationWithdrawn: ['WithdrawApplication'],
  AgreementSigned: ['SignAgreement'],
  DepartureConfirmed: ['ConfirmDeparture'],
  AttendanceCertified: ['RecordCertificateOfAttendance'],
  MobilityInterrupted: ['RecordInterruption'],
  ForceMajeureDeclared: ['DeclareForceMajeure'],
  ExtensionRequested: ['RequestExtension'],
  ExtensionApproved: ['ApproveExtension'],
  GrantRecalculated: ['ApproveExtension'],
  ExtensionRefused: ['RefuseExtension'],
  LearningAgreementChanged: ['ChangeLearningAgreement'],
  ParticipantReportInvited: ['InviteParticipantReport'],
  ParticipantReportReminded: ['RemindParticipantReport'],
  ParticipantReportSubmitted: ['RecordParticipantReportSubmitted'],
  OlsAssessmentRecorded: ['RecordOlsAssessment.before', 'RecordOlsAssessment.after'],
  TranscriptReceived: ['RecordTranscriptOfRecords'],
  RecognitionRecorded: ['RecordRecognition'],
  PaymentOrdered: ['RecordPaymentOrdered.prefinancing', 'RecordPaymentOrdered.balance'],
  RecoveryOrdered: ['RecordPaymentOrdered.recovery'],
  DeadlineMissed: ['RecordDeadlineMissed'],
  DeadlinesScheduled: ['RecordDeadlineSchedule'],
  GrantConditionsRecorded: ['RecordGrantConditions'],
  MobilityCancelled: ['CancelMobility'],
  DocumentAttached: ['AttachDocument'],
  /** Enters the stage it names (selected, agreed, departed or attended): see TAKE_OVER_STAGES. */
  TakeOverRecorded: ['TakeOverMobility'],
} as const satisfies Record<string, readonly Allowed[]>;

/** The stages a mobility under way can be taken over at (TakeOverRecorded enters the one its payload names). */
export const TAKE_OVER_STAGES = ['selected', 'agreed', 'departed', 'attended'] as const satisfies readonly Stage[];

export type EmittedEvent = keyof typeof EMITTED_BY;
/** The stages (as a type) an event may follow. */
export type StagesBefore<E extends EmittedEvent> = StagesAllowing<(typeof EMITTED_BY)[E][number]>;

/** The stages an event may follow: those in which one of the commands that emit it is allowed. */
export const stagesBefore = <E extends EmittedEvent>(event: E): StagesBefore<E>[] => {
  const entries = EMITTED_BY[event] as readonly Allowed[];
  return STAGES.filter((s) => entries.some((a) => allows(s, a))) as StagesBefore<E>[];
};

/** The stage after an event (the same stage for events that do not change it). */
export const stageAfter = (event: string, current: Stage, payload?: unknown): Stage =>
  Object.hasOwn(ENTERS, event) ? ENTERS[event as StageChangingEvent]
    : event === 'TakeOverRecorded' && (TAKE_OVER_STAGES as readonly string[]).includes((payload as { stage?: string } | undefined)?.stage ?? '') ? (payload as { stage: Stage }).stage
      : current;
