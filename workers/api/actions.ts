import { z } from 'zod';
import type { Action } from '../../domain/tenancy';
import { actionsIn } from '../../domain/mobility/actions';
import { LIFECYCLE, type Stage } from '../../domain/mobility/lifecycle';
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
  recordGrantConditions: 'mobility.select',
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
  /** Its own route (workers/api/documents.ts: the bytes are stored first), guarded per document kind. */
  attachDocument: 'mobility.certify-attendance',
};

/** Actions with a route of their own rather than a JSON body (a document is uploaded with its bytes). */
export const OWN_ROUTE_ACTIONS: readonly UpdateName[] = ['attachDocument'];
export const ACTION_NAMES = (Object.keys(ACTION_PERMISSION) as UpdateName[]).filter((n) => !OWN_ROUTE_ACTIONS.includes(n));

/** The body of each action: its domain input without `actor` (the signed-in staff member is the actor). */
export const ACTION_BODIES = Object.fromEntries(ACTION_NAMES.map((n) => [n, (Payloads[n] as z.ZodObject).omit({ actor: true })])) as Record<UpdateName, z.ZodObject>;

/** The actions a stage allows: the lifecycle table's (domain/mobility/lifecycle.ts), never a copy of it. */
export const stageActions = (stage: string): UpdateName[] => (Object.hasOwn(LIFECYCLE, stage) ? actionsIn(stage as Stage).filter((n) => !OWN_ROUTE_ACTIONS.includes(n)) : []);
