import type { ActivityCode } from '../activity';
import type { DocumentKind } from '../documents';
import type { GrantBreakdown } from '../grant/breakdown';
import type { Cents } from '../money';
import type {
  CancellationReason, CefrLevel, MissedDeadline, ExtensionRefusalReason, ForceMajeureReason, InterruptionReason,
  LearningAgreementChangeReason, OlsPhase, PaymentKind, RecognitionOutcome, RejectionReason, WithdrawalReason,
} from './codes';
import type { GrantConditions } from './commands';
import type { PlanFacts, ScheduledDeadline } from './events';
import { CERTIFIED_STAGES, type Stage, type StagesAllowing } from './lifecycle';

/**
 * The state of one mobility, a union on `stage` (the stages and what each allows: lifecycle.ts).
 * Milestone facts are typed per stage (an 'agreed' mobility always has its agreement); facts that can be
 * recorded across several stages (OLS, payments, interruptions, force majeure…) live in the common part.
 */
export interface Identity {
  readonly mobilityId: string;
  readonly projectId: string;
  readonly institutionId: string;
  readonly consortiumId: string | null;
  readonly siteId: string | null;
  readonly participantRef: string;
  readonly activity: ActivityCode;
  readonly funderLineId: string;
  /** The group activity the mobility belongs to (ApplicationSubmitted v2), null when none. */
  readonly groupId: string | null;
}

export interface Interruption { readonly from: string; readonly to: string; readonly days: number; readonly reasonCode: InterruptionReason }
export interface OlsResult { readonly language: string; readonly level: CefrLevel; readonly at: string }
export interface PaymentOrder { readonly paymentId: string; readonly kind: PaymentKind; readonly amountCents: Cents; readonly at: string }

export interface Payments {
  readonly prefinancingCents: Cents;
  readonly balanceCents: Cents;
  readonly recoveredCents: Cents;
  readonly orders: readonly PaymentOrder[];
}

export type ExtensionStatus =
  | { readonly status: 'none' }
  | { readonly status: 'requested'; readonly newEndDate: string; readonly requestedAt: string }
  | { readonly status: 'approved'; readonly newEndDate: string; readonly requestedAt: string; readonly decidedAt: string }
  | { readonly status: 'refused'; readonly newEndDate: string; readonly requestedAt: string; readonly decidedAt: string; readonly reasonCode: ExtensionRefusalReason };

export interface AttachedDocument {
  readonly documentId: string;
  readonly kind: DocumentKind;
  readonly sha256: string;
  readonly byteSize: number;
  readonly mediaType: string;
  readonly attachedBy: string;
  readonly attachedAt: string;
}

export interface ReportInvitation { readonly invitedOn: string; readonly dueOn: string; readonly lastSentAt: string; readonly reminders: number }

/** Facts shared by every stage after the application. */
export interface Common {
  readonly identity: Identity;
  /** The current plan; endDate moves when an extension is approved. */
  readonly plan: PlanFacts;
  readonly originalEndDate: string;
  readonly plannedDays: number;
  readonly ols: Readonly<Record<OlsPhase, OlsResult | null>>;
  readonly forceMajeure: { readonly reasonCode: ForceMajeureReason; readonly declaredAt: string } | null;
  readonly interruptions: readonly Interruption[];
  readonly extension: ExtensionStatus;
  readonly extensionsApproved: number;
  /** Learning agreement version: 0 before signature, 1 at signature, +1 per approved change (lastChangedAt: when). */
  readonly learningAgreement: { readonly version: number; readonly lastChangeReason: LearningAgreementChangeReason | null; readonly lastChangedAt: string | null };
  readonly reportInvitation: ReportInvitation | null;
  readonly transcript: { readonly receivedOn: string; readonly ects: number } | null;
  readonly deadlinesMissed: readonly MissedDeadline[];
  /** Per-participant grant switches recorded by staff (GrantConditionsRecorded). */
  readonly grantConditions: GrantConditions;
  /** The open due dates last published (DeadlinesScheduled). */
  readonly schedule: readonly ScheduledDeadline[];
  readonly payments: Payments;
  /** Proofs attached (DocumentAttached), in order: their content by SHA-256, never a file name. */
  readonly documents: readonly AttachedDocument[];
  readonly audit: { readonly events: number; readonly firstAt: string; readonly lastAt: string; readonly lastActor: string };
}

export interface Selection { readonly estimatedGrant: GrantBreakdown; readonly selectedAt: string; readonly fromReserveList: boolean }
export interface Agreement {
  readonly participantSignedOn: string;
  readonly institutionSignedOn: string;
  readonly prefinancingPercent: number;
  readonly prefinancingCents: Cents;
  readonly prefinancingDueOn: string;
}
export interface Departure { readonly actualStartDate: string }
export interface Attendance {
  readonly actualStartDate: string;
  readonly actualEndDate: string;
  readonly physicalDays: number;
  readonly interruptedDays: number;
  readonly minimumMet: boolean;
  readonly finalGrant: GrantBreakdown;
  /** When the certificate of attendance was recorded. */
  readonly certifiedAt: string;
}
export interface ReportSubmission { readonly submittedOn: string; readonly daysLate: number; /** when staff recorded it (the balance request) */ readonly recordedAt: string }
export interface Recognition {
  readonly outcome: RecognitionOutcome;
  readonly recognisedEcts: number | null;
  readonly europass: boolean;
  readonly openBadge: boolean;
  /** What was learnt, as recorded with the recognition (RecognitionRecorded v2; [] before). */
  readonly learningOutcomes: readonly string[];
  readonly recordedAt: string;
}

export interface NoMobility { readonly stage: 'none' }
export type Applied = Common & { readonly stage: 'applied' };
export type ReserveListed = Common & { readonly stage: 'reserve-list'; readonly reserveRank: number };
export type Rejected = Common & { readonly stage: 'rejected'; readonly rejection: { readonly reasonCode: RejectionReason; readonly at: string } };
export type Withdrawn = Common & {
  readonly stage: 'withdrawn';
  readonly withdrawal: { readonly reasonCode: WithdrawalReason; readonly at: string };
  readonly selection: Selection | null;
};
export type Selected = Common & { readonly stage: 'selected'; readonly selection: Selection };
export type Agreed = Common & { readonly stage: 'agreed'; readonly selection: Selection; readonly agreement: Agreement };
export type Departed = Omit<Agreed, 'stage'> & { readonly stage: 'departed'; readonly departure: Departure };
export type Attended = Omit<Departed, 'stage'> & { readonly stage: 'attended'; readonly attendance: Attendance };
export type Reported = Omit<Attended, 'stage'> & { readonly stage: 'reported'; readonly report: ReportSubmission };
export type Recognised = Omit<Reported, 'stage'> & { readonly stage: 'recognised'; readonly recognition: Recognition };
export type Cancelled = Common & {
  readonly stage: 'cancelled';
  readonly cancellation: { readonly reasonCode: CancellationReason; readonly at: string; readonly fromStage: StagesAllowing<'CancelMobility'> };
  readonly selection: Selection | null;
  readonly agreement: Agreement | null;
};

export type MobilityState =
  | NoMobility | Applied | ReserveListed | Rejected | Withdrawn | Selected | Agreed
  | Departed | Attended | Reported | Recognised | Cancelled;
/** The state's stages are exactly the lifecycle table's (a compile error here means they drifted). */
const sameStages: [MobilityState['stage'], Stage] extends [Stage, MobilityState['stage']] ? true : never = true;
void sameStages;
export type StateIn<S extends Stage> = Extract<MobilityState, { stage: S }>;
export type OpenMobility = Exclude<MobilityState, NoMobility>;

export const initialState: MobilityState = { stage: 'none' };

export const inStage = <S extends Stage>(state: MobilityState, stages: readonly S[]): state is StateIn<S> =>
  (stages as readonly Stage[]).includes(state.stage);


/** Net amount paid to the participant: pre-financing + balance − recoveries. */
export const netPaid = (p: Payments): Cents => p.prefinancingCents + p.balanceCents - p.recoveredCents;

/** Grant currently expected: final once certified, 0 once cancelled, otherwise the estimate (null before selection). */
export const grantDue = (s: OpenMobility): Cents | null => {
  if (inStage(s, CERTIFIED_STAGES)) return s.attendance.finalGrant.totalCents;
  if (s.stage === 'cancelled') return 0;
  if (inStage(s, ['selected', 'agreed', 'departed'])) return s.selection.estimatedGrant.totalCents;
  return null;
};

export const interruptedDays = (s: Common): number => s.interruptions.reduce((n, i) => n + i.days, 0);
