import {
  ApplicationFailure, ActivityFailure, allHandlersFinished, condition, patched, proxyActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createBudgetActivities } from '../activities/budget';
import type { createEventActivities } from '../activities/events';
import type { createNotificationActivities } from '../activities/notifications';
import type { createPaymentActivities } from '../activities/payments';
import { deadlinesFor } from '../domain/calendar/deadlines';
import type { MobilityFactsInput } from '../domain/calendar/facts';
import { Policy } from '../domain/calendar/policy';
import { nextReminderAllowed, reportReminders } from '../domain/calendar/reminders';
import { type EventEnvelope, eventIdFor } from '../domain/envelope';
import type { GrantBreakdown } from '../domain/grant/breakdown';
import type { DeadlineKind } from '../domain/mobility/codes';
import type { MobilityCommand } from '../domain/mobility/commands';
import { addDays, utcDateOf } from '../domain/dates';
import { transcriptApplies } from '../domain/mobility/deadlines';
import { decide } from '../domain/mobility/decide';
import type { MobilityEvent } from '../domain/mobility/events';
import { evolve } from '../domain/mobility/evolve';
import { isRejection } from '../domain/mobility/rejection';
import { type MobilityState, type OpenMobility, grantDue, inStage, initialState, netPaid } from '../domain/mobility/state';
import { grantFor } from './grant';
import {
  type AuditEntry, type DeadlinesView, ExternalFacts, type GrantView, type MobilityView, Payloads, type PlannedAlarm,
  type StartMobility, type UpdateName, type UpdateResult, auditQuery, deadlinesQuery, grantQuery,
  hostCertificateOfAttendanceSignal, stateQuery, surveySubmittedSignal, transcriptReceivedSignal, updates, viewQuery,
} from './messages';
import { ConsortiumIdKey, InstitutionIdKey, MobilityStageKey, NextDeadlineKey, ProjectIdKey } from './search-attributes';

const { publishEvents } = proxyActivities<ReturnType<typeof createEventActivities>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const { sendReminder } = proxyActivities<ReturnType<typeof createNotificationActivities>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const { writePaymentOrder } = proxyActivities<ReturnType<typeof createPaymentActivities>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['PaymentOrderConflict'] },
});
const budget = proxyActivities<ReturnType<typeof createBudgetActivities>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['InsufficientFunds', 'NoMobilitiesLeft', 'UnknownLine', 'ProjectNotRegistered', 'AlreadyReserved', 'NoReservation'] },
});

/** Behaviour change introduced after the first histories were recorded: escalate an overdue participant report to the coordinator. */
export const REPORT_ESCALATION_PATCH = 'report-escalation-to-coordinator';

const SYSTEM = 'system:workflow';
const TERMINAL = ['rejected', 'withdrawn', 'cancelled'] as const;
/** Deadlines of the calendar that the domain records as missed (RecordDeadlineMissed). */
const MISSED_KIND: Record<string, DeadlineKind | undefined> = {
  'prefinancing-payment': 'prefinancing',
  'participant-report': 'participant-report',
  'transcript-of-records': 'transcript',
  recognition: 'recognition',
  'balance-payment': 'balance',
};
const LABEL: Record<string, string> = {
  'prefinancing-payment': 'Pre-financing payment',
  'la-change-request': 'Learning agreement change request',
  'la-change-decision': 'Learning agreement change decision',
  'extension-request': 'Extension request',
  'participant-report': 'Participant report (EU Survey)',
  'transcript-of-records': 'Transcript of records',
  recognition: 'Recognition',
  'balance-payment': 'Balance payment',
};
const REMINDER_LEAD_DAYS = 7;

const iso = (ms: number) => new Date(ms).toISOString();
const at9 = (date: string) => Date.parse(`${date}T09:00:00Z`);
const midnight = (date: string) => Date.parse(`${date}T00:00:00Z`);

/**
 * One mobility, one durable workflow (id = mobility id). It orchestrates only:
 * - every staff action is an Update whose validator runs the domain's decide (a refusal never
 *   reaches the history) and whose handler applies evolve and queues the events;
 * - external facts arrive as Signals, applied when the domain accepts them, audited otherwise;
 * - the main loop publishes queued events in order (ids `${mobilityId}:${sequence}`), and sleeps on
 *   a durable timer until the next alarm derived from the domain calendar (reminder, escalation,
 *   overdue), recomputed after every change so timers move when dates move;
 * - I/O (Kafka, SMTP outbox, payment orders, the project's budget guard) happens in activities,
 *   each keyed so that a retry repeats nothing.
 */
export async function mobilityWorkflow(input: StartMobility): Promise<MobilityView> {
  const policy = Policy.parse(input.policy ?? {});
  const escalateOverdueReport = patched(REPORT_ESCALATION_PATCH);
  let state: MobilityState = initialState;
  let sequence = 0;
  let published = 0;
  const outbox: EventEnvelope[] = [];
  const audit: AuditEntry[] = [];
  const done = new Set<string>();
  const deferred = new Map<string, number>();
  const sent: DeadlinesView['remindersSent'] = {};
  const factDates: { laChangeAt?: string; extensionRequestedAt?: string; prefinancingPaidAt?: string; balanceSettledAt?: string } = {};
  let budgetHeld = 0;
  let budgetNote: string | null = null;
  let budgetOps = 0;
  let version = 0;
  const signals: { action: string; build: (at: string) => MobilityCommand | null }[] = [];

  const now = () => Date.now();
  const nowIso = () => iso(now());
  const open = (): OpenMobility => {
    if (state.stage === 'none') throw ApplicationFailure.nonRetryable('no application', 'NoApplication');
    return state;
  };

  // ---------- applying decisions ----------
  const apply = (events: MobilityEvent[]) => {
    for (const e of events) {
      state = evolve(state, e);
      const s = open();
      outbox.push({
        eventId: eventIdFor(input.mobilityId, sequence), type: e.type, version: e.version, occurredAt: (e.payload as { at: string }).at,
        mobilityId: input.mobilityId, projectId: s.identity.projectId, institutionId: s.identity.institutionId,
        consortiumId: s.identity.consortiumId, sequence, payload: e.payload as Record<string, unknown>,
      });
      sequence++;
    }
    if (events.length > 0) version++;
  };
  /** decide or throw the domain's reason as a non-retryable failure (validators and handlers). */
  const decideOrThrow = (cmd: MobilityCommand): MobilityEvent[] => {
    const d = decide(cmd, state);
    if (isRejection(d)) throw ApplicationFailure.nonRetryable(d.reason, d.code, { ruleId: d.ruleId });
    return d;
  };
  const record = (entry: Omit<AuditEntry, 'at'>) => audit.push({ at: nowIso(), ...entry });

  // ---------- start: the application (before any handler is set, so an Update delivered with the start sees it) ----------
  const { rates: _rates, policy: _policy, ...application } = input;
  const submitted = decide({ type: 'SubmitApplication', ...application, at: nowIso() } as MobilityCommand, state);
  if (isRejection(submitted)) throw ApplicationFailure.nonRetryable(submitted.reason, submitted.code);
  apply(submitted);
  record({ actor: input.actor, action: 'submitApplication', outcome: 'applied', detail: '', events: submitted.map((e) => e.type) });
  upsertSearchAttributes([
    { key: ProjectIdKey, value: input.projectId },
    { key: InstitutionIdKey, value: input.institutionId },
    ...(input.consortiumId ? [{ key: ConsortiumIdKey, value: input.consortiumId }] : []),
  ] as never);


  // ---------- grant ----------
  const computeGrant = (dates: { startDate: string; endDate: string }): GrantBreakdown => {
    try {
      return grantFor(open(), input.rates, dates);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`grant: ${(err as Error).message}`, 'GrantRuleBroken');
    }
  };
  const plannedGrant = () => computeGrant({ startDate: open().plan.startDate, endDate: open().plan.endDate });

  // ---------- budget guard (project entity workflow) ----------
  const budgetCall = async (what: 'reserve' | 'adjust' | 'release', amountCents: number, reason = 'released'): Promise<void> => {
    const s = open();
    const op = `budget-${++budgetOps}`;
    try {
      const r = what === 'reserve'
        ? await budget.reserveBudget(s.identity.projectId, { mobilityId: input.mobilityId, lineId: s.identity.funderLineId, amountCents }, op)
        : what === 'adjust'
          ? await budget.adjustReservation(s.identity.projectId, { mobilityId: input.mobilityId, amountCents }, op)
          : await budget.releaseReservation(s.identity.projectId, { mobilityId: input.mobilityId, reason }, op);
      budgetHeld = r.heldCents;
      record({ actor: SYSTEM, action: `budget.${what}`, outcome: 'applied', detail: `holds ${r.heldCents} cents on line ${r.lineId}; ${r.remainingCents} cents and ${r.remainingMobilities} mobilities left`, events: [] });
    } catch (err) {
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : null;
      if (cause) throw ApplicationFailure.nonRetryable(cause.message, cause.type ?? 'BudgetRefused');
      throw err;
    }
  };

  // ---------- payments ----------
  const orderPayment = async (kind: 'prefinancing' | 'balance' | 'recovery', amountCents: number, dueDate: string, basis: string) => {
    const s = open();
    const seq = s.payments.orders.filter((o) => o.kind === kind).length + 1;
    const paymentId = `${input.mobilityId}:${kind}:${seq}`;
    const cmd: MobilityCommand = { type: 'RecordPaymentOrdered', mobilityId: input.mobilityId, at: nowIso(), actor: SYSTEM, kind, amountCents, paymentId };
    const check = decide(cmd, state);
    if (isRejection(check)) {
      record({ actor: SYSTEM, action: `payment.${kind}`, outcome: 'refused', detail: check.reason, events: [] });
      return;
    }
    await writePaymentOrder({ mobilityId: input.mobilityId, projectId: s.identity.projectId, participantRef: s.identity.participantRef, kind, sequence: seq, amountCents, dueDate, basis });
    const events = decideOrThrow({ ...cmd, at: nowIso() });
    apply(events);
    record({ actor: SYSTEM, action: `payment.${kind}`, outcome: 'applied', detail: `${amountCents} cents due ${dueDate} (${paymentId})`, events: events.map((e) => e.type) });
  };
  /** After the report (the balance request) — or a cancellation — settle: balance, recovery or nothing. */
  const settle = async () => {
    const s = open();
    const due = grantDue(s) ?? 0;
    const diff = due - netPaid(s.payments);
    const today = utcDateOf(nowIso());
    const dueOn = addDays(today, policy.balanceDays);
    if (diff > 0) await orderPayment('balance', diff, dueOn, `final grant ${due} − paid ${netPaid(s.payments)}`);
    else if (diff < 0) await orderPayment('recovery', -diff, dueOn, `paid ${netPaid(s.payments)} − grant due ${due}`);
    factDates.balanceSettledAt = today;
    version++;
  };

  // ---------- staff Updates ----------
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lock.then(fn);
    lock = p.catch(() => undefined);
    return p;
  };
  const base = (actor: string) => ({ mobilityId: input.mobilityId, at: nowIso(), actor });

  type Spec<U extends UpdateName> = {
    /** The domain command for this payload (null = nothing to decide up front). */
    command: (p: ReturnType<(typeof Payloads)[U]['parse']>) => MobilityCommand;
    /** I/O before the decision is applied (e.g. reserve the budget); may refuse. */
    before?: (p: ReturnType<(typeof Payloads)[U]['parse']>, cmd: MobilityCommand) => Promise<void>;
    /** Effects after the events are applied (payments, releases). */
    after?: (p: ReturnType<(typeof Payloads)[U]['parse']>) => Promise<void>;
  };
  const register = <U extends UpdateName>(name: U, spec: Spec<U>) => {
    const parse = (raw: unknown) => {
      const r = Payloads[name].safeParse(raw);
      if (!r.success) throw ApplicationFailure.nonRetryable(`invalid ${name}: ${r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`, 'InvalidInput');
      return r.data as ReturnType<(typeof Payloads)[U]['parse']>;
    };
    setHandler(
      updates[name] as never,
      ((raw: unknown) =>
        exclusive(async (): Promise<UpdateResult> => {
          const p = parse(raw);
          decideOrThrow(spec.command(p)); // state may have moved since the validator ran
          if (spec.before) await spec.before(p, spec.command(p));
          const events = decideOrThrow(spec.command(p));
          apply(events);
          record({ actor: p.actor, action: name, outcome: 'applied', detail: '', events: events.map((e) => e.type) });
          if (spec.after) await spec.after(p);
          return { stage: state.stage, events: events.map((e) => e.type) };
        })) as never,
      { validator: ((raw: unknown) => void decideOrThrow(spec.command(parse(raw)))) as never },
    );
  };

  register('select', {
    command: (p) => ({ type: 'SelectParticipant', ...base(p.actor), estimatedGrant: plannedGrant() }),
    before: async (_p, cmd) => budgetCall('reserve', (cmd as { estimatedGrant: GrantBreakdown }).estimatedGrant.totalCents),
  });
  register('promote', {
    command: (p) => ({ type: 'PromoteFromReserveList', ...base(p.actor), estimatedGrant: plannedGrant() }),
    before: async (_p, cmd) => budgetCall('reserve', (cmd as { estimatedGrant: GrantBreakdown }).estimatedGrant.totalCents),
  });
  register('reject', { command: (p) => ({ type: 'RejectApplication', ...base(p.actor), reasonCode: p.reasonCode, reserveListRank: p.reserveListRank }) });
  register('withdraw', {
    command: (p) => ({ type: 'WithdrawApplication', ...base(p.actor), reasonCode: p.reasonCode }),
    after: async () => budgetCall('release', 0, 'withdrawn'),
  });
  register('signAgreement', {
    command: (p) => ({ type: 'SignAgreement', ...base(p.actor), participantSignedOn: p.participantSignedOn, institutionSignedOn: p.institutionSignedOn, prefinancingPercent: p.prefinancingPercent ?? policy.prefinancingPercent }),
    after: async () => {
      const s = state;
      if (!inStage(s, ['agreed'])) return;
      if (s.agreement.prefinancingCents > 0) {
        await orderPayment('prefinancing', s.agreement.prefinancingCents, s.agreement.prefinancingDueOn, `${s.agreement.prefinancingPercent} % of the estimated grant ${s.selection.estimatedGrant.totalCents}`);
        factDates.prefinancingPaidAt = utcDateOf(nowIso());
      }
    },
  });
  register('confirmDeparture', { command: (p) => ({ type: 'ConfirmDeparture', ...base(p.actor), actualStartDate: p.actualStartDate }) });
  const certificate = (actor: string, d: { actualStartDate: string; actualEndDate: string }): MobilityCommand => ({
    type: 'RecordCertificateOfAttendance', ...base(actor), actualStartDate: d.actualStartDate, actualEndDate: d.actualEndDate,
    finalGrant: computeGrant({ startDate: d.actualStartDate, endDate: d.actualEndDate }),
  });
  /** The final grant fixes the reservation: lower releases the difference; higher is reserved if the line allows. */
  const adjustToFinal = async () => {
    const s = state;
    if (!inStage(s, ['attended'])) return;
    try {
      await budgetCall('adjust', s.attendance.finalGrant.totalCents);
      budgetNote = null;
    } catch (err) {
      budgetNote = `final grant not covered by the budget line: ${(err as Error).message}`;
      record({ actor: SYSTEM, action: 'budget.adjust', outcome: 'refused', detail: budgetNote, events: [] });
    }
  };
  register('recordCertificateOfAttendance', { command: (p) => certificate(p.actor, p), after: adjustToFinal });
  register('recordInterruption', { command: (p) => ({ type: 'RecordInterruption', ...base(p.actor), from: p.from, to: p.to, reasonCode: p.reasonCode }) });
  register('declareForceMajeure', { command: (p) => ({ type: 'DeclareForceMajeure', ...base(p.actor), reasonCode: p.reasonCode }) });
  register('requestExtension', {
    command: (p) => ({ type: 'RequestExtension', ...base(p.actor), newEndDate: p.newEndDate }),
    after: async () => void (factDates.extensionRequestedAt = utcDateOf(nowIso())),
  });
  const revisedGrant = () => {
    const s = open();
    const end = s.extension.status === 'requested' ? s.extension.newEndDate : s.plan.endDate;
    return computeGrant({ startDate: inStage(s, ['departed']) ? s.departure.actualStartDate : s.plan.startDate, endDate: end });
  };
  register('approveExtension', {
    command: (p) => ({ type: 'ApproveExtension', ...base(p.actor), revisedGrant: revisedGrant() }),
    before: async (_p, cmd) => budgetCall('adjust', (cmd as { revisedGrant: GrantBreakdown }).revisedGrant.totalCents),
  });
  register('refuseExtension', { command: (p) => ({ type: 'RefuseExtension', ...base(p.actor), reasonCode: p.reasonCode }) });
  register('changeLearningAgreement', {
    command: (p) => ({ type: 'ChangeLearningAgreement', ...base(p.actor), reasonCode: p.reasonCode }),
    after: async () => void (factDates.laChangeAt = utcDateOf(nowIso())),
  });
  register('recordReportSubmitted', { command: (p) => ({ type: 'RecordParticipantReportSubmitted', ...base(p.actor), submittedOn: p.submittedOn }), after: settle });
  register('recordOlsAssessment', { command: (p) => ({ type: 'RecordOlsAssessment', ...base(p.actor), phase: p.phase, language: p.language, level: p.level }) });
  register('recordTranscriptOfRecords', { command: (p) => ({ type: 'RecordTranscriptOfRecords', ...base(p.actor), receivedOn: p.receivedOn, ects: p.ects }) });
  register('recordRecognition', {
    command: (p) => ({ type: 'RecordRecognition', ...base(p.actor), outcome: p.outcome, recognisedEcts: p.recognisedEcts, europass: p.europass, openBadge: p.openBadge }),
  });
  register('cancel', {
    command: (p) => ({ type: 'CancelMobility', ...base(p.actor), reasonCode: p.reasonCode }),
    after: async () => {
      await budgetCall('release', 0, 'cancelled');
      if (netPaid(open().payments) > 0) await settle();
    },
  });

  // ---------- external facts (Signals) ----------
  setHandler(hostCertificateOfAttendanceSignal, (raw) => {
    const r = ExternalFacts.hostCertificateOfAttendance.safeParse(raw);
    signals.push({ action: 'host.certificateOfAttendance', build: () => (r.success ? certificate('external:host', r.data) : null) });
  });
  setHandler(surveySubmittedSignal, (raw) => {
    const r = ExternalFacts.surveySubmitted.safeParse(raw);
    signals.push({ action: 'survey.submitted', build: () => (r.success ? { type: 'RecordParticipantReportSubmitted', ...base('external:eu-survey'), submittedOn: r.data.submittedOn } : null) });
  });
  setHandler(transcriptReceivedSignal, (raw) => {
    const r = ExternalFacts.transcriptReceived.safeParse(raw);
    signals.push({ action: 'host.transcriptReceived', build: () => (r.success ? { type: 'RecordTranscriptOfRecords', ...base('external:host'), receivedOn: r.data.receivedOn, ects: r.data.ects } : null) });
  });
  const processSignal = async (sig: (typeof signals)[number]) => {
    let cmd: MobilityCommand | null;
    try {
      cmd = sig.build(nowIso());
    } catch (err) {
      record({ actor: 'external', action: sig.action, outcome: 'refused', detail: (err as Error).message, events: [] });
      return;
    }
    if (!cmd) {
      record({ actor: 'external', action: sig.action, outcome: 'refused', detail: 'invalid payload', events: [] });
      return;
    }
    const d = decide(cmd, state);
    if (isRejection(d)) {
      record({ actor: cmd.actor, action: sig.action, outcome: 'refused', detail: d.reason, events: [] });
      return;
    }
    apply(d);
    record({ actor: cmd.actor, action: sig.action, outcome: 'applied', detail: '', events: d.map((e) => e.type) });
    if (cmd.type === 'RecordCertificateOfAttendance') await adjustToFinal();
    if (cmd.type === 'RecordParticipantReportSubmitted') await settle();
  };

  // ---------- calendar: deadlines and alarms ----------
  const calendarFacts = (): MobilityFactsInput | null => {
    if (state.stage === 'none') return null;
    const s = state;
    const f: MobilityFactsInput = { expectsTranscript: transcriptApplies(s.identity.activity) };
    if (inStage(s, ['agreed', 'departed', 'attended', 'reported', 'recognised'])) {
      f.agreementSignedByParticipant = s.agreement.participantSignedOn;
      f.agreementSignedByInstitution = s.agreement.institutionSignedOn;
    }
    if (inStage(s, ['selected', 'agreed', 'departed', 'attended', 'reported', 'recognised'])) {
      f.startDate = inStage(s, ['departed', 'attended', 'reported', 'recognised']) ? s.departure.actualStartDate : s.plan.startDate;
      f.endDate = inStage(s, ['attended', 'reported', 'recognised']) ? s.attendance.actualEndDate : s.plan.endDate;
      if (f.endDate < f.startDate) f.endDate = f.startDate;
      if (inStage(s, ['departed', 'attended', 'reported', 'recognised'])) f.termStartDate = f.startDate;
    }
    if (factDates.laChangeAt) f.laChangeRequestedAt = f.laChangeDecidedAt = factDates.laChangeAt;
    if (factDates.extensionRequestedAt) f.extensionRequestedAt = factDates.extensionRequestedAt;
    if (s.reportInvitation) f.reportInvitedAt = s.reportInvitation.invitedOn;
    if (inStage(s, ['reported', 'recognised'])) f.reportSubmittedAt = s.report.submittedOn;
    if (s.transcript) f.transcriptReceivedAt = s.transcript.receivedOn;
    if (s.stage === 'recognised') f.recognitionRecordedAt = utcDateOf(s.recognition.recordedAt);
    if (factDates.prefinancingPaidAt) f.prefinancingPaidAt = factDates.prefinancingPaidAt;
    if (factDates.balanceSettledAt) f.balanceSettledAt = factDates.balanceSettledAt;
    return f;
  };
  /** Which calendar deadlines are live in each stage: nothing after the end is due before attendance is certified. */
  const LIVE: Record<string, readonly string[]> = {
    selected: [],
    agreed: ['prefinancing-payment'],
    departed: ['prefinancing-payment', 'la-change-request', 'la-change-decision', 'extension-request'],
  };
  const deadlines = () => {
    const f = calendarFacts();
    if (!f || inStage(state, TERMINAL) || inStage(state, ['applied', 'reserve-list'])) return [];
    const all = deadlinesFor(f, { now: utcDateOf(nowIso()), policy: input.policy as never });
    const live = LIVE[state.stage];
    return live ? all.filter((d) => live.includes(d.id)) : all;
  };

  const alarms = (): PlannedAlarm[] => {
    const f = calendarFacts();
    if (!f || inStage(state, TERMINAL)) return [];
    const out: PlannedAlarm[] = [];
    if (inStage(state, ['attended']) && !state.reportInvitation) {
      const date = addDays(state.attendance.actualEndDate, 1);
      out.push({ key: `invite:${date}`, at: iso(midnight(date)), deadlineId: 'participant-report', dueDate: date, kind: 'invite', audience: 'system' });
    }
    for (const d of deadlines()) {
      // Fulfilled deadlines need nothing; a window that has lapsed (e.g. moved into the past by the actual dates) is not reminded.
      if (d.fulfilledAt !== null || (d.kind === 'window' && d.status !== 'open')) continue;
      if (d.id === 'participant-report') {
        // Until the workflow has sent the invitation, the calendar's assumed invitation date is moot.
        if (!(state as OpenMobility).reportInvitation) continue;
        for (const r of reportReminders(f, { policy: input.policy as never })) {
          if (r.kind === 'escalation' && !escalateOverdueReport) continue;
          out.push({ key: `${d.id}:${r.id}:${r.date}`, at: iso(at9(r.date)), deadlineId: d.id, dueDate: d.dueDate, kind: r.kind, audience: r.audience });
        }
      } else {
        const remindOn = addDays(d.dueDate, -REMINDER_LEAD_DAYS);
        if (remindOn > d.trigger.date || d.trigger.relation === 'before') {
          out.push({ key: `${d.id}:reminder:${d.dueDate}`, at: iso(at9(remindOn)), deadlineId: d.id, dueDate: d.dueDate, kind: 'reminder', audience: d.audience === 'participant' ? 'participant' : 'coordinator' });
        }
      }
      if (d.kind === 'obligation') {
        const day = addDays(d.dueDate, 1);
        out.push({ key: `${d.id}:overdue:${d.dueDate}`, at: iso(midnight(day)), deadlineId: d.id, dueDate: d.dueDate, kind: 'overdue', audience: d.id === 'participant-report' ? 'system' : 'coordinator' });
      }
    }
    return out
      .filter((a) => !done.has(a.key))
      .map((a) => ({ ...a, at: iso(Math.max(Date.parse(a.at), deferred.get(a.key) ?? 0)) }))
      .sort((a, b) => (a.at === b.at ? a.key.localeCompare(b.key) : a.at < b.at ? -1 : 1));
  };

  const notify = async (a: PlannedAlarm, kind: 'reminder' | 'escalation', audience: 'participant' | 'coordinator'): Promise<boolean> => {
    const last = sent[a.deadlineId]?.lastAt ?? null;
    const allowed = nextReminderAllowed(last, nowIso());
    if (!allowed.allowed) {
      deferred.set(a.key, Date.parse(allowed.notBefore));
      record({ actor: SYSTEM, action: `${kind}.${a.deadlineId}`, outcome: 'skipped', detail: allowed.reason, events: [] });
      return false;
    }
    const s = open();
    const attempt = (sent[a.deadlineId]?.count ?? 0) + 1;
    const r = await sendReminder({
      mobilityId: input.mobilityId, projectId: s.identity.projectId, institutionId: s.identity.institutionId, participantRef: s.identity.participantRef,
      deadlineId: a.deadlineId, deadlineLabel: LABEL[a.deadlineId] ?? a.deadlineId, dueDate: a.dueDate, attempt, kind, recipientRole: audience,
    });
    sent[a.deadlineId] = { count: attempt, lastAt: nowIso() };
    record({ actor: SYSTEM, action: `${kind}.${a.deadlineId}`, outcome: 'sent', detail: `to ${audience} (${r.status}, ${r.messageId})`, events: [] });
    return true;
  };

  const fire = async (a: PlannedAlarm) => {
    if (a.kind === 'invite') {
      const d = decide({ type: 'InviteParticipantReport', ...base(SYSTEM) }, state);
      if (!isRejection(d)) {
        apply(d);
        record({ actor: SYSTEM, action: 'report.invite', outcome: 'applied', detail: '', events: d.map((e) => e.type) });
      }
    } else if (a.kind === 'reminder' || a.kind === 'escalation') {
      const ok = await notify(a, a.kind, a.audience === 'participant' ? 'participant' : 'coordinator');
      if (!ok) return;
      if (a.deadlineId === 'participant-report' && a.kind === 'reminder') {
        const d = decide({ type: 'RemindParticipantReport', ...base(SYSTEM) }, state);
        if (!isRejection(d)) apply(d);
      }
    } else {
      const kind = MISSED_KIND[a.deadlineId];
      if (kind) {
        const d = decide({ type: 'RecordDeadlineMissed', ...base(SYSTEM), deadline: kind }, state);
        if (!isRejection(d)) {
          apply(d);
          record({ actor: SYSTEM, action: `overdue.${a.deadlineId}`, outcome: 'applied', detail: `due ${a.dueDate}`, events: d.map((e) => e.type) });
        }
      }
      if (a.audience === 'coordinator') {
        const ok = await notify(a, 'escalation', 'coordinator');
        if (!ok) return;
      }
    }
    done.add(a.key);
    deferred.delete(a.key);
    version++;
  };

  // ---------- search attributes ----------
  let lastAttrs = '';
  const syncSearchAttributes = () => {
    if (state.stage === 'none') return;
    const next = deadlines().find((d) => d.status === 'open');
    const attrs = { stage: state.stage, next: next?.dueDate ?? null };
    const key = JSON.stringify(attrs);
    if (key === lastAttrs) return;
    lastAttrs = key;
    upsertSearchAttributes([
      { key: MobilityStageKey, value: state.stage },
      { key: NextDeadlineKey, value: next ? new Date(`${next.dueDate}T00:00:00Z`) : null },
    ] as never);
  };

  // ---------- queries ----------
  const closed = () => inStage(state, TERMINAL) || (state.stage === 'recognised' && alarms().length === 0);
  setHandler(viewQuery, () => ({ mobilityId: input.mobilityId, stage: state.stage, eventsPublished: published, eventsRecorded: sequence, closed: closed() }));
  setHandler(stateQuery, () => state);
  setHandler(auditQuery, () => audit);
  setHandler(deadlinesQuery, () => ({ deadlines: deadlines(), alarms: alarms(), remindersSent: sent }));
  setHandler(grantQuery, (): GrantView => {
    const s = state;
    const estimated = inStage(s, ['selected', 'agreed', 'departed', 'attended', 'reported', 'recognised']) ? s.selection.estimatedGrant : null;
    const final = inStage(s, ['attended', 'reported', 'recognised']) ? s.attendance.finalGrant : null;
    return { estimated, final, payments: s.stage === 'none' ? null : s.payments, budget: { lineId: s.stage === 'none' ? '' : s.identity.funderLineId, heldCents: budgetHeld, note: budgetNote } };
  });

  // ---------- main loop ----------
  for (;;) {
    while (outbox.length > 0) {
      const batch = outbox.slice(0, 50);
      await publishEvents(batch);
      outbox.splice(0, batch.length);
      published += batch.length;
    }
    while (signals.length > 0) {
      const sig = signals.shift()!;
      await exclusive(() => processSignal(sig));
    }
    if (outbox.length > 0) continue;
    syncSearchAttributes();
    // Alarms are computed under the lock: an Update in flight (e.g. ordering the pre-financing) finishes first.
    const fired = await exclusive(async () => {
      const due = alarms().filter((a) => Date.parse(a.at) <= now());
      for (const a of due) await fire(a);
      return due.length;
    });
    if (fired > 0) continue;
    if (closed()) break;
    const next = alarms()[0];
    const seen = version;
    const wake = () => outbox.length > 0 || signals.length > 0 || version !== seen || closed();
    if (next) await condition(wake, Math.max(1, Date.parse(next.at) - now()));
    else await condition(wake);
  }
  await condition(allHandlersFinished);
  while (outbox.length > 0) {
    const batch = outbox.splice(0, 50);
    await publishEvents(batch);
    published += batch.length;
  }
  return { mobilityId: input.mobilityId, stage: state.stage, eventsPublished: published, eventsRecorded: sequence, closed: true };
}
