/** A refused command is a value, never an exception: the Temporal update validator turns it into a rejection. */
export type RejectionCode =
  | 'wrong-mobility'
  | 'wrong-stage'
  | 'takeover-facts'
  | 'invalid-plan'
  | 'invalid-dates'
  | 'duration-below-minimum'
  | 'duration-above-maximum'
  | 'criterion-without-fewer-opportunities'
  | 'prefinancing-rate-out-of-range'
  | 'signature-in-future'
  | 'cancel-after-departure'
  | 'force-majeure-already-declared'
  | 'interruption-overlap'
  | 'extension-too-late'
  | 'extension-pending'
  | 'no-pending-extension'
  | 'grant-below-paid'
  | 'report-already-invited'
  | 'report-not-invited'
  | 'report-before-end'
  | 'reminder-too-soon'
  | 'ols-already-recorded'
  | 'transcript-not-applicable'
  | 'transcript-already-recorded'
  | 'transcript-required'
  | 'recognition-inconsistent'
  | 'duplicate-payment-id'
  | 'prefinancing-already-ordered'
  | 'payment-exceeds-grant'
  | 'balance-before-attendance'
  | 'recovery-not-due'
  | 'recovery-exceeds-overpayment'
  | 'deadline-not-applicable'
  | 'deadline-not-passed'
  | 'deadline-already-recorded'
  | 'document-already-attached'
  | 'proof-required';

export interface Rejection {
  readonly kind: 'rejected';
  readonly code: RejectionCode;
  /** A sentence for staff naming the rule: "cannot sign the agreement: … (stage 'applied')". */
  readonly reason: string;
  readonly ruleId: string | null;
}

export const reject = (code: RejectionCode, reason: string, ruleId: string | null = null): Rejection => ({ kind: 'rejected', code, reason, ruleId });

export const isRejection = (r: unknown): r is Rejection =>
  typeof r === 'object' && r !== null && !Array.isArray(r) && (r as { kind?: unknown }).kind === 'rejected';
