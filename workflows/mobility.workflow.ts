import {
  ApplicationFailure, ActivityFailure, allHandlersFinished, condition, defineUpdate, patched, proxyActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createBudgetActivities } from '../activities/budget';
import type { createEventActivities } from '../activities/events';
import type { createNotificationActivities } from '../activities/notifications';
import type { createPaymentActivities } from '../activities/payments';
import { Policy } from '../domain/calendar/policy';
import { nextReminderAllowed } from '../domain/calendar/reminders';
import { type EventEnvelope, eventIdFor } from '../domain/envelope';
import { utcDateOf } from '../domain/dates';
import { ACTION_COMMAND, type ActionName } from '../domain/mobility/actions';
import type { MobilityCommand } from '../domain/mobility/commands';
import { decide } from '../domain/mobility/decide';
import type { MobilityEvent } from '../domain/mobility/events';
import { evolve } from '../domain/mobility/evolve';
import { extendedGrant, finalGrant, plannedGrant } from '../domain/mobility/grant';
import { CERTIFIED_STAGES, SELECTED_STAGES } from '../domain/mobility/lifecycle';
import { isRejection } from '../domain/mobility/rejection';
import {
  type PaymentInstruction, type PlannedAlarm, alarmEffect, isClosed, liveDeadlines, nextDeadline, pendingAlarms, plannedAlarms,
  prefinancingPayment, settlement,
} from '../domain/mobility/schedule';
import { type MobilityState, type OpenMobility, inStage, initialState, netPaid } from '../domain/mobility/state';
import {
  type AuditEntry, type DeadlinesView, ExternalFacts, type GrantView, type MobilityView, Payloads, type StartMobility, type UpdateResult,
  auditQuery, deadlinesQuery, grantQuery, hostCertificateOfAttendanceSignal, stateQuery, surveySubmittedSignal, transcriptReceivedSignal,
  updates, viewQuery,
} from './messages';
import { ConsortiumIdKey, InstitutionIdKey, MobilityStageKey, NextDeadlineKey, ProjectIdKey } from './search-attributes';

const retry = { initialInterval: '1s', maximumInterval: '30s' } as const;
const { publishEvents } = proxyActivities<ReturnType<typeof createEventActivities>>({ startToCloseTimeout: '15s', retry });
const { sendReminder } = proxyActivities<ReturnType<typeof createNotificationActivities>>({ startToCloseTimeout: '15s', retry });
const { writePaymentOrder } = proxyActivities<ReturnType<typeof createPaymentActivities>>({
  startToCloseTimeout: '15s', retry: { ...retry, nonRetryableErrorTypes: ['PaymentOrderConflict'] },
});
const budget = proxyActivities<ReturnType<typeof createBudgetActivities>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['InsufficientFunds', 'NoMobilitiesLeft', 'UnknownLine', 'ProjectNotRegistered', 'AlreadyReserved', 'NoReservation'] },
});

/** Behaviour change introduced after the first histories were recorded: escalate an overdue participant report to the coordinator. */
export const REPORT_ESCALATION_PATCH = 'report-escalation-to-coordinator';
const SYSTEM = 'system:workflow';

/**
 * One mobility, one durable workflow (id = mobility id). It orchestrates only; every rule is the
 * domain's (decide/evolve, the lifecycle table, the schedule of alarms and payments, the grant):
 * - a staff action is an Update whose validator runs decide (a refusal never reaches the history)
 *   and whose handler applies the events, after and before the I/O the action needs;
 * - external facts arrive as Signals, applied when the domain accepts them, audited otherwise;
 * - the main loop publishes the events in order, then sleeps on a durable timer until the next
 *   alarm of the domain's schedule, recomputed after every change;
 * - I/O (Kafka, the e-mail outbox, payment orders, the budget guard) happens in activities, each keyed
 *   so that a retry repeats nothing.
 */
export async function mobilityWorkflow(input: StartMobility): Promise<MobilityView> {
  const policy = Policy.parse(input.policy ?? {});
  const escalateOverdueReport = patched(REPORT_ESCALATION_PATCH);
  let state: MobilityState = initialState;
  let sequence = 0;
  let published = 0;
  let version = 0;
  const outbox: EventEnvelope[] = [];
  const audit: AuditEntry[] = [];
  const signals: { action: string; build: () => MobilityCommand | null }[] = [];
  /** Alarms fired, and reminders that must wait for the 24 h gap (key → earliest ms). */
  const done = new Set<string>();
  const deferred = new Map<string, number>();
  const sent: DeadlinesView['remindersSent'] = {};
  const held = { cents: 0, note: null as string | null, ops: 0 };

  const nowIso = () => new Date(Date.now()).toISOString();
  const base = (actor: string) => ({ mobilityId: input.mobilityId, at: nowIso(), actor });
  const record = (entry: Omit<AuditEntry, 'at'>) => audit.push({ at: nowIso(), ...entry });
  const open = (): OpenMobility => {
    if (state.stage === 'none') throw ApplicationFailure.nonRetryable('no application', 'NoApplication');
    return state;
  };
  const apply = (events: MobilityEvent[]) => {
    for (const e of events) {
      state = evolve(state, e);
      const { identity } = open();
      outbox.push({
        eventId: eventIdFor(input.mobilityId, sequence), type: e.type, version: e.version, occurredAt: e.payload.at, mobilityId: input.mobilityId,
        projectId: identity.projectId, institutionId: identity.institutionId, consortiumId: identity.consortiumId, sequence, payload: e.payload,
      });
      sequence++;
    }
    if (events.length > 0) version++;
  };
  /** decide or throw the domain's reason as a non-retryable failure (validators and handlers). */
  const decideOrThrow = (cmd: MobilityCommand): MobilityEvent[] => {
    const d = decide(cmd, state, policy);
    if (isRejection(d)) throw ApplicationFailure.nonRetryable(d.reason, d.code, { ruleId: d.ruleId });
    return d;
  };
  /** Decide a command of the engine's own; apply and audit it if the domain accepts it. */
  const tryApply = (action: string, cmd: MobilityCommand, detail = ''): boolean => {
    const d = decide(cmd, state, policy);
    if (isRejection(d)) return false;
    apply(d);
    record({ actor: cmd.actor, action, outcome: 'applied', detail, events: d.map((e) => e.type) });
    return true;
  };
  const grant = <T>(compute: () => T): T => {
    try {
      return compute();
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`grant: ${(err as Error).message}`, 'GrantRuleBroken');
    }
  };

  // ---------- the application (before any handler is set, so an Update delivered with the start sees it) ----------
  const { rates, policy: _policy, ...application } = input;
  const submitted = decide({ type: 'SubmitApplication', ...application, at: nowIso() }, state, policy);
  if (isRejection(submitted)) throw ApplicationFailure.nonRetryable(submitted.reason, submitted.code);
  apply(submitted);
  record({ actor: input.actor, action: 'submitApplication', outcome: 'applied', detail: '', events: submitted.map((e) => e.type) });
  upsertSearchAttributes([
    { key: ProjectIdKey, value: input.projectId },
    { key: InstitutionIdKey, value: input.institutionId },
    ...(input.consortiumId ? [{ key: ConsortiumIdKey, value: input.consortiumId }] : []),
  ]);

  // ---------- effects: the budget guard, payments, settlement ----------
  const budgetCall = async (what: 'reserve' | 'adjust' | 'release', amountCents: number, reason = 'released'): Promise<void> => {
    const { identity } = open();
    const op = `budget-${++held.ops}`;
    try {
      const r = what === 'reserve'
        ? await budget.reserveBudget(identity.projectId, { mobilityId: input.mobilityId, lineId: identity.funderLineId, amountCents }, op)
        : what === 'adjust'
          ? await budget.adjustReservation(identity.projectId, { mobilityId: input.mobilityId, amountCents }, op)
          : await budget.releaseReservation(identity.projectId, { mobilityId: input.mobilityId, reason }, op);
      held.cents = r.heldCents;
      record({ actor: SYSTEM, action: `budget.${what}`, outcome: 'applied', detail: `holds ${r.heldCents} cents on line ${r.lineId}; ${r.remainingCents} cents and ${r.remainingMobilities} mobilities left`, events: [] });
    } catch (err) {
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : null;
      if (cause) throw ApplicationFailure.nonRetryable(cause.message, cause.type ?? 'BudgetRefused');
      throw err;
    }
  };
  /** The final grant fixes the reservation: lower releases the difference; higher is reserved if the line allows. */
  const adjustToFinal = async () => {
    if (!inStage(state, ['attended'])) return;
    try {
      await budgetCall('adjust', state.attendance.finalGrant.totalCents);
      held.note = null;
    } catch (err) {
      held.note = `final grant not covered by the budget line: ${(err as Error).message}`;
      record({ actor: SYSTEM, action: 'budget.adjust', outcome: 'refused', detail: held.note, events: [] });
    }
  };
  const orderPayment = async (pay: PaymentInstruction | null) => {
    if (!pay) return;
    const action = `payment.${pay.kind}`;
    const check = decide(pay.command, state, policy);
    if (isRejection(check)) return void record({ actor: SYSTEM, action, outcome: 'refused', detail: check.reason, events: [] });
    const { identity } = open();
    await writePaymentOrder({ mobilityId: input.mobilityId, projectId: identity.projectId, participantRef: identity.participantRef, kind: pay.kind, sequence: pay.sequence, amountCents: pay.amountCents, dueDate: pay.dueDate, basis: pay.basis });
    const events = decideOrThrow({ ...pay.command, at: nowIso() });
    apply(events);
    record({ actor: SYSTEM, action, outcome: 'applied', detail: `${pay.amountCents} cents due ${pay.dueDate} (${pay.command.paymentId})`, events: events.map((e) => e.type) });
  };
  const settle = async () => {
    await orderPayment(settlement(state, policy, base(SYSTEM)));
    version++;
  };

  // ---------- staff Updates: the domain command, what the engine adds to it, and the I/O around it ----------
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lock.then(fn);
    lock = p.catch(() => undefined);
    return p;
  };
  /** What the engine adds to a person's input: the grants, the policy's pre-financing rate. */
  const supplied = (name: ActionName, p: Record<string, unknown>): Record<string, unknown> => {
    switch (name) {
      case 'select':
      case 'promote':
        return { estimatedGrant: grant(() => plannedGrant(open(), rates)) };
      case 'approveExtension':
        return { revisedGrant: grant(() => extendedGrant(open(), rates)) };
      case 'recordCertificateOfAttendance':
        return { finalGrant: grant(() => finalGrant(open(), rates, p as { actualStartDate: string; actualEndDate: string })) };
      case 'signAgreement':
        return { prefinancingPercent: p.prefinancingPercent ?? policy.prefinancingPercent };
      default:
        return {};
    }
  };
  const commandOf = (name: ActionName, raw: unknown): MobilityCommand => {
    const r = Payloads[name].safeParse(raw);
    if (!r.success) throw ApplicationFailure.nonRetryable(`invalid ${name}: ${r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`, 'InvalidInput');
    const p = r.data as Record<string, unknown> & { actor: string };
    return { type: ACTION_COMMAND[name], ...p, ...supplied(name, p), ...base(p.actor) } as MobilityCommand;
  };
  const amountOf = (cmd: MobilityCommand): number =>
    cmd.type === 'SelectParticipant' || cmd.type === 'PromoteFromReserveList' ? cmd.estimatedGrant.totalCents : cmd.type === 'ApproveExtension' ? cmd.revisedGrant.totalCents : 0;
  const before: Partial<Record<ActionName, (cmd: MobilityCommand) => Promise<void>>> = {
    select: (cmd) => budgetCall('reserve', amountOf(cmd)),
    promote: (cmd) => budgetCall('reserve', amountOf(cmd)),
    approveExtension: (cmd) => budgetCall('adjust', amountOf(cmd)),
  };
  const after: Partial<Record<ActionName, () => Promise<void>>> = {
    withdraw: () => budgetCall('release', 0, 'withdrawn'),
    signAgreement: () => orderPayment(prefinancingPayment(state, base(SYSTEM))),
    recordCertificateOfAttendance: adjustToFinal,
    recordReportSubmitted: settle,
    cancel: async () => {
      await budgetCall('release', 0, 'cancelled');
      if (netPaid(open().payments) > 0) await settle();
    },
  };
  for (const name of Object.keys(updates) as ActionName[]) {
    // Registered by name with the raw payload: the domain's schema validates it (the client uses the typed definitions).
    setHandler(
      defineUpdate<UpdateResult, [unknown]>(name),
      (raw) => exclusive(async (): Promise<UpdateResult> => {
        decideOrThrow(commandOf(name, raw)); // the state may have moved since the validator ran
        await before[name]?.(commandOf(name, raw));
        const events = decideOrThrow(commandOf(name, raw));
        apply(events);
        record({ actor: events[0]?.payload.actor ?? SYSTEM, action: name, outcome: 'applied', detail: '', events: events.map((e) => e.type) });
        await after[name]?.();
        return { stage: state.stage, events: events.map((e) => e.type) };
      }),
      { validator: (raw) => void decideOrThrow(commandOf(name, raw)) },
    );
  }

  // ---------- external facts (Signals) ----------
  const external = (action: string, actor: string, parsed: { success: boolean; data?: Record<string, unknown> }, type: MobilityCommand['type'], extra: () => Record<string, unknown> = () => ({})) =>
    void signals.push({ action, build: () => (parsed.success ? ({ type, ...parsed.data, ...extra(), ...base(actor) } as MobilityCommand) : null) });
  setHandler(hostCertificateOfAttendanceSignal, (raw) => {
    const r = ExternalFacts.hostCertificateOfAttendance.safeParse(raw);
    external('host.certificateOfAttendance', 'external:host', r, 'RecordCertificateOfAttendance', () => ({ finalGrant: grant(() => finalGrant(open(), rates, r.data!)) }));
  });
  setHandler(surveySubmittedSignal, (raw) => external('survey.submitted', 'external:eu-survey', ExternalFacts.surveySubmitted.safeParse(raw), 'RecordParticipantReportSubmitted'));
  setHandler(transcriptReceivedSignal, (raw) => external('host.transcriptReceived', 'external:host', ExternalFacts.transcriptReceived.safeParse(raw), 'RecordTranscriptOfRecords'));
  const processSignal = async (sig: (typeof signals)[number]) => {
    let cmd: MobilityCommand | null;
    try {
      cmd = sig.build();
    } catch (err) {
      return void record({ actor: 'external', action: sig.action, outcome: 'refused', detail: (err as Error).message, events: [] });
    }
    if (!cmd) return void record({ actor: 'external', action: sig.action, outcome: 'refused', detail: 'invalid payload', events: [] });
    const d = decide(cmd, state, policy);
    if (isRejection(d)) return void record({ actor: cmd.actor, action: sig.action, outcome: 'refused', detail: d.reason, events: [] });
    apply(d);
    record({ actor: cmd.actor, action: sig.action, outcome: 'applied', detail: '', events: d.map((e) => e.type) });
    if (cmd.type === 'RecordCertificateOfAttendance') await adjustToFinal();
    if (cmd.type === 'RecordParticipantReportSubmitted') await settle();
  };

  // ---------- alarms: the domain's schedule, fired in order ----------
  const pending = () => pendingAlarms(plannedAlarms(state, policy, nowIso(), { escalateOverdueReport }), done, deferred);
  const notify = async (a: PlannedAlarm, kind: 'reminder' | 'escalation', audience: 'participant' | 'coordinator'): Promise<boolean> => {
    const allowed = nextReminderAllowed(sent[a.deadlineId]?.lastAt ?? null, nowIso());
    if (!allowed.allowed) {
      deferred.set(a.key, Date.parse(allowed.notBefore));
      record({ actor: SYSTEM, action: `${kind}.${a.deadlineId}`, outcome: 'skipped', detail: allowed.reason, events: [] });
      return false;
    }
    const { identity } = open();
    const attempt = (sent[a.deadlineId]?.count ?? 0) + 1;
    const r = await sendReminder({
      mobilityId: input.mobilityId, projectId: identity.projectId, institutionId: identity.institutionId, participantRef: identity.participantRef,
      deadlineId: a.deadlineId, deadlineLabel: a.label, dueDate: a.dueDate, attempt, kind, recipientRole: audience,
    });
    sent[a.deadlineId] = { count: attempt, lastAt: nowIso() };
    record({ actor: SYSTEM, action: `${kind}.${a.deadlineId}`, outcome: 'sent', detail: `to ${audience} (${r.status}, ${r.messageId})`, events: [] });
    return true;
  };
  const fire = async (a: PlannedAlarm) => {
    const effect = alarmEffect(a, base(SYSTEM));
    // A reminder is sent before it is counted; an overdue deadline is recorded before the coordinator hears of it.
    if (effect.command && a.kind !== 'reminder') tryApply(`${a.kind}.${a.deadlineId}`, effect.command, `due ${a.dueDate}`);
    if (effect.notify && !(await notify(a, effect.notify.kind, effect.notify.audience))) return;
    if (effect.command && a.kind === 'reminder') tryApply(`${a.kind}.${a.deadlineId}`, effect.command);
    done.add(a.key);
    deferred.delete(a.key);
    version++;
  };

  // ---------- search attributes and queries ----------
  let lastAttrs = '';
  const syncSearchAttributes = () => {
    if (state.stage === 'none') return;
    const next = nextDeadline(state, policy, utcDateOf(nowIso()));
    const key = JSON.stringify({ stage: state.stage, next: next?.dueDate ?? null });
    if (key === lastAttrs) return;
    lastAttrs = key;
    upsertSearchAttributes([
      { key: MobilityStageKey, value: state.stage },
      { key: NextDeadlineKey, value: next ? new Date(`${next.dueDate}T00:00:00Z`) : null },
    ]);
  };
  const closed = () => isClosed(state, pending());
  setHandler(viewQuery, () => ({ mobilityId: input.mobilityId, stage: state.stage, eventsPublished: published, eventsRecorded: sequence, closed: closed() }));
  setHandler(stateQuery, () => state);
  setHandler(auditQuery, () => audit);
  setHandler(deadlinesQuery, () => ({ deadlines: liveDeadlines(state, policy, utcDateOf(nowIso())), alarms: pending(), remindersSent: sent }));
  setHandler(grantQuery, (): GrantView => {
    const s = state;
    return {
      estimated: inStage(s, SELECTED_STAGES) ? s.selection.estimatedGrant : null,
      final: inStage(s, CERTIFIED_STAGES) ? s.attendance.finalGrant : null,
      payments: s.stage === 'none' ? null : s.payments,
      budget: { lineId: s.stage === 'none' ? '' : s.identity.funderLineId, heldCents: held.cents, note: held.note },
    };
  });

  // ---------- main loop ----------
  const publishAll = async () => {
    while (outbox.length > 0) {
      const batch = outbox.slice(0, 50);
      await publishEvents(batch);
      outbox.splice(0, batch.length);
      published += batch.length;
    }
  };
  for (;;) {
    await publishAll();
    while (signals.length > 0) {
      const sig = signals.shift()!;
      await exclusive(() => processSignal(sig));
    }
    if (outbox.length > 0) continue;
    syncSearchAttributes();
    // Alarms are computed under the lock: an Update in flight (e.g. ordering the pre-financing) finishes first.
    const fired = await exclusive(async () => {
      const due = pending().filter((a) => Date.parse(a.at) <= Date.now());
      for (const a of due) await fire(a);
      return due.length;
    });
    if (fired > 0) continue;
    if (closed()) break;
    const next = pending()[0];
    const seen = version;
    const wake = () => outbox.length > 0 || signals.length > 0 || version !== seen || closed();
    if (next) await condition(wake, Math.max(1, Date.parse(next.at) - Date.now()));
    else await condition(wake);
  }
  await condition(allHandlersFinished);
  await publishAll();
  return { mobilityId: input.mobilityId, stage: state.stage, eventsPublished: published, eventsRecorded: sequence, closed: true };
}
