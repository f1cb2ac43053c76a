import { activityRule, type ActivityCode } from '../activity';
import { DEADLINE_LABELS, type Deadline, type DeadlineId, deadlinesFor, missedCodeOf } from '../calendar/deadlines';
import type { MobilityFactsInput } from '../calendar/facts';
import type { Policy } from '../calendar/policy';
import { reportReminders } from '../calendar/reminders';
import { addDays, maxDate, utcDateOf } from '../dates';
import { formatEur } from '../money';
import type { CommandOf } from './commands';
import { paymentIdFor, type PaymentKind } from './codes';
import { AGREED_STAGES, CERTIFIED_STAGES, DEPARTED_STAGES, LIFECYCLE, SELECTED_STAGES, TERMINAL_STAGES } from './lifecycle';
import { type MobilityState, type OpenMobility, type Payments, grantDue, inStage, netPaid } from './state';
import type { GrantBreakdown } from '../grant/breakdown';

/**
 * What happens to a mobility over time, as pure functions of its state, the project's deadline
 * policy and the instant: the calendar facts, the deadlines live in its stage, the alarms the
 * workflow sleeps until (invitation, reminders, escalations, overdue), and the payments it orders.
 * The workflow only arms timers on these and carries out what they say.
 */

/** HE learners get a transcript of records that recognition rests on (reference §2 ToR, §4 EWP ToRs). */
export const transcriptApplies = (activity: ActivityCode): boolean => {
  const r = activityRule(activity);
  return r.sector === 'HE' && r.participant === 'learner';
};

/** Learners are asked to take the OLS language assessment before departure (§2 OLS; staff are not). */
export const olsApplies = (activity: ActivityCode): boolean => activityRule(activity).participant === 'learner';

/** The balance is settled once a balance or recovery is ordered after the report, or when nothing is owed then. */
const balanceSettledOn = (s: OpenMobility): string | undefined => {
  if (!inStage(s, ['reported', 'recognised'])) return undefined;
  const order = s.payments.orders.find((o) => o.kind !== 'prefinancing' && o.at >= s.report.recordedAt);
  if (order) return utcDateOf(order.at);
  return netPaid(s.payments) === grantDue(s) ? utcDateOf(s.report.recordedAt) : undefined;
};

/** What the calendar knows of a mobility, read from its state alone (null before the application). */
export const calendarFacts = (s: MobilityState): MobilityFactsInput | null => {
  if (s.stage === 'none') return null;
  const f: MobilityFactsInput = { expectsTranscript: transcriptApplies(s.identity.activity), expectsOls: olsApplies(s.identity.activity) };
  if (inStage(s, AGREED_STAGES)) {
    f.agreementSignedByParticipant = s.agreement.participantSignedOn;
    f.agreementSignedByInstitution = s.agreement.institutionSignedOn;
    f.agreementSignedAt = maxDate(s.agreement.participantSignedOn, s.agreement.institutionSignedOn);
    f.prefinancingPercent = s.agreement.prefinancingPercent;
  }
  if (s.ols.before) f.olsBeforeAt = utcDateOf(s.ols.before.at);
  if (inStage(s, DEPARTED_STAGES)) f.departedOn = s.departure.actualStartDate;
  if (inStage(s, CERTIFIED_STAGES)) f.certificateReceivedAt = utcDateOf(s.attendance.certifiedAt);
  if (inStage(s, SELECTED_STAGES)) {
    f.startDate = inStage(s, DEPARTED_STAGES) ? s.departure.actualStartDate : s.plan.startDate;
    f.endDate = inStage(s, CERTIFIED_STAGES) ? s.attendance.actualEndDate : s.plan.endDate;
    if (f.endDate < f.startDate) f.endDate = f.startDate;
    if (inStage(s, DEPARTED_STAGES)) f.termStartDate = f.startDate;
  }
  if (s.learningAgreement.lastChangedAt) f.laChangeRequestedAt = f.laChangeDecidedAt = utcDateOf(s.learningAgreement.lastChangedAt);
  if (s.extension.status !== 'none') f.extensionRequestedAt = utcDateOf(s.extension.requestedAt);
  if (s.reportInvitation) f.reportInvitedAt = s.reportInvitation.invitedOn;
  if (inStage(s, ['reported', 'recognised'])) f.reportSubmittedAt = s.report.submittedOn;
  if (s.transcript) f.transcriptReceivedAt = s.transcript.receivedOn;
  if (s.stage === 'recognised') f.recognitionRecordedAt = utcDateOf(s.recognition.recordedAt);
  const prefinancing = s.payments.orders.find((o) => o.kind === 'prefinancing');
  if (prefinancing) f.prefinancingPaidAt = utcDateOf(prefinancing.at);
  const settled = balanceSettledOn(s);
  if (settled) f.balanceSettledAt = settled;
  return f;
};

/** The deadlines live in the mobility's stage (lifecycle table), with their status on `today`. */
export const liveDeadlines = (s: MobilityState, policy: Policy, today: string): Deadline[] => {
  const f = calendarFacts(s);
  const live = LIFECYCLE[s.stage].deadlines;
  if (!f || live.length === 0) return [];
  const all = deadlinesFor(f, { now: today, policy });
  return all.filter((d) => (live as readonly DeadlineId[]).includes(d.id));
};

/** The next open deadline (what a worklist, a list column and the NextDeadline search attribute show). */
export const nextDeadline = (s: MobilityState, policy: Policy, today: string): Deadline | null =>
  liveDeadlines(s, policy, today).find((d) => d.status === 'open') ?? null;

export interface PlannedAlarm {
  /** Unique per alarm and date: an alarm that has fired is never fired again. */
  key: string;
  /** ISO date-time when it fires. */
  at: string;
  deadlineId: DeadlineId;
  label: string;
  dueDate: string;
  kind: 'invite' | 'reminder' | 'escalation' | 'overdue';
  audience: 'participant' | 'coordinator' | 'system';
}

const at9 = (date: string) => `${date}T09:00:00.000Z`;
const midnight = (date: string) => `${date}T00:00:00.000Z`;

/**
 * Every alarm of the mobility, fired or not, sorted by instant then key:
 * - the participant-report invitation the day after certified attendance ends;
 * - for the participant report, the policy's reminders and (when `escalateOverdueReport`) the escalation;
 * - for other deadlines, a reminder `policy.reminderLeadDays` before the due date (notice periods always; the host's
 *   certificate on the end date at the latest);
 * - for obligations, the overdue alarm the day after the due date (recorded as missed, the coordinator told).
 * Fulfilled deadlines and windows that have lapsed are not reminded.
 */
export const plannedAlarms = (s: MobilityState, policy: Policy, now: string, options: { escalateOverdueReport: boolean }): PlannedAlarm[] => {
  const f = calendarFacts(s);
  if (!f || s.stage === 'none' || inStage(s, TERMINAL_STAGES)) return [];
  const out: PlannedAlarm[] = [];
  const alarm = (a: Omit<PlannedAlarm, 'label'>) => out.push({ ...a, label: DEADLINE_LABELS[a.deadlineId] });
  if (s.stage === 'attended' && !s.reportInvitation) {
    const date = addDays(s.attendance.actualEndDate, 1);
    alarm({ key: `invite:${date}`, at: midnight(date), deadlineId: 'participant-report', dueDate: date, kind: 'invite', audience: 'system' });
  }
  for (const d of liveDeadlines(s, policy, utcDateOf(now))) {
    if (d.fulfilledAt !== null || (d.kind === 'window' && d.status !== 'open')) continue;
    if (d.id === 'participant-report') {
      // Until the invitation is sent, the calendar's assumed invitation date is moot.
      if (!s.reportInvitation) continue;
      for (const r of reportReminders(f, { policy })) {
        if (r.kind === 'escalation' && !options.escalateOverdueReport) continue;
        alarm({ key: `${d.id}:${r.id}:${r.date}`, at: at9(r.date), deadlineId: d.id, dueDate: d.dueDate, kind: r.kind, audience: r.audience });
      }
    } else {
      // The host is reminded of the certificate on the end date at the latest (§2: it confirms the actual dates).
      const onEnd = d.id === 'certificate-of-attendance';
      const remindOn = onEnd ? maxDate(addDays(d.dueDate, -policy.reminderLeadDays), d.trigger.date) : addDays(d.dueDate, -policy.reminderLeadDays);
      if (remindOn > d.trigger.date || d.trigger.relation === 'before' || onEnd) {
        alarm({ key: `${d.id}:reminder:${d.dueDate}`, at: at9(remindOn), deadlineId: d.id, dueDate: d.dueDate, kind: 'reminder', audience: d.audience === 'participant' ? 'participant' : 'coordinator' });
      }
    }
    if (d.kind === 'obligation') {
      alarm({ key: `${d.id}:overdue:${d.dueDate}`, at: midnight(addDays(d.dueDate, 1)), deadlineId: d.id, dueDate: d.dueDate, kind: 'overdue', audience: d.id === 'participant-report' ? 'system' : 'coordinator' });
    }
  }
  return sortAlarms(out);
};

const sortAlarms = (xs: PlannedAlarm[]): PlannedAlarm[] =>
  xs.sort((a, b) => (a.at === b.at ? a.key.localeCompare(b.key) : a.at < b.at ? -1 : 1));

/**
 * The alarms still to fire: those not done, each at its planned instant or later when a reminder
 * had to wait (the 24 h gap, `deferred` = key → earliest epoch ms).
 */
export const pendingAlarms = (planned: readonly PlannedAlarm[], done: ReadonlySet<string>, deferred: ReadonlyMap<string, number>): PlannedAlarm[] =>
  sortAlarms(planned
    .filter((a) => !done.has(a.key))
    .map((a) => ({ ...a, at: new Date(Math.max(Date.parse(a.at), deferred.get(a.key) ?? 0)).toISOString() })));

/** The workflow's work is over: closed early, or recognised with nothing left to watch. */
export const isClosed = (s: MobilityState, pending: readonly PlannedAlarm[]): boolean =>
  inStage(s, TERMINAL_STAGES) || (s.stage === 'recognised' && pending.length === 0);

/** What an alarm that comes due asks of the workflow: a command to decide, and whom to tell. */
export interface AlarmEffect {
  command: CommandOf<'InviteParticipantReport'> | CommandOf<'RemindParticipantReport'> | CommandOf<'RecordDeadlineMissed'> | null;
  /** A reminder or escalation e-mail to send (null: none). */
  notify: { kind: 'reminder' | 'escalation'; audience: 'participant' | 'coordinator' } | null;
}

export const alarmEffect = (a: PlannedAlarm, base: { mobilityId: string; at: string; actor: string }): AlarmEffect => {
  switch (a.kind) {
    case 'invite':
      return { command: { type: 'InviteParticipantReport', ...base }, notify: null };
    case 'reminder':
    case 'escalation':
      return {
        command: a.deadlineId === 'participant-report' && a.kind === 'reminder' ? { type: 'RemindParticipantReport', ...base } : null,
        notify: { kind: a.kind, audience: a.audience === 'participant' ? 'participant' : 'coordinator' },
      };
    case 'overdue': {
      const code = missedCodeOf(a.deadlineId);
      return {
        command: code ? { type: 'RecordDeadlineMissed', ...base, deadline: code } : null,
        notify: a.audience === 'coordinator' ? { kind: 'escalation', audience: 'coordinator' } : null,
      };
    }
    default: {
      const never: never = a.kind;
      throw new Error(`unknown alarm ${String(never)}`);
    }
  }
};

/** A payment the workflow orders: the domain command that records it and what the payment order says. */
export interface PaymentInstruction {
  command: CommandOf<'RecordPaymentOrdered'>;
  kind: PaymentKind;
  /** 1 for the first order of this kind, 2 for the next… (part of the payment id). */
  sequence: number;
  amountCents: number;
  dueDate: string;
  basis: string;
}

const instruction = (s: OpenMobility, kind: PaymentKind, amountCents: number, dueDate: string, basis: string, base: { at: string; actor: string }): PaymentInstruction => {
  const sequence = s.payments.orders.filter((o) => o.kind === kind).length + 1;
  const paymentId = paymentIdFor(s.identity.mobilityId, kind, sequence);
  return { command: { type: 'RecordPaymentOrdered', mobilityId: s.identity.mobilityId, ...base, kind, amountCents, paymentId }, kind, sequence, amountCents, dueDate, basis };
};

/** Pre-financing once the agreement is signed: the agreed share of the estimated grant, by the agreed due date. */
export const prefinancingPayment = (s: MobilityState, base: { at: string; actor: string }): PaymentInstruction | null => {
  if (!inStage(s, ['agreed']) || s.agreement.prefinancingCents <= 0 || s.payments.prefinancingCents > 0) return null;
  const a = s.agreement;
  return instruction(s, 'prefinancing', a.prefinancingCents, a.prefinancingDueOn, `${a.prefinancingPercent} % of the estimated grant ${formatEur(s.selection.estimatedGrant.totalCents)}`, base);
};

/**
 * The settlement after the participant report (the balance request) or a cancellation: the balance
 * when less was paid than is due, a recovery when more was, nothing when they agree. Due on the
 * calendar's balance-payment date (report + policy.balanceDays); after a cancellation, policy.balanceDays from today.
 */
export const settlement = (s: MobilityState, policy: Policy, base: { at: string; actor: string }): PaymentInstruction | null => {
  if (s.stage === 'none') return null;
  const due = grantDue(s) ?? 0;
  const paid = netPaid(s.payments);
  if (due === paid) return null;
  const dueDate = liveDeadlines(s, policy, utcDateOf(base.at)).find((d) => d.id === 'balance-payment')?.dueDate ?? addDays(utcDateOf(base.at), policy.balanceDays);
  return due > paid
    ? instruction(s, 'balance', due - paid, dueDate, `final grant ${formatEur(due)} − paid ${formatEur(paid)}`, base)
    : instruction(s, 'recovery', paid - due, dueDate, `paid ${formatEur(paid)} − grant due ${formatEur(due)}`, base);
};

/** The grants of a mobility as staff see them: the estimate once selected, the final grant once attendance is certified, and the payments. */
export const grantsOf = (s: MobilityState): { estimated: GrantBreakdown | null; final: GrantBreakdown | null; payments: Payments | null } => ({
  estimated: inStage(s, SELECTED_STAGES) ? s.selection.estimatedGrant : null,
  final: inStage(s, CERTIFIED_STAGES) ? s.attendance.finalGrant : null,
  payments: s.stage === 'none' ? null : s.payments,
});
