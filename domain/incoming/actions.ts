import { z } from 'zod';
import type { Action } from '../tenancy/actions';
import { CancelIncoming, ConfirmArrival, type IncomingCommandType, IssueCertificateOfAttendance, IssueTranscriptOfRecords, RecordNoShow, SignAgreementAsReceiver } from './commands';
import { kindRule } from './kinds';
import { INCOMING_LIFECYCLE, type IncomingStage } from './lifecycle';
import type { IncomingState, OpenIncoming } from './state';

/**
 * The receiving institution's staff actions on an incoming mobility: each is a command's input
 * without what the engine supplies (the mobility, the instant), guarded by one tenancy action
 * (domain/tenancy/actions.ts) of the receiving institution's staff.
 */
const input = <S extends z.ZodObject>(c: S) => (c as unknown as z.ZodObject).omit({ type: true, incomingId: true, at: true }) as z.ZodObject;

export const INCOMING_ACTIONS = {
  signAgreement: { command: 'SignAgreementAsReceiver', input: input(SignAgreementAsReceiver), permission: 'mobility.sign-agreement' },
  confirmArrival: { command: 'ConfirmArrival', input: input(ConfirmArrival), permission: 'mobility.certify-attendance' },
  issueCertificate: { command: 'IssueCertificateOfAttendance', input: input(IssueCertificateOfAttendance), permission: 'mobility.certify-attendance' },
  issueTranscript: { command: 'IssueTranscriptOfRecords', input: input(IssueTranscriptOfRecords), permission: 'mobility.record-recognition' },
  cancel: { command: 'CancelIncoming', input: input(CancelIncoming), permission: 'mobility.select' },
  recordNoShow: { command: 'RecordNoShow', input: input(RecordNoShow), permission: 'mobility.certify-attendance' },
} as const satisfies Record<string, { command: IncomingCommandType; input: z.ZodObject; permission: Action }>;

export type IncomingActionName = keyof typeof INCOMING_ACTIONS;
export const INCOMING_ACTION_NAMES = Object.keys(INCOMING_ACTIONS) as IncomingActionName[];
/** Registering a nomination: the receiving institution's coordinators (the same staff who register applications). */
export const NOMINATE_PERMISSION: Action = 'mobility.apply';

/**
 * The actions the state allows: the lifecycle table's, narrowed by the kind (no agreement to sign for an
 * invited expert; arrival waits for the agreement where there is one; a transcript for students only).
 */
export function incomingActionsIn(state: IncomingState): IncomingActionName[] {
  if (state.stage === 'none') return [];
  const s = state as OpenIncoming;
  const rule = kindRule(s.identity.kind);
  const allowed = INCOMING_LIFECYCLE[s.stage as IncomingStage].allows as readonly string[];
  return INCOMING_ACTION_NAMES.filter((n) => {
    const c = INCOMING_ACTIONS[n].command;
    if (!allowed.includes(c)) return false;
    if (c === 'SignAgreementAsReceiver') return rule.agreement !== 'none';
    if (c === 'ConfirmArrival' && s.stage === 'nominated') return rule.agreement === 'none';
    if (c === 'IssueTranscriptOfRecords') return rule.transcript;
    return true;
  });
}
