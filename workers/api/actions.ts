import { z } from 'zod';
import type { Action } from '../../domain/tenancy';
import { Payloads, type UpdateName } from '../../workflows/messages';

/**
 * The staff actions of the API: one per Update of the mobility workflow. The body is the Update's
 * payload without `actor` (the signed-in staff member is the actor). Each is guarded by one
 * tenancy action (domain/tenancy/actions.ts): who may do it, and which consortium function owns it.
 */
export const ACTION_PERMISSION: Record<UpdateName, Action> = {
  select: 'mobility.select',
  reject: 'mobility.select',
  promote: 'mobility.select',
  cancel: 'mobility.select',
  withdraw: 'mobility.apply',
  signAgreement: 'mobility.sign-agreement',
  requestExtension: 'mobility.sign-agreement',
  approveExtension: 'mobility.sign-agreement',
  refuseExtension: 'mobility.sign-agreement',
  changeLearningAgreement: 'mobility.sign-agreement',
  confirmDeparture: 'mobility.certify-attendance',
  recordCertificateOfAttendance: 'mobility.certify-attendance',
  recordInterruption: 'mobility.certify-attendance',
  declareForceMajeure: 'mobility.certify-attendance',
  recordReportSubmitted: 'mobility.record-report',
  recordOlsAssessment: 'mobility.record-report',
  recordTranscriptOfRecords: 'mobility.record-recognition',
  recordRecognition: 'mobility.record-recognition',
};

export const ACTION_NAMES = Object.keys(ACTION_PERMISSION) as UpdateName[];

const omitActor = <U extends UpdateName>(name: U) => (Payloads[name] as z.ZodObject).omit({ actor: true } as never);
export const ACTION_BODIES = Object.fromEntries(ACTION_NAMES.map((n) => [n, omitActor(n)])) as Record<UpdateName, z.ZodObject>;

/** Actions that make sense in each stage: a hint for the console's buttons (the domain decides). */
export const STAGE_ACTIONS: Record<string, UpdateName[]> = {
  applied: ['select', 'reject', 'withdraw', 'cancel', 'recordOlsAssessment'],
  'reserve-list': ['promote', 'reject', 'withdraw', 'cancel'],
  selected: ['signAgreement', 'withdraw', 'cancel', 'recordOlsAssessment'],
  agreed: ['confirmDeparture', 'changeLearningAgreement', 'requestExtension', 'declareForceMajeure', 'recordOlsAssessment', 'cancel'],
  departed: ['recordCertificateOfAttendance', 'recordInterruption', 'declareForceMajeure', 'requestExtension', 'approveExtension', 'refuseExtension', 'changeLearningAgreement', 'recordOlsAssessment'],
  attended: ['recordReportSubmitted', 'recordOlsAssessment', 'recordTranscriptOfRecords'],
  reported: ['recordTranscriptOfRecords', 'recordRecognition', 'recordOlsAssessment'],
  recognised: [],
  rejected: [],
  withdrawn: [],
  cancelled: [],
};
