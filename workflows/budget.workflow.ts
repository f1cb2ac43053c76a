import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { BudgetCommand, BudgetError, type BudgetState, decide, evolve, holdingsOf, initialBudgetState, summarise } from '../domain/budget/decide';
import { type ProjectEvent, type ProjectEventEnvelope, projectEventIdFor } from '../domain/budget/events';
import type { createEventActivities } from '../activities/events';
import {
  AdjustRequest, type BudgetReply, type BudgetWorkflowInput, ReleaseRequest, ReserveRequest,
  adjustReservationUpdate, budgetQuery, registrationQuery, releaseReservationUpdate, reserveBudgetUpdate,
} from './budget-messages';
import { InstitutionIdKey, ProjectIdKey } from './search-attributes';

/**
 * Publishing stays a (regular) activity here, unlike the mobilities' local ones: a guard takes the Updates of
 * every mobility of its project at once, and a workflow task busy with a local activity makes them queue at the
 * server (its limit is 10 Updates in flight per workflow) and be refused.
 */
const { publishProjectEvents } = proxyActivities<ReturnType<typeof createEventActivities>>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '30s' } });

/** Start a new run once the history is this long (well under Temporal's 50k-event limit). */
export const BUDGET_HISTORY_LIMIT = 2_000;

/**
 * Since this patch a guard starts a new run after 500 events, and may do so between two batches of its events to
 * publish. Before it, under a steady flow of reservations (6,000 selections of one project, 20 at a time) the
 * publishing loop never ran dry, so the guard never reached its roll-over: its history grew past 7,700 events,
 * each replay folded them all (each fold copies the map of reservations), and its workflow task timed out again
 * and again while every selection waited. A shorter run keeps a replay short.
 */
export const GUARD_ROLL_PATCH = 'guard-roll-between-batches';
const PATCHED_HISTORY_LIMIT = 500;

/**
 * The budget guard of one project: an entity workflow, id `budget-<projectId>`.
 *
 * Why a workflow and not a row lock: every reservation of a project goes through this one
 * workflow's Updates, and a workflow executes its handlers one activation at a time on a
 * single thread. The decision (decide + evolve) runs synchronously inside the Update handler, so
 * two selections racing for the last euros are serialised by Temporal itself: the second sees
 * the first's reservation and is refused with a reason. Nothing can interleave between the
 * check and the write, the state is durable with no extra table, and every reservation is in
 * the history for audit. The validator refuses early (nothing reaches the history); the
 * handler decides again because another Update may have been applied in between.
 *
 * Events (ProjectRegistered, BudgetReserved, …) are queued and published in order to
 * `project-events` by an activity, with ids `${projectId}:${sequence}`; the history is cut
 * with continueAsNew, carrying the state and any unpublished events.
 */
export async function projectBudgetWorkflow(input: BudgetWorkflowInput): Promise<never> {
  const reg = BudgetCommand.parse({ type: 'RegisterProject', ...input.register });
  if (reg.type !== 'RegisterProject') throw ApplicationFailure.nonRetryable('not a registration', 'BadInput');
  const ids = { projectId: reg.projectId, consortiumId: reg.consortiumId };
  const rollSooner = patched(GUARD_ROLL_PATCH);
  let state: BudgetState = input.carried?.state ?? initialBudgetState();
  const pending: ProjectEventEnvelope[] = [...(input.carried?.pending ?? [])];

  upsertSearchAttributes([{ key: ProjectIdKey, value: reg.projectId }, { key: InstitutionIdKey, value: reg.institutionId }]);

  const apply = (events: ProjectEvent[]) => {
    for (const e of events) {
      const sequence = state.sequence;
      state = evolve(state, e, ids);
      pending.push({
        eventId: projectEventIdFor(reg.projectId, sequence),
        type: e.type,
        version: e.version,
        occurredAt: new Date(Date.now()).toISOString(),
        projectId: reg.projectId,
        institutionId: reg.institutionId,
        consortiumId: reg.consortiumId,
        sequence,
        payload: e.payload as Record<string, unknown>,
      });
    }
  };
  if (!input.carried) apply(decide(reg, state));

  /** decide, turning a domain refusal into an ApplicationFailure whose type is the code. */
  const decideOrFail = (cmd: BudgetCommand) => {
    try {
      return decide(cmd, state);
    } catch (err) {
      if (err instanceof BudgetError) throw ApplicationFailure.nonRetryable(err.message, err.code);
      throw err;
    }
  };
  const reply = (mobilityId: string, changed: boolean, lineHint?: string): BudgetReply => {
    const s = summarise(state)!;
    const held = state.status === 'registered' ? state.reservations[mobilityId] : undefined;
    const lineId = held?.lineId ?? lineHint ?? s.lines[0]!.lineId;
    const line = s.lines.find((l) => l.lineId === lineId) ?? s.lines[0]!;
    const lines = holdingsOf(state, mobilityId).map((h) => ({ lineId: h.lineId, heldCents: h.amountCents }));
    return { mobilityId, lineId: line.lineId, heldCents: held?.amountCents ?? 0, remainingCents: line.remainingCents, remainingMobilities: line.remainingMobilities, changed, lines };
  };
  const handle = (cmd: BudgetCommand, mobilityId: string, lineHint?: string): BudgetReply => {
    const events = decideOrFail(cmd);
    apply(events);
    return reply(mobilityId, events.length > 0, lineHint);
  };

  setHandler(reserveBudgetUpdate, (req) => handle({ type: 'ReserveBudget', ...ReserveRequest.parse(req) }, req.mobilityId, req.lineId), {
    validator: (req) => void decideOrFail({ type: 'ReserveBudget', ...ReserveRequest.parse(req) }),
  });
  setHandler(adjustReservationUpdate, (req) => handle({ type: 'AdjustReservation', ...AdjustRequest.parse(req) }, req.mobilityId), {
    validator: (req) => void decideOrFail({ type: 'AdjustReservation', ...AdjustRequest.parse(req) }),
  });
  setHandler(releaseReservationUpdate, (req) => handle({ type: 'ReleaseReservation', ...ReleaseRequest.parse(req) }, req.mobilityId), {
    validator: (req) => void ReleaseRequest.parse(req),
  });
  setHandler(budgetQuery, () => summarise(state));
  setHandler(registrationQuery, () => reg);

  const historyLimit = rollSooner ? PATCHED_HISTORY_LIMIT : BUDGET_HISTORY_LIMIT;
  const mustRoll = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;
  for (;;) {
    await condition(() => pending.length > 0 || mustRoll());
    while (pending.length > 0) {
      // The unpublished events travel to the next run (carried.pending), which publishes them first.
      if (rollSooner && mustRoll()) break;
      const batch = pending.slice(0, 100);
      await publishProjectEvents(batch);
      pending.splice(0, batch.length);
    }
    if (mustRoll()) {
      await condition(allHandlersFinished);
      log.info('budget guard continues as new', { projectId: reg.projectId, historyLength: workflowInfo().historyLength });
      return continueAsNew<typeof projectBudgetWorkflow>({ register: input.register, carried: { state, pending } });
    }
  }
}
