import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createBudgetActivities } from '../activities/budget';
import type { createEventActivities } from '../activities/events';
import type { createNotificationActivities } from '../activities/notifications';
import type { createPaymentActivities } from '../activities/payments';
import { nextReminderAllowed } from '../domain/calendar/reminders';
import type { MobilityCommand } from '../domain/mobility/commands';
import type { Decision } from '../domain/mobility/decide';
import type { MobilityEvent } from '../domain/mobility/events';
import { isRejection } from '../domain/mobility/rejection';
import type { PaymentInstruction, PlannedAlarm } from '../domain/mobility/schedule';
import type { OpenMobility } from '../domain/mobility/state';
import type { AuditEntry, DeadlinesView } from './messages';

const retry = { initialInterval: '1s', maximumInterval: '30s' } as const;
export const { publishEvents } = proxyActivities<ReturnType<typeof createEventActivities>>({ startToCloseTimeout: '15s', retry });
/** The same publish as a local activity: run by the worker inside the workflow task, recorded as one marker (no task round trip). */
export const { publishEvents: publishEventsLocally } = proxyLocalActivities<ReturnType<typeof createEventActivities>>({ startToCloseTimeout: '15s', retry });
const paymentRetry = { ...retry, nonRetryableErrorTypes: ['PaymentOrderConflict'] };
const budgetRetry = { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['InsufficientFunds', 'NoMobilitiesLeft', 'UnknownLine', 'ProjectNotRegistered', 'AlreadyReserved', 'NoReservation', 'NotACoFundingLine'] };
type Io = {
  sendReminder: ReturnType<typeof createNotificationActivities>['sendReminder'];
  writePaymentOrder: ReturnType<typeof createPaymentActivities>['writePaymentOrder'];
  budget: ReturnType<typeof createBudgetActivities>;
};
/** The effects as activities (a task on the queue and three history events each), or as local activities (run by the worker inside the workflow task, one marker each); keyed the same way, so a retry repeats nothing. */
const io = (proxy: typeof proxyActivities): Io => ({
  sendReminder: proxy<ReturnType<typeof createNotificationActivities>>({ startToCloseTimeout: '15s', retry }).sendReminder,
  writePaymentOrder: proxy<ReturnType<typeof createPaymentActivities>>({ startToCloseTimeout: '15s', retry: paymentRetry }).writePaymentOrder,
  budget: proxy<ReturnType<typeof createBudgetActivities>>({ startToCloseTimeout: '15s', retry: budgetRetry }),
});
const remoteIo = io(proxyActivities);
const localIo = io(proxyLocalActivities as typeof proxyActivities);

export const SYSTEM = 'system:workflow';

/** What the effects need of the mobility workflow: its state, the domain's decision under its policy, and its audit trail. */
export interface EffectContext {
  open(): OpenMobility;
  decide(cmd: MobilityCommand): Decision;
  apply(events: MobilityEvent[]): void;
  record(entry: Omit<AuditEntry, 'at'>): void;
  nowIso(): string;
}

/**
 * The mobility's I/O, each call keyed so that a retry repeats nothing: the project's budget guard
 * (update ids from a per-mobility operation counter), payment orders (the domain's payment id),
 * reminders (the deadline and attempt). Orchestration only: amounts and dates come from the domain.
 */
export function mobilityEffects(ctx: EffectContext, local = false) {
  const { sendReminder, writePaymentOrder, budget } = local ? localIo : remoteIo;
  const held = { cents: 0, note: null as string | null, ops: 0, lines: [] as { lineId: string; heldCents: number }[] };
  const sent: DeadlinesView['remindersSent'] = {};

  /** A Temporal Update on the project's budget guard; a refusal fails with the guard's code and reason. */
  /** coFunding (a co-funded mobility only): each co-funding line's share, reserved or adjusted with the own line's amount in the same Update. */
  const budgetCall = async (what: 'reserve' | 'adjust' | 'release', amountCents: number, reason = 'released', coFunding?: { lineId: string; amountCents: number }[]): Promise<void> => {
    const { identity } = ctx.open();
    const op = `budget-${++held.ops}`;
    const mobilityId = identity.mobilityId;
    const co = coFunding ? { coFunding } : {};
    try {
      const r = what === 'reserve'
        ? await budget.reserveBudget(identity.projectId, { mobilityId, lineId: identity.funderLineId, amountCents, ...co }, op)
        : what === 'adjust'
          ? await budget.adjustReservation(identity.projectId, { mobilityId, amountCents, ...co }, op)
          : await budget.releaseReservation(identity.projectId, { mobilityId, reason }, op);
      held.cents = r.heldCents;
      held.lines = r.lines ?? [];
      const others = held.lines.filter((l) => l.lineId !== r.lineId).map((l) => `, ${l.heldCents} cents on co-funding line ${l.lineId}`).join('');
      ctx.record({ actor: SYSTEM, action: `budget.${what}`, outcome: 'applied', detail: `holds ${r.heldCents} cents on line ${r.lineId}${others}; ${r.remainingCents} cents and ${r.remainingMobilities} mobilities left`, events: [] });
    } catch (err) {
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : null;
      if (cause) throw ApplicationFailure.nonRetryable(cause.message, cause.type ?? 'BudgetRefused');
      throw err;
    }
  };

  /** The final grant fixes the reservation: lower releases the difference; higher is reserved if the line allows. */
  const adjustToFinal = async (finalCents: number, coFunding?: { lineId: string; amountCents: number }[]) => {
    try {
      await budgetCall('adjust', finalCents, undefined, coFunding);
      held.note = null;
    } catch (err) {
      held.note = `final grant not covered by the budget line: ${(err as Error).message}`;
      ctx.record({ actor: SYSTEM, action: 'budget.adjust', outcome: 'refused', detail: held.note, events: [] });
    }
  };

  /** Write the payment order (idempotent on its key), then record it as the domain's event. */
  const orderPayment = async (pay: PaymentInstruction | null) => {
    if (!pay) return;
    const action = `payment.${pay.kind}`;
    const check = ctx.decide(pay.command);
    if (isRejection(check)) return void ctx.record({ actor: SYSTEM, action, outcome: 'refused', detail: check.reason, events: [] });
    const { identity } = ctx.open();
    await writePaymentOrder({ mobilityId: identity.mobilityId, projectId: identity.projectId, participantRef: identity.participantRef, kind: pay.kind, sequence: pay.sequence, amountCents: pay.amountCents, dueDate: pay.dueDate, basis: pay.basis });
    const events = ctx.decide({ ...pay.command, at: ctx.nowIso() });
    if (isRejection(events)) throw ApplicationFailure.nonRetryable(events.reason, events.code);
    ctx.apply(events);
    ctx.record({ actor: SYSTEM, action, outcome: 'applied', detail: `${pay.amountCents} cents due ${pay.dueDate} (${pay.command.paymentId})`, events: events.map((e) => e.type) });
  };

  /** A reminder or escalation e-mail, at most one per 24 h per deadline: returns false (and the instant to retry) when it must wait. */
  const notify = async (a: PlannedAlarm, kind: 'reminder' | 'escalation', audience: 'participant' | 'coordinator'): Promise<{ sent: true } | { sent: false; notBefore: number }> => {
    const allowed = nextReminderAllowed(sent[a.deadlineId]?.lastAt ?? null, ctx.nowIso());
    if (!allowed.allowed) {
      ctx.record({ actor: SYSTEM, action: `${kind}.${a.deadlineId}`, outcome: 'skipped', detail: allowed.reason, events: [] });
      return { sent: false, notBefore: Date.parse(allowed.notBefore) };
    }
    const { identity } = ctx.open();
    const attempt = (sent[a.deadlineId]?.count ?? 0) + 1;
    const r = await sendReminder({
      mobilityId: identity.mobilityId, projectId: identity.projectId, institutionId: identity.institutionId, participantRef: identity.participantRef,
      deadlineId: a.deadlineId, deadlineLabel: a.label, dueDate: a.dueDate, attempt, kind, recipientRole: audience,
    });
    sent[a.deadlineId] = { count: attempt, lastAt: ctx.nowIso() };
    ctx.record({ actor: SYSTEM, action: `${kind}.${a.deadlineId}`, outcome: 'sent', detail: `to ${audience} (${r.status}, ${r.messageId})`, events: [] });
    return { sent: true };
  };

  return { held, sent, budgetCall, adjustToFinal, orderPayment, notify };
}
