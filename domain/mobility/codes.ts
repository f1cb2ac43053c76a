import { z } from 'zod';
import { MissedDeadline } from '../calendar/deadlines';

/**
 * Closed code lists used by commands, events and state. Codes only: free text (force-majeure
 * explanations, social criteria, health) is special-category data and never enters the engine's events.
 */

/** Why an application was not selected. */
export const RejectionReason = z.enum(['not-eligible', 'incomplete-application', 'selection-ranking', 'no-budget', 'host-refused', 'other']);
export type RejectionReason = z.infer<typeof RejectionReason>;

export const WithdrawalReason = z.enum(['participant-request', 'academic', 'financial', 'personal', 'other']);
export type WithdrawalReason = z.infer<typeof WithdrawalReason>;

export const CancellationReason = z.enum(['participant-withdrew', 'host-cancelled', 'institution-decision', 'no-budget', 'ineligible', 'force-majeure', 'other']);
export type CancellationReason = z.infer<typeof CancellationReason>;

/** Deliberately no medical code: the reason for a break must not reveal health data. */
export const InterruptionReason = z.enum(['host-closure', 'academic-break', 'personal', 'force-majeure', 'other']);
export type InterruptionReason = z.infer<typeof InterruptionReason>;

export const ForceMajeureReason = z.enum(['natural-disaster', 'public-health-emergency', 'security-situation', 'travel-disruption', 'host-closure', 'serious-personal-circumstances', 'other']);
export type ForceMajeureReason = z.infer<typeof ForceMajeureReason>;

export const ExtensionRefusalReason = z.enum(['host-declined', 'no-budget', 'academic', 'late-request', 'other']);
export type ExtensionRefusalReason = z.infer<typeof ExtensionRefusalReason>;

/** EWP OMobility Learning Agreements v1.2.0 change reason codes (reference §4 [V S23]). */
export const LearningAgreementChangeReason = z.enum(['not-available', 'language-mismatch', 'timetable-conflict', 'substituting-deleted', 'extending-mobility', 'adding-virtual-component']);
export type LearningAgreementChangeReason = z.infer<typeof LearningAgreementChangeReason>;

/**
 * Fewer-opportunities criterion, a code only (FO-01…FO-09 = the nine criteria of the French top-up list,
 * users-and-processes.md §003). Accepted on SubmitApplication for the sender's restricted records; never
 * copied into an event or the state (only the boolean fewerOpportunities is).
 */
export const FewerOpportunitiesCriterion = z.string().regex(/^FO-0[1-9]$/, 'fewer-opportunities criterion: a code FO-01…FO-09, never details');

export const CefrLevel = z.enum(['A1', 'A2', 'B1', 'B2', 'C1', 'C2']);
export type CefrLevel = z.infer<typeof CefrLevel>;
export const LanguageCode = z.string().regex(/^[a-z]{2}$/, 'ISO 639-1 language code, lower case');
export const OlsPhase = z.enum(['before', 'after']);
export type OlsPhase = z.infer<typeof OlsPhase>;

export const PaymentKind = z.enum(['prefinancing', 'balance', 'recovery']);
export type PaymentKind = z.infer<typeof PaymentKind>;
export const PaymentId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'payment id: the accounting reference (letters, digits, . _ : -)');
/** The one payment key: `<mobility>:<kind>:<n>`, the n-th order of that kind (the payment order's idempotency key too). */
export const paymentIdFor = (mobilityId: string, kind: PaymentKind, sequence: number): string => `${mobilityId}:${kind}:${sequence}`;

/** A staff reference for the audit trail (internal id, never an e-mail address). */
export const StaffRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{1,63}$/, 'actor: a staff reference (letters, digits, . _ : -), never an e-mail address');

export const RecognitionOutcome = z.enum(['full', 'partial']);
export type RecognitionOutcome = z.infer<typeof RecognitionOutcome>;

/** ECTS credits, half credits allowed. */
export const Ects = z.number().min(0).max(120).multipleOf(0.5);

/** The code of a missed obligation (the calendar's deadlines name theirs: domain/calendar/deadlines.ts). */
export { MissedDeadline };

export const FunderLineId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'funder line id (budget line of a funder)');
export const SiteId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, 'site id');
