import type { z } from 'zod';
import {
  ApproveExtension, AttachDocument, CancelMobility, ChangeLearningAgreement, type CommandType, ConfirmDeparture, DeclareForceMajeure,
  PromoteFromReserveList, RecordCertificateOfAttendance, RecordInterruption, RecordOlsAssessment, RecordParticipantReportSubmitted,
  RecordGrantConditions, RecordRecognition, RecordTranscriptOfRecords, RefuseExtension, RejectApplication, RequestExtension, SelectParticipant, SignAgreement,
  WithdrawApplication,
} from './commands';
import { type Allowed, LIFECYCLE, type Stage } from './lifecycle';

/**
 * The staff actions on a mobility: each is one domain command, with what the person decides as its
 * input. The input is the command's schema minus what the engine supplies itself: the command type,
 * the mobility, the instant, and every euro (grants are computed by the engine, never sent).
 * The workflow's Update payloads, the API's bodies and the console's forms are these schemas.
 */
const ENGINE = { type: true, mobilityId: true, at: true } as const;

export const ACTION_INPUTS = {
  select: SelectParticipant.omit({ ...ENGINE, estimatedGrant: true, funding: true }),
  reject: RejectApplication.omit(ENGINE),
  promote: PromoteFromReserveList.omit({ ...ENGINE, estimatedGrant: true, funding: true }),
  withdraw: WithdrawApplication.omit(ENGINE),
  /** The pre-financing rate defaults to the project's policy. */
  signAgreement: SignAgreement.omit(ENGINE).partial({ prefinancingPercent: true }),
  confirmDeparture: ConfirmDeparture.omit(ENGINE),
  recordCertificateOfAttendance: RecordCertificateOfAttendance.omit({ ...ENGINE, finalGrant: true, funding: true }),
  recordInterruption: RecordInterruption.omit(ENGINE),
  declareForceMajeure: DeclareForceMajeure.omit(ENGINE),
  requestExtension: RequestExtension.omit(ENGINE),
  approveExtension: ApproveExtension.omit({ ...ENGINE, revisedGrant: true, funding: true }),
  refuseExtension: RefuseExtension.omit(ENGINE),
  changeLearningAgreement: ChangeLearningAgreement.omit(ENGINE),
  recordReportSubmitted: RecordParticipantReportSubmitted.omit(ENGINE),
  recordOlsAssessment: RecordOlsAssessment.omit(ENGINE),
  recordTranscriptOfRecords: RecordTranscriptOfRecords.omit(ENGINE),
  recordRecognition: RecordRecognition.omit(ENGINE),
  cancel: CancelMobility.omit(ENGINE),
  recordGrantConditions: RecordGrantConditions.omit(ENGINE),
  /** A proof whose bytes are already in the document store (the API's upload route stores them first). */
  attachDocument: AttachDocument.omit(ENGINE),
} as const;

export type ActionName = keyof typeof ACTION_INPUTS;
export type ActionInput<A extends ActionName> = z.infer<(typeof ACTION_INPUTS)[A]>;
export const ACTION_NAMES = Object.keys(ACTION_INPUTS) as ActionName[];

/** The command each action gives (a unit test checks each input is that command's schema, narrowed). */
export const ACTION_COMMAND = {
  select: 'SelectParticipant',
  reject: 'RejectApplication',
  promote: 'PromoteFromReserveList',
  withdraw: 'WithdrawApplication',
  signAgreement: 'SignAgreement',
  confirmDeparture: 'ConfirmDeparture',
  recordCertificateOfAttendance: 'RecordCertificateOfAttendance',
  recordInterruption: 'RecordInterruption',
  declareForceMajeure: 'DeclareForceMajeure',
  requestExtension: 'RequestExtension',
  approveExtension: 'ApproveExtension',
  refuseExtension: 'RefuseExtension',
  changeLearningAgreement: 'ChangeLearningAgreement',
  recordReportSubmitted: 'RecordParticipantReportSubmitted',
  recordOlsAssessment: 'RecordOlsAssessment',
  recordTranscriptOfRecords: 'RecordTranscriptOfRecords',
  recordRecognition: 'RecordRecognition',
  cancel: 'CancelMobility',
  recordGrantConditions: 'RecordGrantConditions',
  attachDocument: 'AttachDocument',
} as const satisfies Record<ActionName, CommandType>;

const entryOf = (entry: Allowed): string => entry.split('.')[0]!;

/** The actions the lifecycle table allows in a stage (in the table's order of its commands). */
export const actionsIn = (stage: Stage): ActionName[] => {
  const commands = new Set((LIFECYCLE[stage].allows as readonly Allowed[]).map(entryOf));
  return ACTION_NAMES.filter((a) => commands.has(ACTION_COMMAND[a]));
};
