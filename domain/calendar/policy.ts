import { z } from 'zod';
import { RequiredProofs } from '../documents';

/**
 * The deadline policy of a project. Every field has the reference default; a project (or a network
 * for all its projects) overrides fields: Policy.parse({ ...networkOverrides, ...projectOverrides }).
 * Bounds are the ranges the reference allows; values outside them are refused with the field named.
 */
export const Policy = z.strictObject({
  /** §2 Participant pre-financing [V S16]: 30 days after both signatures (or the start date, if earlier). */
  prefinancingDays: z.int().min(0).max(90).default(30),
  /** §2 Participant pre-financing [V S16]: 70–100 % of the grant, one rate for all; 80/20 is common practice [S]. At 100 % there is no balance. */
  prefinancingPercent: z.int().min(70).max(100).default(80),
  /** §2 LA changes [S S18]: request within 2–5 weeks of term start, window set by the institutions. Default: the widest, 5. */
  laChangeWeeks: z.int().min(2).max(5).default(5),
  /** §2 LA changes [S S18]: all parties agree within 2 weeks of the request. */
  laApprovalWeeks: z.int().min(1).max(5).default(2),
  /** §2 LA changes [S Örebro]: an extension is requested at least one month before the end date. */
  extensionNoticeMonths: z.int().min(1).max(6).default(1),
  /** §2 Participant report [V S19]: the invitation goes out at fixed points after the end date; by default on the end date itself. */
  reportInvitationOffsetDays: z.int().min(0).max(60).default(0),
  /** §2 Participant report deadline [S S20]: 30 days after the invitation. */
  reportDays: z.int().min(1).max(90).default(30),
  /** Reminder days relative to the report due date (−7 = a week before). Strictly increasing; never before the invitation. */
  reportReminderOffsetsDays: z
    .array(z.int().min(-60).max(60))
    .max(10)
    .refine((xs) => xs.every((x, i) => i === 0 || x > xs[i - 1]!), 'offsets must be strictly increasing')
    .default([-7, 0]),
  /** Days after the report due date when the coordinator is alerted (escalation). */
  reportEscalationDays: z.int().min(1).max(60).default(7),
  /** §2 ToR from the receiver [V S17]: normally ≤ 5 weeks after results are published. */
  torWeeks: z.int().min(1).max(15).default(5),
  /** §2 Recognition by the sender [V S17]: normally within 5 weeks of receiving the host ToR. */
  recognitionWeeks: z.int().min(1).max(15).default(5),
  /** §2 Balance payment [V S16]: 45 days after the participant report to pay the balance or issue a recovery order. */
  balanceDays: z.int().min(1).max(90).default(45),
  /** Days before a due date when the person who must act is reminded (deadlines other than the participant report). */
  reminderLeadDays: z.int().min(1).max(30).default(7),
  /** Proofs an action waits for: a document of each kind attached before it (e.g. the certificate of attendance). Default: none. */
  requiredProofs: RequiredProofs.default({}),
  /**
   * Deadlines before departure and at the end of the stay (§2 Participant GA, LA before mobility, OLS, certificate of
   * attendance): the agreement signed, the OLS assessment taken, insurance and travel arranged, the host's certificate.
   * On by default; mobilities started before these existed keep them off (their workflows replay unchanged).
   */
  preDepartureDeadlines: z.boolean().default(true),
  /** §2 Participant GA: the grant agreement is signed by both parties this many days before the planned start. */
  agreementSignatureDays: z.int().min(0).max(90).default(14),
  /** Insurance and travel are arranged this many days before the planned start. */
  travelPreparationDays: z.int().min(0).max(60).default(7),
  /** §2 Certificate of attendance: the host confirms the actual dates within this many days of the end date. */
  certificateDays: z.int().min(0).max(60).default(7),
}).refine((p) => p.reportEscalationDays > (p.reportReminderOffsetsDays.at(-1) ?? 0), {
  message: 'the escalation must come after the last reminder',
  path: ['reportEscalationDays'],
});
export type Policy = z.infer<typeof Policy>;
export type PolicyOverrides = z.input<typeof Policy>;

export const DEFAULT_POLICY: Policy = Policy.parse({});
