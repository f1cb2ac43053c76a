import { z } from 'zod';
import { OLDER_PROJECT_EVENTS, PROJECT_EVENT_TYPES, ProjectEvent, ProjectEventEnvelope } from '../../domain/budget/events';
import { EventEnvelope } from '../../domain/envelope';
import { EVENT_TYPES, type EventType } from '../../domain/mobility/events';

/**
 * Every event type and version the projectors understand, per topic, with the zod schema of its
 * payload. The AsyncAPI document (asyncapi.yaml) is generated from and checked against this.
 */
export interface EventSchema {
  type: string;
  version: number;
  payload: z.ZodType;
  /** One line for the README's table of event types. */
  meaning: string;
}

const mobilityMeanings: Record<EventType, string> = {
  ApplicationSubmitted: 'A participant (pseudonymous ref) applied for a mobility: activity, funder line, planned dates and facts (green travel, fewer opportunities as a flag).',
  ParticipantSelected: 'The applicant was selected; carries the estimated Erasmus+ grant with its rule lines (the amount reserved on the mobility\'s own line) and (v2) the co-funded shares of every line ([] when not co-funded).',
  ApplicationRejected: 'The application was not selected (reason code).',
  PlacedOnReserveList: 'The applicant was placed on the reserve list (rank).',
  ApplicationWithdrawn: 'The applicant withdrew before departure (reason code).',
  AgreementSigned: 'The grant agreement was signed by both sides: contracted total, pre-financing percentage, amount and due date.',
  DepartureConfirmed: 'The participant started the mobility (actual start date).',
  AttendanceCertified: 'The host certified the actual dates (certificate of attendance); carries the final grant with its rule lines, force majeure and interrupted days, and (v2) the final co-funded shares.',
  MobilityInterrupted: 'The mobility was interrupted between two dates (reason code, never an explanation).',
  ForceMajeureDeclared: 'Force majeure was declared (reason code only; the explanation is special-category data and stays out of events).',
  ExtensionRequested: 'An extension of the end date was requested.',
  ExtensionApproved: 'An extension was approved (new end date).',
  ExtensionRefused: 'An extension was refused (reason code).',
  GrantRecalculated: 'The estimated grant was recalculated (e.g. after an extension), with its new rule lines and (v2) the new co-funded shares.',
  LearningAgreementChanged: 'The learning agreement changed (EWP reason code, new version).',
  ParticipantReportInvited: 'The participant was invited to submit the report (EU Survey), with the due date.',
  ParticipantReportReminded: 'A reminder to submit the participant report was sent.',
  ParticipantReportSubmitted: 'The participant report was submitted (days late).',
  OlsAssessmentRecorded: 'An OLS language assessment was done (before/after, language, CEFR level).',
  TranscriptReceived: 'The transcript of records arrived from the host (ECTS, days late).',
  RecognitionRecorded: 'The sending institution recorded recognition (full or partial, ECTS, Europass, open badge, days late).',
  GrantConditionsRecorded: 'Staff recorded the per-participant grant switches (travel support, real-cost inclusion support, exceptional travel cost, zero grant); the grant is computed from them.',
  DeadlinesScheduled: "The mobility's open due dates changed (deadline id, obligation or window, due date under the project's policy): what lists and worklists show as the next deadline.",
  PaymentOrdered: 'A payment to the participant was ordered (pre-financing or balance), with the running paid total.',
  RecoveryOrdered: 'A recovery order was issued (the participant repays an amount).',
  DeadlineMissed: 'A watched deadline passed unmet (pre-financing, participant report, transcript, recognition, balance).',
  MobilityCancelled: 'The mobility was cancelled (reason code); its reservation is released.',
  DocumentAttached: 'A proof was kept for the mobility (signed grant agreement, learning agreement, certificate of attendance, transcript, report confirmation, Europass): document id, kind, SHA-256 of its bytes, size and media type found in the bytes; who uploaded it (staff, or link:host / link:participant through a signed link). Never a file name.',
  TakeOverRecorded: 'A mobility under way was taken over (imported at its stage: selected, agreed, departed or attended): the lifecycle events it went through elsewhere, as the engine decided them from the imported facts, with the grants the engine computed and the payments already made; the importer is the actor.',
};

const domainMobility: EventSchema[] = EVENT_TYPES.map((e) => ({ type: e.type, version: e.version, payload: e.schema, meaning: mobilityMeanings[e.type] }));

const projectMeanings: Record<(typeof PROJECT_EVENT_TYPES)[number], string> = {
  ProjectRegistered: 'A project (grant agreement) was registered with its funder lines: allocated cents and allocated mobilities per line, and (v2) the rule of each line (erasmus-plus, a flat amount per month or per mobility with its cap and condition, or null); v1 is read as v2 with the default rules.',
  BudgetReserved: 'Budget was reserved on a funder line for a selected mobility (amount, and the line\'s running reserved total).',
  BudgetReservationAdjusted: 'A mobility\'s reservation changed (e.g. the contracted or final grant differs from the estimate).',
  BudgetReleased: 'A mobility\'s reservation was released (cancelled, withdrawn, not contracted).',
};

const projectSchemas: EventSchema[] = [...OLDER_PROJECT_EVENTS, ...ProjectEvent.options].map((o) => {
  const shape = o.shape;
  return { type: shape.type.value, version: shape.version.value, payload: shape.payload, meaning: projectMeanings[shape.type.value] };
});

export const MOBILITY_SCHEMAS: EventSchema[] = domainMobility;
export const PROJECT_SCHEMAS: EventSchema[] = projectSchemas;

export { EventEnvelope, ProjectEventEnvelope };

/** The envelope of the project-events topic, with the type left open (an unknown type is parked, not rejected). */
export const OpenProjectEnvelope = ProjectEventEnvelope.extend({ type: z.string().min(1) });

export const schemaFor = (list: readonly EventSchema[], type: string, version: number): EventSchema | undefined =>
  list.find((s) => s.type === type && s.version === version);

export const latestVersion = (list: readonly EventSchema[], type: string): number | undefined => {
  const versions = list.filter((s) => s.type === type).map((s) => s.version);
  return versions.length > 0 ? Math.max(...versions) : undefined;
};
