import { ApplicationFailure, allHandlersFinished, condition, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createIncomingActivities } from '../activities/incoming';
import type { createNotificationActivities } from '../activities/notifications';
import { INCOMING_ACTIONS, type IncomingActionName } from '../domain/incoming/actions';
import type { IncomingCommand } from '../domain/incoming/commands';
import { decideIncoming, isIncomingRejection } from '../domain/incoming/decide';
import { type IncomingAlarm, isIncomingClosed, liveIncomingDeadlines, plannedIncomingAlarms } from '../domain/incoming/deadlines';
import { type IncomingEnvelope, type IncomingEvent, incomingEnvelope } from '../domain/incoming/events';
import { evolveIncoming } from '../domain/incoming/evolve';
import { type IncomingState, type OpenIncoming, initialIncomingState } from '../domain/incoming/state';
import {
  type IncomingAuditEntry, type IncomingDeadlinesView, type IncomingUpdateResult, type IncomingView, type StartIncoming, incomingAuditQuery, incomingDeadlinesQuery,
  incomingSnapshotQuery, incomingStateQuery, incomingUpdates, incomingViewQuery,
} from './incoming.messages';
import { InstitutionIdKey, MobilityStageKey } from './search-attributes';

const retry = { initialInterval: '1s', maximumInterval: '30s' } as const;
const remote = {
  publishIncomingEvents: proxyActivities<ReturnType<typeof createIncomingActivities>>({ startToCloseTimeout: '15s', retry }).publishIncomingEvents,
  sendReminder: proxyActivities<ReturnType<typeof createNotificationActivities>>({ startToCloseTimeout: '15s', retry }).sendReminder,
};
/** The same I/O by local activity (run by the worker inside the workflow task, one marker each), keyed as before. */
const local = {
  publishIncomingEvents: proxyLocalActivities<ReturnType<typeof createIncomingActivities>>({ startToCloseTimeout: '15s', retry }).publishIncomingEvents,
  sendReminder: proxyLocalActivities<ReturnType<typeof createNotificationActivities>>({ startToCloseTimeout: '15s', retry }).sendReminder,
};
/** Incoming stays started under this patch published and reminded by local activity (a recorded history has them). */
export const INCOMING_LOCAL_ACTIVITIES_PATCH = 'incoming-local-activities';
/**
 * Since then they do so by activity again: a staff Update reaching a stay while its local activity ran was refused
 * by the server as not processed by the worker, again and again (the console's certificate stayed unapplied).
 */
export const INCOMING_ACTIVITIES_PATCH = 'incoming-activities';

const SYSTEM = 'system:workflow';

/**
 * One incoming mobility (id = incoming id), the receiving side's lifecycle. Orchestration only: every
 * rule is domain/incoming's (decide/evolve, the lifecycle table, due dates). A staff action is an
 * Update whose validator runs the decider (a refusal never reaches the history); the main loop
 * publishes the events in order to `incoming-events`, then sleeps on a durable timer until the next
 * alarm: a reminder to the institution's staff before the certificate or transcript is due, and the
 * due date recorded missed (with an escalation) the day after. No budget is touched: an incoming
 * stay is paid by its sender.
 */
export async function incomingWorkflow(input: StartIncoming): Promise<IncomingView> {
  const { publishIncomingEvents, sendReminder } = !patched(INCOMING_ACTIVITIES_PATCH) && patched(INCOMING_LOCAL_ACTIVITIES_PATCH) ? local : remote;
  let state: IncomingState = initialIncomingState;
  let sequence = 0;
  let published = 0;
  let version = 0;
  const outbox: IncomingEnvelope[] = [];
  const audit: IncomingAuditEntry[] = [];
  const done = new Set<string>();
  const nowIso = () => new Date(Date.now()).toISOString();
  const record = (e: Omit<IncomingAuditEntry, 'at'>) => audit.push({ at: nowIso(), ...e });
  const scope = () => ({ incomingId: input.incomingId, institutionId: input.institutionId, siteId: input.siteId });
  const apply = (events: IncomingEvent[]) => {
    for (const e of events) {
      state = evolveIncoming(state, e);
      outbox.push(incomingEnvelope(e, scope(), sequence++));
    }
    if (events.length > 0) version++;
  };
  const decideOrThrow = (cmd: IncomingCommand): IncomingEvent[] => {
    const d = decideIncoming(cmd, state);
    if (isIncomingRejection(d)) throw ApplicationFailure.nonRetryable(d.reason, d.code, { ruleId: d.ruleId });
    return d;
  };

  // The nomination, before any handler is set.
  const nominated = decideIncoming({ type: 'RecordNomination', ...input, at: nowIso() }, state);
  if (isIncomingRejection(nominated)) throw ApplicationFailure.nonRetryable(nominated.reason, nominated.code);
  apply(nominated);
  record({ actor: input.actor, action: 'nominate', outcome: 'applied', detail: '', events: nominated.map((e) => e.type) });

  // Staff actions: the domain's action input validates the payload; the workflow adds the mobility and the instant.
  const staffCommand = (name: IncomingActionName, raw: unknown): IncomingCommand => {
    const r = INCOMING_ACTIONS[name].input.safeParse(raw);
    if (!r.success) throw ApplicationFailure.nonRetryable(`invalid ${name}: ${r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`, 'InvalidInput');
    return { ...(r.data as object), type: INCOMING_ACTIONS[name].command, incomingId: input.incomingId, at: nowIso() } as IncomingCommand;
  };
  for (const name of Object.keys(incomingUpdates) as IncomingActionName[]) {
    setHandler(
      incomingUpdates[name],
      (raw): IncomingUpdateResult => {
        const cmd = staffCommand(name, raw);
        const events = decideOrThrow(cmd);
        apply(events);
        record({ actor: cmd.actor, action: name, outcome: 'applied', detail: '', events: events.map((e) => e.type) });
        return { stage: state.stage, events: events.map((e) => e.type) };
      },
      { validator: (raw) => void decideOrThrow(staffCommand(name, raw)) },
    );
  }

  // Alarms: the domain's due dates; reminders to the receiving institution's coordinators.
  const pending = () => plannedIncomingAlarms(state).filter((a) => !done.has(a.key));
  const fire = async (a: IncomingAlarm) => {
    const s = state as OpenIncoming;
    if (a.kind === 'missed') {
      const d = decideIncoming({ type: 'RecordIncomingDeadlineMissed', incomingId: input.incomingId, at: nowIso(), actor: SYSTEM, deadline: a.deadline }, state);
      if (!isIncomingRejection(d)) {
        apply(d);
        record({ actor: SYSTEM, action: `missed.${a.deadline}`, outcome: 'applied', detail: `due ${a.dueOn}`, events: d.map((e) => e.type) });
      }
    }
    const r = await sendReminder({
      mobilityId: input.incomingId, projectId: input.incomingId.replace(/-MOB-\d{5}$/, ''), institutionId: input.institutionId, participantRef: s.identity.participantRef,
      deadlineId: a.deadline, deadlineLabel: a.label, dueDate: a.dueOn, attempt: a.kind === 'reminder' ? 1 : 2,
      kind: a.kind === 'reminder' ? 'reminder' : 'escalation', recipientRole: 'coordinator',
    });
    record({ actor: SYSTEM, action: `${a.kind}.${a.deadline}`, outcome: 'sent', detail: `to coordinator (${r.status}, ${r.messageId})`, events: [] });
    done.add(a.key);
    version++;
  };

  let lastStage = '';
  const syncSearchAttributes = () => {
    if (state.stage === lastStage) return;
    lastStage = state.stage;
    upsertSearchAttributes([{ key: InstitutionIdKey, value: input.institutionId }, { key: MobilityStageKey, value: `incoming:${state.stage}` }]);
  };
  const view = (): IncomingView => ({ incomingId: input.incomingId, stage: state.stage, eventsPublished: published, eventsRecorded: sequence, closed: isIncomingClosed(state) });
  const deadlines = (): IncomingDeadlinesView => ({ deadlines: liveIncomingDeadlines(state), alarms: pending() });
  setHandler(incomingViewQuery, view);
  setHandler(incomingStateQuery, () => state);
  setHandler(incomingAuditQuery, () => audit);
  setHandler(incomingDeadlinesQuery, deadlines);
  setHandler(incomingSnapshotQuery, () => ({ view: view(), state, audit, deadlines: deadlines() }));

  const publishAll = async () => {
    while (outbox.length > 0) {
      const batch = outbox.slice(0, 50);
      await publishIncomingEvents(batch);
      outbox.splice(0, batch.length);
      published += batch.length;
    }
  };
  for (;;) {
    await publishAll();
    syncSearchAttributes();
    const due = pending().filter((a) => Date.parse(a.at) <= Date.now());
    for (const a of due) await fire(a);
    if (due.length > 0 || outbox.length > 0) continue;
    if (isIncomingClosed(state)) break;
    const next = pending()[0];
    const seen = version;
    const wake = () => outbox.length > 0 || version !== seen;
    if (next) await condition(wake, Math.max(1, Date.parse(next.at) - Date.now()));
    else await condition(wake);
  }
  await condition(allHandlersFinished);
  await publishAll();
  return { incomingId: input.incomingId, stage: state.stage, eventsPublished: published, eventsRecorded: sequence, closed: true };
}
