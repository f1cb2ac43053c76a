import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { Deadline } from '../domain/calendar/deadlines';
import type { GrantBreakdown } from '../domain/grant/breakdown';
import { ACTION_INPUTS, type ActionName } from '../domain/mobility/actions';
import type { CommandType } from '../domain/mobility/commands';
import { ProjectRates } from '../domain/mobility/grant';
import { ExternalFacts, StartMobility } from '../domain/mobility/workflow-input';
import type { FundingShare } from '../domain/funding';
import type { PlannedAlarm } from '../domain/mobility/schedule';
import type { MobilityState, Payments } from '../domain/mobility/state';

export { ProjectRates, type PlannedAlarm };

export { budgetQuery, reserveBudgetUpdate, adjustReservationUpdate, releaseReservationUpdate, budgetWorkflowId } from './budget-messages';

/** What starts a mobility workflow, built in the domain so every workflow of a sandbox shares it. */
export { StartMobility, type StartMobilityInput } from '../domain/mobility/workflow-input';

/** Payloads of the staff Updates: the domain's action inputs (what the person decides; the workflow adds the mobility, the instant and every grant). */
export const Payloads = ACTION_INPUTS;
export type UpdateName = ActionName;
export type PayloadOf<U extends UpdateName> = z.input<(typeof Payloads)[U]>;

/** What every staff Update returns: the stage after it and the events it appended. */
export interface UpdateResult {
  stage: string;
  events: string[];
}

const upd = <U extends UpdateName>(name: U) => defineUpdate<UpdateResult, [PayloadOf<U>]>(name);
export const updates = {
  select: upd('select'),
  reject: upd('reject'),
  promote: upd('promote'),
  withdraw: upd('withdraw'),
  signAgreement: upd('signAgreement'),
  confirmDeparture: upd('confirmDeparture'),
  recordCertificateOfAttendance: upd('recordCertificateOfAttendance'),
  recordInterruption: upd('recordInterruption'),
  declareForceMajeure: upd('declareForceMajeure'),
  requestExtension: upd('requestExtension'),
  approveExtension: upd('approveExtension'),
  refuseExtension: upd('refuseExtension'),
  changeLearningAgreement: upd('changeLearningAgreement'),
  recordReportSubmitted: upd('recordReportSubmitted'),
  recordOlsAssessment: upd('recordOlsAssessment'),
  recordTranscriptOfRecords: upd('recordTranscriptOfRecords'),
  recordRecognition: upd('recordRecognition'),
  cancel: upd('cancel'),
  recordGrantConditions: upd('recordGrantConditions'),
  attachDocument: upd('attachDocument'),
} as const satisfies { [U in UpdateName]: ReturnType<typeof upd<U>> };

/** External facts (host, EU Survey, receiving institution): Signals, applied if the domain accepts them, audited if not. */
export { ExternalFacts } from '../domain/mobility/workflow-input';
export const EXTERNAL_FACTS = {
  hostCertificateOfAttendance: { command: 'RecordCertificateOfAttendance', actor: 'external:host', action: 'host.certificateOfAttendance' },
  surveySubmitted: { command: 'RecordParticipantReportSubmitted', actor: 'external:eu-survey', action: 'survey.submitted' },
  transcriptReceived: { command: 'RecordTranscriptOfRecords', actor: 'external:host', action: 'host.transcriptReceived' },
} as const satisfies Record<keyof typeof ExternalFacts, { command: CommandType; actor: string; action: string }>;
export const hostCertificateOfAttendanceSignal = defineSignal<[z.input<typeof ExternalFacts.hostCertificateOfAttendance>]>('hostCertificateOfAttendance');
export const surveySubmittedSignal = defineSignal<[z.input<typeof ExternalFacts.surveySubmitted>]>('surveySubmitted');
export const transcriptReceivedSignal = defineSignal<[z.input<typeof ExternalFacts.transcriptReceived>]>('transcriptReceived');

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  outcome: 'applied' | 'refused' | 'sent' | 'skipped';
  detail: string;
  events: string[];
}

export interface MobilityView {
  mobilityId: string;
  stage: string;
  eventsPublished: number;
  eventsRecorded: number;
  closed: boolean;
}

export interface GrantView {
  estimated: GrantBreakdown | null;
  final: GrantBreakdown | null;
  payments: Payments | null;
  budget: { lineId: string; heldCents: number; note: string | null };
  /**
   * A co-funded mobility's shares (domain/funding), each with its line, funder, rule and basis: of the current estimate
   * and of the final grant ([] when not co-funded, or not yet certified), and what the budget guard holds on each line.
   */
  funding: { estimated: FundingShare[]; final: FundingShare[]; held: { lineId: string; heldCents: number }[] };
}

export interface DeadlinesView {
  deadlines: Deadline[];
  alarms: PlannedAlarm[];
  remindersSent: Record<string, { count: number; lastAt: string }>;
}

export const viewQuery = defineQuery<MobilityView>('view');
export const stateQuery = defineQuery<MobilityState>('state');
export const deadlinesQuery = defineQuery<DeadlinesView>('deadlines');
export const grantQuery = defineQuery<GrantView>('grant');
export const auditQuery = defineQuery<AuditEntry[]>('audit');

/** Everything the queries above answer, in one answer: a reader makes one round trip (and a closed workflow one replay). */
export interface MobilitySnapshot {
  view: MobilityView;
  state: MobilityState;
  deadlines: DeadlinesView;
  grant: GrantView;
  audit: AuditEntry[];
}
export const snapshotQuery = defineQuery<MobilitySnapshot>('snapshot');
