import { z } from 'zod';
import { ActivityCode } from '../activity';
import { Cents } from '../money';
import { GrantBreakdown } from '../grant/breakdown';
import { FundingShare } from '../funding';
import { CountryCode, IsoDate, MobilityId, OrgId, ParticipantRef, ProjectId } from '../ids';
import { DeadlineId, DeadlineNature } from '../calendar/deadlines';
import { GrantConditions, TakeOverStage } from './commands';
import { ByteSize, DocumentId, DocumentKind, DocumentMediaType, Sha256 } from '../documents';
import { stagesAllowing } from './lifecycle';
import { GroupId } from '../group/ids';
import {
  CancellationReason, CefrLevel, MissedDeadline, Ects, ExtensionRefusalReason, ForceMajeureReason, FunderLineId,
  InterruptionReason, LanguageCode, LearningAgreementChangeReason, OlsPhase, PaymentId, RecognitionOutcome,
  RejectionReason, SiteId, StaffRef, WithdrawalReason,
} from './codes';

/**
 * Domain events of one mobility: past-tense facts, plain JSON, no optional fields (nullable where a fact
 * may be absent), money in integer cents. Every payload names who recorded it and when (`actor`, `at`).
 * GDPR: pseudonymous participant ref only; fewer opportunities as a boolean (never the criterion);
 * force majeure and interruptions as reason codes (never an explanation).
 */
const Audit = { actor: StaffRef, at: z.iso.datetime({ offset: true }) };
const payload = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject({ ...Audit, ...shape });

/** The facts budget and quality dashboards group by; repeated on every money event so projections need no join. */
export const MobilityFacts = z.strictObject({
  activity: ActivityCode,
  funderLineId: FunderLineId,
  hostCountry: CountryCode,
  fewerOpportunities: z.boolean(),
  greenTravel: z.boolean(),
});
export type MobilityFacts = z.infer<typeof MobilityFacts>;

/** The plan as ApplicationSubmitted v1 carried it. */
export const PlanFactsV1 = z.strictObject({
  startDate: IsoDate,
  endDate: IsoDate,
  receivingCountry: CountryCode,
  sendingCountry: CountryCode,
  hostOrgId: OrgId,
  distanceKm: z.int().nonnegative().nullable(),
  greenTravel: z.boolean(),
  fewerOpportunities: z.boolean(),
  recentGraduate: z.boolean(),
  blended: z.boolean(),
  doctoral: z.boolean(),
  hybrid: z.boolean(),
  longTerm: z.boolean(),
});
/**
 * The plan (ApplicationSubmitted v2): v1's facts and what the grant needs of group and staff mobilities —
 * an accompanying person (§1.8, paid at the staff rate), a staff course's course days (§1.8, the course-fee
 * line), a hybrid mobility's virtual component (null when none). No personal data.
 */
export const PlanFacts = PlanFactsV1.extend({
  accompanyingPerson: z.boolean(),
  courseDays: z.int().positive().nullable(),
  virtualComponent: z.strictObject({ startDate: IsoDate, endDate: IsoDate }).nullable(),
});
export type PlanFacts = z.infer<typeof PlanFacts>;


export const ApplicationSubmittedV1 = payload({
  mobilityId: MobilityId,
  projectId: ProjectId,
  institutionId: OrgId,
  consortiumId: OrgId.nullable(),
  siteId: SiteId.nullable(),
  participantRef: ParticipantRef,
  activity: ActivityCode,
  funderLineId: FunderLineId,
  plan: PlanFactsV1,
  plannedDays: z.int().positive(),
  durationRuleId: z.string(),
});
/** v2: the plan's group and staff-course facts (PlanFacts) and the group activity the mobility belongs to (null: none). Upcast from v1 in upcast.ts. */
export const ApplicationSubmittedV2 = payload({
  ...ApplicationSubmittedV1.shape,
  plan: PlanFacts,
  groupId: GroupId.nullable(),
});
export const ParticipantSelectedV1 = payload({ facts: MobilityFacts, estimatedGrant: GrantBreakdown, fromReserveList: z.boolean() });
/**
 * v2 (and GrantRecalculated, AttendanceCertified v2): the shares of a co-funded mobility (domain/funding), each with its
 * line, funder, rule id, amount and basis; [] when the mobility is not co-funded. The grant itself stays the Erasmus+
 * grant alone (what budget consumption and the Beneficiary Module export read). Upcast from v1 with [] in upcast.ts.
 */
const Funding = z.array(FundingShare).max(20).describe('co-funded shares, one per line and rule ([] when not co-funded)');
export const ParticipantSelectedV2 = payload({ ...ParticipantSelectedV1.shape, funding: Funding });
export const ApplicationRejectedV1 = payload({ reasonCode: RejectionReason, fromStage: z.enum(stagesAllowing('RejectApplication')) });
export const PlacedOnReserveListV1 = payload({ reasonCode: RejectionReason, rank: z.int().positive() });
export const ApplicationWithdrawnV1 = payload({ reasonCode: WithdrawalReason, fromStage: z.enum(stagesAllowing('WithdrawApplication')) });
export const AgreementSignedV1 = payload({
  participantSignedOn: IsoDate,
  institutionSignedOn: IsoDate,
  prefinancingPercent: z.int().min(70).max(100),
  grantTotalCents: Cents,
  prefinancingCents: Cents,
  prefinancingDueOn: IsoDate,
  learningAgreementVersion: z.literal(1),
});
export const DepartureConfirmedV1 = payload({ plannedStartDate: IsoDate, actualStartDate: IsoDate, daysShifted: z.int() });
export const AttendanceCertifiedV1 = payload({
  facts: MobilityFacts,
  actualStartDate: IsoDate,
  actualEndDate: IsoDate,
  physicalDays: z.int().nonnegative(),
  interruptedDays: z.int().nonnegative(),
  minimumMet: z.boolean(),
  forceMajeure: z.boolean(),
  finalGrant: GrantBreakdown,
  estimatedTotalCents: Cents,
  deltaCents: Cents,
  paidCents: Cents,
  balanceDueCents: Cents,
});
export const AttendanceCertifiedV2 = payload({ ...AttendanceCertifiedV1.shape, funding: Funding });
export const MobilityInterruptedV1 = payload({ from: IsoDate, to: IsoDate, days: z.int().positive(), reasonCode: InterruptionReason });
export const ForceMajeureDeclaredV1 = payload({ reasonCode: ForceMajeureReason, stage: z.enum(stagesAllowing('DeclareForceMajeure')) });
export const ExtensionRequestedV1 = payload({ currentEndDate: IsoDate, newEndDate: IsoDate, noticeDays: z.int() });
export const ExtensionApprovedV1 = payload({ previousEndDate: IsoDate, newEndDate: IsoDate, durationDays: z.int().positive() });
export const ExtensionRefusedV1 = payload({ requestedEndDate: IsoDate, reasonCode: ExtensionRefusalReason });
export const GrantRecalculatedV1 = payload({
  facts: MobilityFacts,
  cause: z.enum(['extension']),
  previousTotalCents: Cents,
  estimatedGrant: GrantBreakdown,
  deltaCents: Cents,
});
export const GrantRecalculatedV2 = payload({ ...GrantRecalculatedV1.shape, funding: Funding });
export const LearningAgreementChangedV1 = payload({ reasonCode: LearningAgreementChangeReason, version: z.int().min(2) });
export const ParticipantReportInvitedV1 = payload({ invitedOn: IsoDate, dueOn: IsoDate });
export const ParticipantReportRemindedV1 = payload({ reminderNumber: z.int().positive() });
export const ParticipantReportSubmittedV1 = payload({ submittedOn: IsoDate, dueOn: IsoDate, daysLate: z.int().nonnegative() });
export const OlsAssessmentRecordedV1 = payload({ phase: OlsPhase, language: LanguageCode, level: CefrLevel });
export const TranscriptReceivedV1 = payload({ receivedOn: IsoDate, ects: Ects, dueOn: IsoDate, daysLate: z.int().nonnegative() });
export const RecognitionRecordedV1 = payload({
  outcome: RecognitionOutcome,
  recognisedEcts: Ects.nullable(),
  transcriptEcts: Ects.nullable(),
  europass: z.boolean(),
  openBadge: z.boolean(),
  dueOn: IsoDate.nullable(),
  daysLate: z.int().nonnegative(),
});
/** v2: the learning outcomes recorded with the recognition (what was learnt, one entry each; [] when none were given). */
export const RecognitionRecordedV2 = payload({
  ...RecognitionRecordedV1.shape,
  learningOutcomes: z.array(z.string().min(1).max(200)).max(12),
});
export const PaymentOrderedV1 = payload({
  facts: MobilityFacts,
  kind: z.enum(['prefinancing', 'balance']),
  paymentId: PaymentId,
  amountCents: z.int().positive(),
  paidTotalCents: Cents,
  dueOn: IsoDate.nullable(),
  daysLate: z.int().nonnegative(),
});
export const RecoveryOrderedV1 = payload({
  facts: MobilityFacts,
  paymentId: PaymentId,
  amountCents: z.int().positive(),
  grantDueCents: Cents,
  paidTotalCents: Cents,
});
export const DeadlineMissedV1 = payload({ deadline: MissedDeadline, dueOn: IsoDate, daysLate: z.int().positive() });
/** The per-participant grant switches as staff recorded them (the estimate follows if not yet selected; the final grant always). */
export const GrantConditionsRecordedV1 = payload({ ...GrantConditions.shape });
/** The deadlines live in the mobility's stage and not yet fulfilled, with their due dates (the calendar's, under the project's policy). */
export const ScheduledDeadline = z.strictObject({ deadline: DeadlineId, kind: DeadlineNature, dueOn: IsoDate });
export type ScheduledDeadline = z.infer<typeof ScheduledDeadline>;
export const DeadlinesScheduledV1 = payload({ deadlines: z.array(ScheduledDeadline) });
export const MobilityCancelledV1 = payload({
  facts: MobilityFacts,
  reasonCode: CancellationReason,
  fromStage: z.enum(stagesAllowing('CancelMobility')),
  releasedCents: Cents,
  toRecoverCents: Cents,
});
/** A proof kept for the mobility: its content by SHA-256 (the bytes are in the document store), never a file name. actor = who uploaded it. */
export const DocumentAttachedV1 = payload({ documentId: DocumentId, kind: DocumentKind, sha256: Sha256, byteSize: ByteSize, mediaType: DocumentMediaType });

const event = <T extends string, V extends number, P extends z.ZodType>(type: T, version: V, schema: P) =>
  z.strictObject({ type: z.literal(type), version: z.literal(version), payload: schema });

/** Current version of every event. */
export const ApplicationSubmitted = event('ApplicationSubmitted', 2, ApplicationSubmittedV2);
export const ParticipantSelected = event('ParticipantSelected', 2, ParticipantSelectedV2);
export const ApplicationRejected = event('ApplicationRejected', 1, ApplicationRejectedV1);
export const PlacedOnReserveList = event('PlacedOnReserveList', 1, PlacedOnReserveListV1);
export const ApplicationWithdrawn = event('ApplicationWithdrawn', 1, ApplicationWithdrawnV1);
export const AgreementSigned = event('AgreementSigned', 1, AgreementSignedV1);
export const DepartureConfirmed = event('DepartureConfirmed', 1, DepartureConfirmedV1);
export const AttendanceCertified = event('AttendanceCertified', 2, AttendanceCertifiedV2);
export const MobilityInterrupted = event('MobilityInterrupted', 1, MobilityInterruptedV1);
export const ForceMajeureDeclared = event('ForceMajeureDeclared', 1, ForceMajeureDeclaredV1);
export const ExtensionRequested = event('ExtensionRequested', 1, ExtensionRequestedV1);
export const ExtensionApproved = event('ExtensionApproved', 1, ExtensionApprovedV1);
export const ExtensionRefused = event('ExtensionRefused', 1, ExtensionRefusedV1);
export const GrantRecalculated = event('GrantRecalculated', 2, GrantRecalculatedV2);
export const LearningAgreementChanged = event('LearningAgreementChanged', 1, LearningAgreementChangedV1);
export const ParticipantReportInvited = event('ParticipantReportInvited', 1, ParticipantReportInvitedV1);
export const ParticipantReportReminded = event('ParticipantReportReminded', 1, ParticipantReportRemindedV1);
export const ParticipantReportSubmitted = event('ParticipantReportSubmitted', 1, ParticipantReportSubmittedV1);
export const OlsAssessmentRecorded = event('OlsAssessmentRecorded', 1, OlsAssessmentRecordedV1);
export const TranscriptReceived = event('TranscriptReceived', 1, TranscriptReceivedV1);
export const RecognitionRecorded = event('RecognitionRecorded', 2, RecognitionRecordedV2);
export const PaymentOrdered = event('PaymentOrdered', 1, PaymentOrderedV1);
export const RecoveryOrdered = event('RecoveryOrdered', 1, RecoveryOrderedV1);
export const DeadlineMissed = event('DeadlineMissed', 1, DeadlineMissedV1);
export const DeadlinesScheduled = event('DeadlinesScheduled', 1, DeadlinesScheduledV1);
export const GrantConditionsRecorded = event('GrantConditionsRecorded', 1, GrantConditionsRecordedV1);
export const MobilityCancelled = event('MobilityCancelled', 1, MobilityCancelledV1);
export const DocumentAttached = event('DocumentAttached', 1, DocumentAttachedV1);
/**
 * A mobility taken over under way (imported at its stage): the lifecycle events it went through elsewhere,
 * as the engine decided them from the imported facts (each with the fact's date and the importer as actor),
 * with the grants the engine computed. Projections fold the steps as they fold those events.
 */
export const TakeOverStep = z.discriminatedUnion('type', [ParticipantSelected, AgreementSigned, DepartureConfirmed, AttendanceCertified, PaymentOrdered]);
export type TakeOverStep = z.infer<typeof TakeOverStep>;
/** The steps as TakeOverRecorded v1 carried them (ParticipantSelected and AttendanceCertified v1, without shares). */
const TakeOverStepV1 = z.discriminatedUnion('type', [event('ParticipantSelected', 1, ParticipantSelectedV1), AgreementSigned, DepartureConfirmed, event('AttendanceCertified', 1, AttendanceCertifiedV1), PaymentOrdered]);
export const TakeOverRecordedV1 = payload({ source: z.string(), stage: TakeOverStage, steps: z.array(TakeOverStepV1).min(1) });
/** v2: the steps at their current versions (ParticipantSelected, AttendanceCertified v2 with the co-funded shares). */
export const TakeOverRecordedV2 = payload({ source: z.string(), stage: TakeOverStage, steps: z.array(TakeOverStep).min(1) });
export const TakeOverRecorded = event('TakeOverRecorded', 2, TakeOverRecordedV2);

const CURRENT = [
  ApplicationSubmitted, ParticipantSelected, ApplicationRejected, PlacedOnReserveList, ApplicationWithdrawn,
  AgreementSigned, DepartureConfirmed, AttendanceCertified, MobilityInterrupted, ForceMajeureDeclared,
  ExtensionRequested, ExtensionApproved, ExtensionRefused, GrantRecalculated, LearningAgreementChanged,
  ParticipantReportInvited, ParticipantReportReminded, ParticipantReportSubmitted, OlsAssessmentRecorded,
  TranscriptReceived, RecognitionRecorded, PaymentOrdered, RecoveryOrdered, DeadlineMissed, DeadlinesScheduled, MobilityCancelled, GrantConditionsRecorded,
  DocumentAttached,
  TakeOverRecorded,
] as const;

export const MobilityEvent = z.discriminatedUnion('type', CURRENT);
export type MobilityEvent = z.infer<typeof MobilityEvent>;
export type EventType = MobilityEvent['type'];
export type EventOf<T extends EventType> = Extract<MobilityEvent, { type: T }>;
export type PayloadOf<T extends EventType> = EventOf<T>['payload'];

export interface EventTypeEntry {
  readonly type: EventType;
  readonly version: number;
  readonly schema: z.ZodType;
}

/**
 * Registry of every (type, version) the engine knows, with its payload schema: the source an AsyncAPI
 * document is generated from and checked against. When a v2 appears, its v1 entry stays here (with an
 * upcaster in upcast.ts) so old messages are still readable.
 */
const CURRENT_TYPES: readonly EventTypeEntry[] = CURRENT.map((s) => ({
  type: s.shape.type.value,
  version: s.shape.version.value,
  schema: s.shape.payload,
}));
/** Older versions still readable (upcast on read: upcast.ts). */
const OLDER_TYPES: readonly EventTypeEntry[] = [
  { type: 'ApplicationSubmitted', version: 1, schema: ApplicationSubmittedV1 },
  { type: 'RecognitionRecorded', version: 1, schema: RecognitionRecordedV1 },
  { type: 'ParticipantSelected', version: 1, schema: ParticipantSelectedV1 },
  { type: 'GrantRecalculated', version: 1, schema: GrantRecalculatedV1 },
  { type: 'AttendanceCertified', version: 1, schema: AttendanceCertifiedV1 },
  { type: 'TakeOverRecorded', version: 1, schema: TakeOverRecordedV1 },
];
export const EVENT_TYPES: readonly EventTypeEntry[] = [...OLDER_TYPES, ...CURRENT_TYPES];

export const CURRENT_VERSION = Object.fromEntries(CURRENT_TYPES.map((e) => [e.type, e.version])) as Record<EventType, number>;

/** Build an event with its current version (typed per type). */
export const mobilityEvent = <T extends EventType>(type: T, payload: PayloadOf<T>): EventOf<T> =>
  ({ type, version: CURRENT_VERSION[type], payload }) as EventOf<T>;
