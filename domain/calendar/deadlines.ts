import { z } from 'zod';
import { IsoDate } from '../ids';
import { MobilityFacts, type DatedFact, type MobilityFactsInput } from './facts';
import { addDays, addMonthsClamped, daysBetween, maxDate, minDate } from '../dates';
import { Policy, type PolicyOverrides } from './policy';

export const DeadlineId = z.enum([
  'agreement-signature',
  'ols-assessment',
  'insurance-travel',
  'certificate-of-attendance',
  'prefinancing-payment',
  'la-change-request',
  'la-change-decision',
  'extension-request',
  'participant-report',
  'transcript-of-records',
  'recognition',
  'balance-payment',
]);
export type DeadlineId = z.infer<typeof DeadlineId>;

export const Audience = z.enum(['participant', 'coordinator', 'host', 'finance']);
export type Audience = z.infer<typeof Audience>;

/** How each deadline reads to a person (console, reminder e-mails). */
export const DEADLINE_LABELS: Record<DeadlineId, string> = {
  'agreement-signature': 'Grant agreement signature',
  'ols-assessment': 'OLS language assessment before departure',
  'insurance-travel': 'Insurance and travel arranged',
  'certificate-of-attendance': 'Certificate of attendance from the host',
  'prefinancing-payment': 'Pre-financing payment',
  'la-change-request': 'Learning agreement change request',
  'la-change-decision': 'Learning agreement change decision',
  'extension-request': 'Extension request',
  'participant-report': 'Participant report (EU Survey)',
  'transcript-of-records': 'Transcript of records',
  recognition: 'Recognition',
  'balance-payment': 'Balance payment',
};

/**
 * The code a missed obligation is recorded under in the DeadlineMissed event (the stream's vocabulary,
 * kept since v1). Each calendar deadline that can be recorded as missed names its code in RULES below.
 */
export const MissedDeadline = z.enum(['prefinancing', 'participant-report', 'transcript', 'recognition', 'balance']);
export type MissedDeadline = z.infer<typeof MissedDeadline>;

/**
 * obligation: someone must act by the due date; unfulfilled past it = missed.
 * window: an optional request must come by the due date; unused past it = lapsed (nobody is at fault).
 */
export const DeadlineNature = z.enum(['obligation', 'window']);
export const DeadlineStatus = z.enum(['open', 'met', 'missed', 'lapsed']);
export type DeadlineStatus = z.infer<typeof DeadlineStatus>;

export const Deadline = z.strictObject({
  id: DeadlineId,
  label: z.string().min(1),
  ruleId: z.string().min(1),
  kind: DeadlineNature,
  dueDate: IsoDate,
  audience: Audience,
  /** The fact the due date counts from; relation 'before' for notice periods (extension). */
  trigger: z.strictObject({ fact: z.string().min(1), date: IsoDate, relation: z.enum(['after', 'before']) }),
  /** The arithmetic in words, citing the rule. */
  basis: z.string().min(1),
  /** Reference section and certainty tag. */
  source: z.string().min(1),
  status: DeadlineStatus,
  /** Date of the fact that fulfils the deadline, if known. */
  fulfilledAt: IsoDate.nullable(),
  /** Days past the due date: when fulfilled late, or (still unfulfilled) as of now. 0 otherwise. */
  daysLate: z.int().nonnegative(),
});
export type Deadline = z.infer<typeof Deadline>;

interface Derived { dueDate: string; trigger: Deadline['trigger']; basis: string }

interface Rule {
  readonly id: DeadlineId;
  readonly ruleId: string;
  readonly kind: Deadline['kind'];
  readonly audience: Audience;
  readonly source: string;
  readonly fulfilledBy: DatedFact;
  /** Recorded as missed (DeadlineMissed) under this code when overdue; null: not recorded. */
  readonly missedAs: MissedDeadline | null;
  /** null while the triggering facts are unknown. */
  readonly derive: (f: MobilityFacts, p: Policy) => Derived | null;
  /** Only under the policy's preDepartureDeadlines (deadlines added after the first mobilities ran). */
  readonly preDeparture?: true;
}

const after = (fact: DatedFact, date: string) => ({ fact, date, relation: 'after' as const });

/** The participant report invitation: the real one when sent, else endDate + policy offset (§2 [V S19]). */
export const reportInvitation = (f: MobilityFacts, p: Policy): { fact: DatedFact; date: string; words: string } | null => {
  if (f.reportInvitedAt) return { fact: 'reportInvitedAt', date: f.reportInvitedAt, words: `invitation sent ${f.reportInvitedAt}` };
  if (!f.endDate) return null;
  const date = addDays(f.endDate, p.reportInvitationOffsetDays);
  return { fact: 'endDate', date, words: `invitation expected ${p.reportInvitationOffsetDays} days after the end date ${f.endDate} = ${date}` };
};

const before = (fact: DatedFact, date: string) => ({ fact, date, relation: 'before' as const });

export const RULES: readonly Rule[] = [
  {
    id: 'agreement-signature', missedAs: null, ruleId: 'DL-AGREEMENT-SIGNATURE', kind: 'obligation', audience: 'participant', preDeparture: true,
    source: '§2 Participant GA; LA before mobility (signed before departure) [S S17]', fulfilledBy: 'agreementSignedAt',
    derive: (f, p) => {
      if (!f.startDate) return null;
      const due = addDays(f.startDate, -p.agreementSignatureDays);
      return { dueDate: due, trigger: before('startDate', f.startDate), basis: `grant agreement signed by both parties ${p.agreementSignatureDays} days before the planned start: ${f.startDate} − ${p.agreementSignatureDays} days = ${due}` };
    },
  },
  {
    id: 'ols-assessment', missedAs: null, ruleId: 'DL-OLS-BEFORE', kind: 'window', audience: 'participant', preDeparture: true,
    source: '§2 OLS (assessment before the mobility; recommended 2021–27) [V S21; U]', fulfilledBy: 'olsBeforeAt',
    derive: (f) => {
      if (!f.expectsOls || !f.startDate) return null;
      const due = addDays(f.startDate, -1);
      return { dueDate: due, trigger: before('startDate', f.startDate), basis: `OLS assessment taken before departure: the day before the planned start ${f.startDate} = ${due}` };
    },
  },
  {
    id: 'insurance-travel', missedAs: null, ruleId: 'DL-TRAVEL-PREPARATION', kind: 'window', audience: 'participant', preDeparture: true,
    source: '§2 Participant GA, general conditions (insurance, travel) [U]', fulfilledBy: 'departedOn',
    derive: (f, p) => {
      if (!f.startDate) return null;
      const due = addDays(f.startDate, -p.travelPreparationDays);
      return { dueDate: due, trigger: before('startDate', f.startDate), basis: `insurance and travel arranged ${p.travelPreparationDays} days before the planned start: ${f.startDate} − ${p.travelPreparationDays} days = ${due}` };
    },
  },
  {
    id: 'certificate-of-attendance', missedAs: null, ruleId: 'DL-CERTIFICATE', kind: 'obligation', audience: 'host', preDeparture: true,
    source: '§2 Certificate of attendance (the host confirms the actual dates) [S Örebro, UPC]', fulfilledBy: 'certificateReceivedAt',
    derive: (f, p) => {
      if (!f.departedOn || !f.endDate) return null;
      const due = addDays(f.endDate, p.certificateDays);
      return { dueDate: due, trigger: after('endDate', f.endDate), basis: `host certificate of attendance within ${p.certificateDays} days of the end date: ${f.endDate} + ${p.certificateDays} days = ${due}` };
    },
  },
  {
    id: 'prefinancing-payment', missedAs: 'prefinancing', ruleId: 'DL-PREFINANCING', kind: 'obligation', audience: 'finance',
    source: '§2 Participant pre-financing [V S16]', fulfilledBy: 'prefinancingPaidAt',
    derive: (f, p) => {
      if (!f.agreementSignedByParticipant || !f.agreementSignedByInstitution) return null;
      const lastFact: DatedFact = f.agreementSignedByParticipant >= f.agreementSignedByInstitution ? 'agreementSignedByParticipant' : 'agreementSignedByInstitution';
      const signed = maxDate(f.agreementSignedByParticipant, f.agreementSignedByInstitution);
      const byDays = addDays(signed, p.prefinancingDays);
      const words = `earliest of ${p.prefinancingDays} days after the last signature (${signed} + ${p.prefinancingDays} = ${byDays})`;
      if (!f.startDate) return { dueDate: byDays, trigger: after(lastFact, signed), basis: `${words}; start date not yet known` };
      if (f.startDate < signed)
        return { dueDate: signed, trigger: after(lastFact, signed), basis: `${words} and the start date ${f.startDate}; the start precedes the last signature, so due on signature day ${signed}` };
      return { dueDate: minDate(byDays, f.startDate), trigger: after(lastFact, signed), basis: `${words} and the start date (${f.startDate}) = ${minDate(byDays, f.startDate)}` };
    },
  },
  {
    id: 'la-change-request', missedAs: null, ruleId: 'DL-LA-CHANGE-REQUEST', kind: 'window', audience: 'participant',
    source: '§2 LA changes during mobility [S S18]', fulfilledBy: 'laChangeRequestedAt',
    derive: (f, p) => {
      if (!f.termStartDate) return null;
      const due = addDays(f.termStartDate, 7 * p.laChangeWeeks);
      return { dueDate: due, trigger: after('termStartDate', f.termStartDate), basis: `learning-agreement changes requested within ${p.laChangeWeeks} weeks of term start: ${f.termStartDate} + ${7 * p.laChangeWeeks} days = ${due}` };
    },
  },
  {
    id: 'la-change-decision', missedAs: null, ruleId: 'DL-LA-CHANGE-DECISION', kind: 'obligation', audience: 'coordinator',
    source: '§2 LA changes during mobility [S S18]', fulfilledBy: 'laChangeDecidedAt',
    derive: (f, p) => {
      if (!f.laChangeRequestedAt) return null;
      const due = addDays(f.laChangeRequestedAt, 7 * p.laApprovalWeeks);
      return { dueDate: due, trigger: after('laChangeRequestedAt', f.laChangeRequestedAt), basis: `all parties approve or reject within ${p.laApprovalWeeks} weeks of the request: ${f.laChangeRequestedAt} + ${7 * p.laApprovalWeeks} days = ${due}` };
    },
  },
  {
    id: 'extension-request', missedAs: null, ruleId: 'DL-EXTENSION-NOTICE', kind: 'window', audience: 'participant',
    source: '§2 LA changes during mobility, extension [S Örebro]', fulfilledBy: 'extensionRequestedAt',
    derive: (f, p) => {
      if (!f.endDate) return null;
      const due = addMonthsClamped(f.endDate, -p.extensionNoticeMonths);
      return { dueDate: due, trigger: { fact: 'endDate', date: f.endDate, relation: 'before' }, basis: `extension requested at least ${p.extensionNoticeMonths} month(s) before the end date: ${f.endDate} − ${p.extensionNoticeMonths} month(s), same day of month clamped to month end = ${due}` };
    },
  },
  {
    id: 'participant-report', missedAs: 'participant-report', ruleId: 'DL-PARTICIPANT-REPORT', kind: 'obligation', audience: 'participant',
    source: '§2 Participant report deadline [S S20]; invitation [V S19]', fulfilledBy: 'reportSubmittedAt',
    derive: (f, p) => {
      const inv = reportInvitation(f, p);
      if (!inv) return null;
      const due = addDays(inv.date, p.reportDays);
      return { dueDate: due, trigger: after(inv.fact, inv.fact === 'endDate' ? f.endDate! : inv.date), basis: `report due ${p.reportDays} days after the invitation: ${inv.words}; + ${p.reportDays} days = ${due}` };
    },
  },
  {
    id: 'transcript-of-records', missedAs: 'transcript', ruleId: 'DL-TRANSCRIPT', kind: 'obligation', audience: 'host',
    source: '§2 ToR from the receiver [V S17]', fulfilledBy: 'transcriptReceivedAt',
    derive: (f, p) => {
      if (!f.expectsTranscript) return null;
      const [fact, date] = f.resultsPublishedAt ? (['resultsPublishedAt', f.resultsPublishedAt] as const) : f.endDate ? (['endDate', f.endDate] as const) : [null, null];
      if (!fact) return null;
      const due = addDays(date, 7 * p.torWeeks);
      const from = fact === 'resultsPublishedAt' ? `results published ${date}` : `end date ${date} (results publication not yet known)`;
      return { dueDate: due, trigger: after(fact, date), basis: `host transcript of records within ${p.torWeeks} weeks of ${from}: + ${7 * p.torWeeks} days = ${due}` };
    },
  },
  {
    id: 'recognition', missedAs: 'recognition', ruleId: 'DL-RECOGNITION', kind: 'obligation', audience: 'coordinator',
    source: '§2 Recognition by the sender [V S17]', fulfilledBy: 'recognitionRecordedAt',
    derive: (f, p) => {
      if (!f.transcriptReceivedAt) return null;
      const due = addDays(f.transcriptReceivedAt, 7 * p.recognitionWeeks);
      return { dueDate: due, trigger: after('transcriptReceivedAt', f.transcriptReceivedAt), basis: `recognition within ${p.recognitionWeeks} weeks of receiving the host transcript: ${f.transcriptReceivedAt} + ${7 * p.recognitionWeeks} days = ${due}` };
    },
  },
  {
    id: 'balance-payment', missedAs: 'balance', ruleId: 'DL-BALANCE', kind: 'obligation', audience: 'finance',
    source: '§2 Balance payment [V S16]', fulfilledBy: 'balanceSettledAt',
    derive: (f, p) => {
      if (!f.reportSubmittedAt) return null;
      const due = addDays(f.reportSubmittedAt, p.balanceDays);
      const percent = f.prefinancingPercent ?? p.prefinancingPercent;
      const what = percent < 100 ? `pre-financing ${percent} % < 100 %: the submitted report requests the balance; pay it` : 'pre-financing 100 %: no balance; any overpayment is recovered';
      return { dueDate: due, trigger: after('reportSubmittedAt', f.reportSubmittedAt), basis: `${what} or issue a recovery order within ${p.balanceDays} days: ${f.reportSubmittedAt} + ${p.balanceDays} = ${due}` };
    },
  },
];

/**
 * Status of a deadline on `now`: met iff fulfilled on or before the due date; a late fulfilment or an
 * unfulfilled obligation past due is missed (with daysLate); an unused window past due has lapsed.
 * The due date itself still counts as on time.
 */
export const statusOf = (kind: Deadline['kind'], dueDate: string, fulfilledAt: string | null, now: string): { status: DeadlineStatus; daysLate: number } => {
  if (fulfilledAt !== null) return fulfilledAt <= dueDate ? { status: 'met', daysLate: 0 } : { status: 'missed', daysLate: daysBetween(dueDate, fulfilledAt) };
  if (now <= dueDate) return { status: 'open', daysLate: 0 };
  return kind === 'window' ? { status: 'lapsed', daysLate: 0 } : { status: 'missed', daysLate: daysBetween(dueDate, now) };
};

/**
 * The due dates of one mobility, from what is known of it, with their status on `now`.
 * Sorted by due date, then id. Invalid facts or policy throw a zod error naming the field.
 */
export const deadlinesFor = (facts: MobilityFactsInput, options: { now: string; policy?: PolicyOverrides }): Deadline[] => {
  const parsed = MobilityFacts.parse(facts);
  const signedBoth = parsed.agreementSignedByParticipant && parsed.agreementSignedByInstitution ? maxDate(parsed.agreementSignedByParticipant, parsed.agreementSignedByInstitution) : undefined;
  const f: MobilityFacts = { ...parsed, agreementSignedAt: parsed.agreementSignedAt ?? signedBoth };
  const p = Policy.parse(options.policy ?? {});
  const now = IsoDate.parse(options.now);
  return RULES.flatMap((rule): Deadline[] => {
    if (rule.preDeparture && !p.preDepartureDeadlines) return [];
    const d = rule.derive(f, p);
    if (!d) return [];
    const fulfilledAt = f[rule.fulfilledBy] ?? null;
    return [{ id: rule.id, label: DEADLINE_LABELS[rule.id], ruleId: rule.ruleId, kind: rule.kind, audience: rule.audience, source: rule.source, ...d, fulfilledAt, ...statusOf(rule.kind, d.dueDate, fulfilledAt, now) }];
  }).sort((a, b) => (a.dueDate === b.dueDate ? a.id.localeCompare(b.id) : a.dueDate < b.dueDate ? -1 : 1));
};

/** The code a calendar deadline is recorded under when missed, or null when it is not recorded. */
export const missedCodeOf = (id: DeadlineId): MissedDeadline | null => RULES.find((r) => r.id === id)?.missedAs ?? null;

/** The due date the calendar gives one deadline for these facts, whatever its status; null when the facts do not set it yet. */
export const dueDateOf = (id: DeadlineId, facts: MobilityFactsInput, policy?: PolicyOverrides): string | null => {
  const rule = RULES.find((r) => r.id === id)!;
  const p = Policy.parse(policy ?? {});
  if (rule.preDeparture && !p.preDepartureDeadlines) return null;
  return rule.derive(MobilityFacts.parse(facts), p)?.dueDate ?? null;
};
