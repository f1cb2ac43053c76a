import { z } from 'zod';
import { ActivityCode } from '../activity';
import { GrantBreakdown } from '../grant/breakdown';
import { FundingShare } from '../funding';
import { CountryCode, HostOrgId, IsoDate, MobilityId, OrgId, ParticipantRef, ProjectId } from '../ids';
import { ByteSize, DocumentId, DocumentKind, DocumentMediaType, Sha256 } from '../documents';
import {
  CancellationReason, CefrLevel, MissedDeadline, Ects, ExtensionRefusalReason, FewerOpportunitiesCriterion, ForceMajeureReason,
  FunderLineId, InterruptionReason, LanguageCode, LearningAgreementChangeReason, OlsPhase, PaymentId, PaymentKind,
  RecognitionOutcome, RejectionReason, SiteId, StaffRef, WithdrawalReason,
} from './codes';
import { TAKE_OVER_STAGES } from './lifecycle';
import { GroupId } from '../group/ids';

/**
 * Staff orders on one mobility. Each carries the mobility it targets, the instant it was given (`at`:
 * time arrives in the command, never from the clock) and the staff member who gave it (`actor`).
 */
const Base = {
  mobilityId: MobilityId,
  at: z.iso.datetime({ offset: true }),
  actor: StaffRef,
};

const command = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...Base, ...shape });

/**
 * The learning outcomes recorded at recognition (Europass Mobility: skills and competences acquired), as
 * staff type them: one outcome a line or separated by ';', at most 12 of 200 characters. They describe what was learnt,
 * never the person: no e-mail address (refused), no name or health detail (the events are broadcast).
 */
export const LearningOutcomesText = z.string().max(2_600)
  .refine((t) => !/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/.test(t), 'learningOutcomes: no e-mail address (outcomes describe what was learnt, never the person)')
  .refine((t) => learningOutcomeLines(t).length <= 12, 'learningOutcomes: at most 12 outcomes (one a line or separated by ";")')
  .refine((t) => learningOutcomeLines(t).every((l) => l.length <= 200), 'learningOutcomes: each outcome at most 200 characters')
  .describe('learning outcomes, one a line or separated by ";" (at most 12 of 200 characters)');
/** The outcomes of the text: its non-blank lines (or ';'-separated parts), trimmed. */
export const learningOutcomeLines = (text: string): string[] => text.split(/\r?\n|;/).map((l) => l.trim()).filter((l) => l !== '');

export const MobilityPlan = z.strictObject({
  startDate: IsoDate,
  endDate: IsoDate,
  receivingCountry: CountryCode,
  sendingCountry: CountryCode,
  hostOrgId: HostOrgId,
  /** One-way distance from the EC distance calculator (reference §1.2). */
  distanceKm: z.int().nonnegative().max(20_040, 'distanceKm: a one-way distance on Earth is at most 20,040 km').optional(),
  greenTravel: z.boolean(),
  fewerOpportunities: z.boolean(),
  fewerOpportunitiesCriterion: FewerOpportunitiesCriterion.optional(),
  recentGraduate: z.boolean().optional(),
  blended: z.boolean().optional(),
  doctoral: z.boolean().optional(),
  /** A virtual component alongside the physical part. */
  hybrid: z.boolean().optional(),
  /** For activities with both forms (HE students): omitted = long-term unless blended or doctoral. */
  longTerm: z.boolean().optional(),
  /** An accompanying person of a learner activity (VET, school or adult group): paid at the staff rate (§1.8). */
  accompanyingPerson: z.boolean().optional().describe('this mobility is an accompanying person of the learner activity given in activity (§1.8)'),
  /** Course days of a staff course: the course-fee line (§1.4, §1.8). */
  courseDays: z.int().min(1).max(365).optional().describe('course days of a staff course (adds the course-fee line, §1.8)'),
  /** The virtual component of a hybrid mobility, outside the physical dates. */
  virtualComponent: z.strictObject({ startDate: IsoDate, endDate: IsoDate }).optional().describe('hybrid mobility: the virtual component\'s dates'),
});
export type MobilityPlan = z.infer<typeof MobilityPlan>;

export const SubmitApplication = command('SubmitApplication', {
  projectId: ProjectId,
  institutionId: OrgId,
  consortiumId: OrgId.nullable(),
  siteId: SiteId.optional(),
  participantRef: ParticipantRef,
  activity: ActivityCode,
  funderLineId: FunderLineId,
  plan: MobilityPlan,
  /** The group activity this mobility belongs to (a learner or an accompanying person of the group). */
  groupId: GroupId.optional(),
});
/** estimatedGrant is computed by the caller with the grant calculator. */
/** funding: the co-funded shares the engine computed with the grant (domain/funding); absent or [] when not co-funded. */
const Funding = z.array(FundingShare).max(20).optional();
export const SelectParticipant = command('SelectParticipant', { estimatedGrant: GrantBreakdown, funding: Funding });
/** With a reserve-list rank the applicant goes on the reserve list, otherwise the application is rejected. */
export const RejectApplication = command('RejectApplication', { reasonCode: RejectionReason, reserveListRank: z.int().positive().optional() });
export const PromoteFromReserveList = command('PromoteFromReserveList', { estimatedGrant: GrantBreakdown, funding: Funding });
export const WithdrawApplication = command('WithdrawApplication', { reasonCode: WithdrawalReason });
export const SignAgreement = command('SignAgreement', {
  participantSignedOn: IsoDate,
  institutionSignedOn: IsoDate,
  prefinancingPercent: z.int().min(0).max(100),
});
export const ConfirmDeparture = command('ConfirmDeparture', { actualStartDate: IsoDate });
export const RecordCertificateOfAttendance = command('RecordCertificateOfAttendance', {
  actualStartDate: IsoDate,
  actualEndDate: IsoDate,
  finalGrant: GrantBreakdown,
  funding: Funding,
});
export const RecordInterruption = command('RecordInterruption', { from: IsoDate, to: IsoDate, reasonCode: InterruptionReason });
/** A reason code only: the free-text explanation is special-category data kept outside the engine. */
export const DeclareForceMajeure = command('DeclareForceMajeure', { reasonCode: ForceMajeureReason });
export const RequestExtension = command('RequestExtension', { newEndDate: IsoDate });
/** revisedGrant: the estimated grant recomputed by the caller for the extended dates. */
export const ApproveExtension = command('ApproveExtension', { revisedGrant: GrantBreakdown, funding: Funding });
export const RefuseExtension = command('RefuseExtension', { reasonCode: ExtensionRefusalReason });
export const ChangeLearningAgreement = command('ChangeLearningAgreement', { reasonCode: LearningAgreementChangeReason });
export const InviteParticipantReport = command('InviteParticipantReport', {});
export const RemindParticipantReport = command('RemindParticipantReport', {});
export const RecordParticipantReportSubmitted = command('RecordParticipantReportSubmitted', { submittedOn: IsoDate });
export const RecordOlsAssessment = command('RecordOlsAssessment', { phase: OlsPhase, language: LanguageCode, level: CefrLevel });
export const RecordTranscriptOfRecords = command('RecordTranscriptOfRecords', { receivedOn: IsoDate, ects: Ects });
export const RecordRecognition = command('RecordRecognition', {
  outcome: RecognitionOutcome,
  /** Required for activities with a transcript (HE learners); omitted for VET/school/adult. */
  recognisedEcts: Ects.optional(),
  europass: z.boolean().optional(),
  openBadge: z.boolean().optional(),
  /** What was learnt (skills, competences), one a line or separated by ';': printed on the Europass Mobility record and the badge. Never about the person. */
  learningOutcomes: LearningOutcomesText.optional(),
});
export const RecordPaymentOrdered = command('RecordPaymentOrdered', { kind: PaymentKind, amountCents: z.int().positive(), paymentId: PaymentId });
/** Sent by the workflow when a deadline timer fires. */
export const RecordDeadlineMissed = command('RecordDeadlineMissed', { deadline: MissedDeadline });
/** Sent by the workflow after every change: publishes the mobility's open due dates when they changed (what lists and worklists show). */
export const RecordDeadlineSchedule = command('RecordDeadlineSchedule', {});
export const CancelMobility = command('CancelMobility', { reasonCode: CancellationReason });
/**
 * What the NA or the beneficiary decides per participant, recorded by staff with the audit trail (who, when):
 * travel support for a short-term HE student, real-cost inclusion support, an exceptional expensive
 * trip, a zero-grant mobility. The grant is computed from them; nothing else sets these euros.
 */
export const GrantConditions = z.strictObject({
  travelSupport: z.boolean().nullable().describe('travel support for this participant; null = the project\'s default'),
  inclusionSupportCents: z.int().nonnegative().max(5_000_000).describe('real-cost inclusion support granted (cents)'),
  exceptionalTravelCostCents: z.int().positive().max(1_000_000).nullable().describe('the real cost of an expensive return trip (cents), or null'),
  zeroGrant: z.boolean().describe('a zero-grant mobility: recorded, counted, paid nothing'),
});
export type GrantConditions = z.infer<typeof GrantConditions>;
export const RecordGrantConditions = command('RecordGrantConditions', GrantConditions.shape);

/**
 * Taking over a mobility under way (moved from spreadsheets or another tool): the stage it has reached and
 * the facts known of it, recorded at once after its application. The engine supplies every euro (the
 * estimated grant, and the final grant once attendance is certified) from the project's rates; payments
 * already made are recorded as paid, never ordered again. The same rules as the commands it stands for apply.
 */
export const TakeOverStage = z.enum(TAKE_OVER_STAGES);
export type TakeOverStage = z.infer<typeof TakeOverStage>;
export const ImportedPayment = z.strictObject({
  kind: z.enum(['prefinancing', 'balance']),
  paymentId: PaymentId,
  amountCents: z.int().positive(),
  paidOn: IsoDate,
});
export type ImportedPayment = z.infer<typeof ImportedPayment>;
export const TakeOverFacts = z.strictObject({
  stage: TakeOverStage,
  selectedOn: IsoDate,
  /** Required from 'agreed' on; the pre-financing rate defaults to the project's policy. */
  agreement: z.strictObject({ participantSignedOn: IsoDate, institutionSignedOn: IsoDate, prefinancingPercent: z.int().min(0).max(100) }).nullable(),
  /** The actual start date (required from 'departed' on). */
  departedOn: IsoDate.nullable(),
  /** The certificate of attendance's dates (required at 'attended'). */
  attendance: z.strictObject({ actualStartDate: IsoDate, actualEndDate: IsoDate }).nullable(),
  payments: z.array(ImportedPayment).max(10),
  /** Where the facts come from, e.g. the import and its row (no personal data). */
  source: z.string().min(1).max(200),
});
export type TakeOverFacts = z.infer<typeof TakeOverFacts>;
export const TakeOverMobility = command('TakeOverMobility', { ...TakeOverFacts.shape, estimatedGrant: GrantBreakdown, finalGrant: GrantBreakdown.nullable(), funding: Funding, finalFunding: Funding });

/**
 * A document kept as a proof of the mobility (its bytes in the document store, under their SHA-256).
 * The actor is who uploaded it: a staff member, or `link:host` / `link:participant` through a signed link.
 */
export const AttachDocument = command('AttachDocument', { documentId: DocumentId, kind: DocumentKind, sha256: Sha256, byteSize: ByteSize, mediaType: DocumentMediaType });

export const MobilityCommand = z.discriminatedUnion('type', [
  SubmitApplication, SelectParticipant, RejectApplication, PromoteFromReserveList, WithdrawApplication, SignAgreement,
  ConfirmDeparture, RecordCertificateOfAttendance, RecordInterruption, DeclareForceMajeure, RequestExtension,
  ApproveExtension, RefuseExtension, ChangeLearningAgreement, InviteParticipantReport, RemindParticipantReport,
  RecordParticipantReportSubmitted, RecordOlsAssessment, RecordTranscriptOfRecords, RecordRecognition,
  RecordPaymentOrdered, RecordDeadlineMissed, RecordDeadlineSchedule, CancelMobility, RecordGrantConditions,
  AttachDocument,
  TakeOverMobility,
]);
export type MobilityCommand = z.infer<typeof MobilityCommand>;
export type CommandType = MobilityCommand['type'];
export type CommandOf<T extends CommandType> = Extract<MobilityCommand, { type: T }>;
export const COMMAND_TYPES = MobilityCommand.options.map((o) => o.shape.type.value) as CommandType[];
