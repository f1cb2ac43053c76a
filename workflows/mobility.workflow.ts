import {
  ApplicationFailure, allHandlersFinished, condition, defineSignal, defineUpdate, patched, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import { Policy } from '../domain/calendar/policy';
import { type EventEnvelope, mobilityEnvelope } from '../domain/envelope';
import { utcDateOf } from '../domain/dates';
import { ACTION_COMMAND, type ActionName } from '../domain/mobility/actions';
import type { CommandOf, MobilityCommand } from '../domain/mobility/commands';
import { decide } from '../domain/mobility/decide';
import type { MobilityEvent } from '../domain/mobility/events';
import { evolve } from '../domain/mobility/evolve';
import { attendedDates, extendedDates, extendedGrant, finalGrant, fundingFor, plannedDates, plannedGrant, sharesByLine } from '../domain/mobility/grant';
import type { FundingShare } from '../domain/funding';
import { isRejection } from '../domain/mobility/rejection';
import {
  type PlannedAlarm, alarmEffect, grantsOf, isClosed, liveDeadlines, nextDeadline, pendingAlarms, plannedAlarms,
  prefinancingPayment, settlement,
} from '../domain/mobility/schedule';
import { type MobilityState, type OpenMobility, grantDue, inStage, initialState, netPaid } from '../domain/mobility/state';
import {
  type AuditEntry, type DeadlinesView, EXTERNAL_FACTS, ExternalFacts, type GrantView, type MobilityView, Payloads, type StartMobility,
  type UpdateResult, auditQuery, deadlinesQuery, grantQuery, snapshotQuery, stateQuery, updates, viewQuery,
} from './messages';
import { SYSTEM, mobilityEffects, publishEvents, publishEventsLocally } from './mobility.effects';
import { ConsortiumIdKey, InstitutionIdKey, MobilityStageKey, NextDeadlineKey, ProjectIdKey } from './search-attributes';

/** Behaviour changes after histories were recorded: escalate an overdue participant report; publish the deadline schedule; deadlines before departure. */
export const REPORT_ESCALATION_PATCH = 'report-escalation-to-coordinator';
export const DEADLINE_SCHEDULE_PATCH = 'deadline-schedule-events';
/** The calendar's deadlines before departure and the host's certificate (policy.preDepartureDeadlines) for mobilities started since. */
export const PRE_DEPARTURE_PATCH = 'pre-departure-deadlines';
/** A co-funded mobility (input.coFunding): every grant with its shares per line, each share reserved on its line. */
export const CO_FUNDING_PATCH = 'co-funding';
/** Events published by a local activity (one marker, no activity task round trip), an Update's events together. */
export const LOCAL_PUBLISH_PATCH = 'local-publish';
/** The budget guard's calls, payment orders and reminders by local activity too: no activity task of a mobility left on the queue. */
export const LOCAL_EFFECTS_PATCH = 'local-effects';
/**
 * Mobilities started since run their I/O as (regular) activities again: with local ones, 50 mobilities taken over at
 * once sent their budget Updates to one guard faster than the server's 10 in flight allow, and an Update reaching a
 * mobility while a local activity ran could be refused as not processed. The local paths stay for the histories
 * recorded under them.
 */
export const REGULAR_ACTIVITIES_PATCH = 'regular-activities';

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
  const escalateOverdueReport = patched(REPORT_ESCALATION_PATCH);
  const publishSchedule = patched(DEADLINE_SCHEDULE_PATCH);
  const preDeparture = patched(PRE_DEPARTURE_PATCH);
  const regularActivities = patched(REGULAR_ACTIVITIES_PATCH);
  const localPublish = !regularActivities && patched(LOCAL_PUBLISH_PATCH);
  const publish = localPublish ? publishEventsLocally : publishEvents;
  const localEffects = !regularActivities && patched(LOCAL_EFFECTS_PATCH);
  const policy = Policy.parse({ ...(input.policy ?? {}), ...(preDeparture ? {} : { preDepartureDeadlines: false }) });
  // Only a co-funded mobility asks: no earlier history had co-funding, and one without it behaves as before.
  const coFunded = input.coFunding && patched(CO_FUNDING_PATCH) ? input.coFunding : null;
  /** The co-funded shares of the current estimate and of the final grant, as the events carry them. */
  const funding: { estimated: FundingShare[]; final: FundingShare[] } = { estimated: [], final: [] };
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

  const nowIso = () => new Date(Date.now()).toISOString();
  const base = (actor: string) => ({ mobilityId: input.mobilityId, at: nowIso(), actor });
  const record = (entry: Omit<AuditEntry, 'at'>) => audit.push({ at: nowIso(), ...entry });
  const open = (): OpenMobility => {
    if (state.stage === 'none') throw ApplicationFailure.nonRetryable('no application', 'NoApplication');
    return state;
  };
  const apply = (events: MobilityEvent[]) => {
    for (const e of events) {
      if (e.type === 'ParticipantSelected' || e.type === 'GrantRecalculated') funding.estimated = e.payload.funding;
      if (e.type === 'AttendanceCertified') funding.final = e.payload.funding;
      if (e.type === 'TakeOverRecorded') {
        for (const step of e.payload.steps) {
          if (step.type === 'ParticipantSelected') funding.estimated = step.payload.funding;
          if (step.type === 'AttendanceCertified') funding.final = step.payload.funding;
        }
      }
      state = evolve(state, e);
      outbox.push(mobilityEnvelope(e, open().identity, sequence++));
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
    if (isRejection(d) || d.length === 0) return false;
    apply(d);
    record({ actor: cmd.actor, action, outcome: 'applied', detail, events: d.map((e) => e.type) });
    return true;
  };
  const grant = <T>(compute: () => T): T => {
    try {
      return compute();
    } catch (err) {
      // The domain's reason, field by field: never a raw schema dump.
      const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
      const reason = issues ? issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ') : (err as Error).message;
      throw ApplicationFailure.nonRetryable(`grant: ${reason}`, 'GrantRuleBroken');
    }
  };

  // ---------- the application (before any handler is set, so an Update delivered with the start sees it) ----------
  const { rates, policy: _policy, takeover, coFunding: _coFunding, ...application } = input;
  /** The co-funded shares between two dates ([] when not co-funded), with the grant's own refusal on a broken rule. */
  const shares = (dates: { startDate: string; endDate: string }) => (coFunded ? grant(() => fundingFor(open(), rates, dates, coFunded)) : []);
  /** What the budget guard is asked to hold on each co-funding line (undefined when not co-funded: the Update is as before). */
  const coShares = (fs: readonly FundingShare[]) => (coFunded ? sharesByLine(fs).filter((x) => x.lineId !== input.funderLineId) : undefined);
  const submitted = decide({ type: 'SubmitApplication', ...application, at: nowIso() }, state, policy);
  if (isRejection(submitted)) throw ApplicationFailure.nonRetryable(submitted.reason, submitted.code);
  apply(submitted);
  record({ actor: input.actor, action: 'submitApplication', outcome: 'applied', detail: '', events: submitted.map((e) => e.type) });
  // A mobility taken over under way (only with the takeover input, which no earlier history has): its stage and
  // facts, the grants computed here from the project's rates; reserved on the budget once the effects exist (below).
  if (takeover) {
    const t = takeover;
    const estimatedGrant = grant(() => plannedGrant(open(), rates));
    const final = t.attendance ? grant(() => finalGrant(open(), rates, t.attendance!)) : null;
    const co = coFunded ? { funding: shares(plannedDates(open())), finalFunding: t.attendance ? shares(attendedDates(t.attendance)) : [] } : {};
    const taken = decideOrThrow({ type: 'TakeOverMobility', ...t, estimatedGrant, finalGrant: final, ...co, ...base(input.actor) });
    apply(taken);
    record({ actor: input.actor, action: 'takeOver', outcome: 'applied', detail: `taken over at stage ${t.stage} (${t.source})`, events: taken.map((e) => e.type) });
  }
  upsertSearchAttributes([
    { key: ProjectIdKey, value: input.projectId },
    { key: InstitutionIdKey, value: input.institutionId },
    ...(input.consortiumId ? [{ key: ConsortiumIdKey, value: input.consortiumId }] : []),
  ]);

  // ---------- effects (activities) ----------
  const { held, sent, budgetCall, adjustToFinal: adjust, orderPayment, notify } = mobilityEffects({ open, decide: (cmd) => decide(cmd, state, policy), apply, record, nowIso }, localEffects);
  const adjustToFinal = async () => (inStage(state, ['attended']) ? adjust(state.attendance.finalGrant.totalCents, coShares(funding.final)) : undefined);
  // A takeover reserves its grant as selection would (the final grant once attended) and, signed but not pre-financed, orders the pre-financing.
  if (takeover) {
    await budgetCall('reserve', grantDue(open()) ?? 0, undefined, coShares(inStage(state, ['attended']) ? funding.final : funding.estimated));
    await orderPayment(prefinancingPayment(state, base(SYSTEM)));
  }
  const settle = async () => {
    await orderPayment(settlement(state, policy, base(SYSTEM)));
    version++;
  };

  // ---------- commands: what the engine adds to a person's input, and the I/O around each ----------
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lock.then(fn);
    lock = p.catch(() => undefined);
    return p;
  };
  /** The engine supplies every euro (the grants) and the policy's pre-financing rate. */
  const supplied = (type: MobilityCommand['type'], p: Record<string, unknown>): Record<string, unknown> => {
    const co = (dates: () => { startDate: string; endDate: string }) => (coFunded ? { funding: shares(dates()) } : {});
    if (type === 'SelectParticipant' || type === 'PromoteFromReserveList') return { estimatedGrant: grant(() => plannedGrant(open(), rates)), ...co(() => plannedDates(open())) };
    if (type === 'ApproveExtension') return { revisedGrant: grant(() => extendedGrant(open(), rates)), ...co(() => extendedDates(open())) };
    if (type === 'RecordCertificateOfAttendance') {
      const attended = p as { actualStartDate: string; actualEndDate: string };
      return { finalGrant: grant(() => finalGrant(open(), rates, attended)), ...co(() => attendedDates(attended)) };
    }
    if (type === 'SignAgreement') return { prefinancingPercent: p.prefinancingPercent ?? policy.prefinancingPercent };
    return {};
  };
  const command = (type: MobilityCommand['type'], p: Record<string, unknown>, actor: string): MobilityCommand =>
    ({ type, ...p, ...supplied(type, p), ...base(actor) }) as MobilityCommand;
  const before: Partial<Record<MobilityCommand['type'], (cmd: MobilityCommand) => Promise<void>>> = {
    SelectParticipant: (cmd) => budgetCall('reserve', (cmd as CommandOf<'SelectParticipant'>).estimatedGrant.totalCents, undefined, coShares((cmd as CommandOf<'SelectParticipant'>).funding ?? [])),
    PromoteFromReserveList: (cmd) => budgetCall('reserve', (cmd as CommandOf<'PromoteFromReserveList'>).estimatedGrant.totalCents, undefined, coShares((cmd as CommandOf<'PromoteFromReserveList'>).funding ?? [])),
    ApproveExtension: (cmd) => budgetCall('adjust', (cmd as CommandOf<'ApproveExtension'>).revisedGrant.totalCents, undefined, coShares((cmd as CommandOf<'ApproveExtension'>).funding ?? [])),
  };
  const after: Partial<Record<MobilityCommand['type'], () => Promise<void>>> = {
    WithdrawApplication: () => budgetCall('release', 0, 'withdrawn'),
    SignAgreement: () => orderPayment(prefinancingPayment(state, base(SYSTEM))),
    RecordCertificateOfAttendance: adjustToFinal,
    RecordParticipantReportSubmitted: settle,
    CancelMobility: async () => {
      await budgetCall('release', 0, 'cancelled');
      if (netPaid(open().payments) > 0) await settle();
    },
  };

  // Staff Updates, registered by name with the raw payload: the domain's action input validates it (clients use the typed definitions).
  const staffCommand = (name: ActionName, raw: unknown): MobilityCommand => {
    const r = Payloads[name].safeParse(raw);
    if (!r.success) throw ApplicationFailure.nonRetryable(`invalid ${name}: ${r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`, 'InvalidInput');
    return command(ACTION_COMMAND[name], r.data, r.data.actor);
  };
  for (const name of Object.keys(updates) as ActionName[]) {
    setHandler(
      defineUpdate<UpdateResult, [unknown]>(name),
      (raw) => exclusive(async (): Promise<UpdateResult> => {
        // One command (and grant) per Update: decided again after the validator (the state may have moved),
        // and once more after the I/O before it, with the same euros the budget guard was asked for.
        const cmd = staffCommand(name, raw);
        decideOrThrow(cmd);
        await before[cmd.type]?.(cmd);
        const events = decideOrThrow(cmd);
        apply(events);
        record({ actor: cmd.actor, action: name, outcome: 'applied', detail: '', events: events.map((e) => e.type) });
        await after[cmd.type]?.();
        return { stage: state.stage, events: events.map((e) => e.type) };
      }),
      { validator: (raw) => void decideOrThrow(staffCommand(name, raw)) },
    );
  }

  // External facts (Signals): applied in order by the main loop if the domain accepts them, audited either way.
  for (const [name, fact] of Object.entries(EXTERNAL_FACTS) as [keyof typeof EXTERNAL_FACTS, (typeof EXTERNAL_FACTS)[keyof typeof EXTERNAL_FACTS]][]) {
    setHandler(defineSignal<[unknown]>(name), (raw) => {
      const r = ExternalFacts[name].safeParse(raw);
      signals.push({ action: fact.action, build: () => (r.success ? command(fact.command, r.data, fact.actor) : null) });
    });
  }
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
    await after[cmd.type]?.();
  };

  // ---------- alarms: the domain's schedule, fired in order ----------
  const pending = () => pendingAlarms(plannedAlarms(state, policy, nowIso(), { escalateOverdueReport }), done, deferred);
  const fire = async (a: PlannedAlarm) => {
    const effect = alarmEffect(a, base(SYSTEM));
    // A reminder is sent before it is counted; an overdue deadline is recorded before the coordinator hears of it.
    if (effect.command && a.kind !== 'reminder') tryApply(`${a.kind}.${a.deadlineId}`, effect.command, `due ${a.dueDate}`);
    if (effect.notify) {
      const r = await notify(a, effect.notify.kind, effect.notify.audience);
      if (!r.sent) return void deferred.set(a.key, r.notBefore);
    }
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
  const view = (): MobilityView => ({ mobilityId: input.mobilityId, stage: state.stage, eventsPublished: published, eventsRecorded: sequence, closed: closed() });
  const deadlinesView = (): DeadlinesView => ({ deadlines: liveDeadlines(state, policy, utcDateOf(nowIso())), alarms: pending(), remindersSent: sent });
  const grantView = (): GrantView => {
    const g = grantsOf(state);
    return {
      ...g,
      budget: { lineId: state.stage === 'none' ? '' : state.identity.funderLineId, heldCents: held.cents, note: held.note },
      funding: { estimated: g.estimated ? funding.estimated : [], final: g.final ? funding.final : [], held: held.lines },
    };
  };
  setHandler(viewQuery, view);
  setHandler(stateQuery, () => state);
  setHandler(auditQuery, () => audit);
  setHandler(deadlinesQuery, deadlinesView);
  setHandler(grantQuery, grantView);
  setHandler(snapshotQuery, () => ({ view: view(), state, deadlines: deadlinesView(), grant: grantView(), audit }));

  // ---------- main loop ----------
  const publishAll = async () => {
    while (outbox.length > 0) {
      const batch = outbox.slice(0, 50);
      await publish(batch);
      outbox.splice(0, batch.length);
      published += batch.length;
    }
  };
  for (;;) {
    // Since the local publish, under the lock: an Update's events, those of its effects and the deadline schedule they
    // change go out in one publish once its handler is done.
    if (localPublish) {
      await exclusive(async () => {
        if (publishSchedule) tryApply('deadlines.schedule', { type: 'RecordDeadlineSchedule', ...base(SYSTEM) });
        await publishAll();
      });
    } else await publishAll();
    while (signals.length > 0) {
      const sig = signals.shift()!;
      await exclusive(() => processSignal(sig));
    }
    if (publishSchedule) tryApply('deadlines.schedule', { type: 'RecordDeadlineSchedule', ...base(SYSTEM) });
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
