import type { MobilityEvent } from './events';
import { type EmittedEvent, type StagesBefore, stagesBefore } from './lifecycle';
import { type Common, type MobilityState, type OpenMobility, type StateIn, inStage, initialState } from './state';

/**
 * evolve(state, event) → state. Pure and total over the event union; events are facts already decided,
 * so an event that cannot follow the current stage (by the lifecycle table: a stage in which a command
 * that emits it is allowed) means a corrupt history and throws.
 */
const expect = <E extends EmittedEvent>(s: MobilityState, e: MobilityEvent & { type: E }): StateIn<StagesBefore<E>> => {
  if (!inStage(s, stagesBefore(e.type))) throw new Error(`corrupt history: ${e.type} cannot follow stage '${s.stage}'`);
  return s as StateIn<StagesBefore<E>>;
};

/** The shared facts only, dropping stage-specific ones (used when a stage change discards them). */
const common = (s: OpenMobility): Common => ({
  identity: s.identity, plan: s.plan, originalEndDate: s.originalEndDate, plannedDays: s.plannedDays, ols: s.ols,
  forceMajeure: s.forceMajeure, interruptions: s.interruptions, extension: s.extension, extensionsApproved: s.extensionsApproved,
  learningAgreement: s.learningAgreement, reportInvitation: s.reportInvitation, transcript: s.transcript,
  deadlinesMissed: s.deadlinesMissed, schedule: s.schedule, grantConditions: s.grantConditions, payments: s.payments, documents: s.documents, audit: s.audit,
});

/** No switch recorded: the project's defaults. */
export const NO_CONDITIONS = { travelSupport: null, inclusionSupportCents: 0, exceptionalTravelCostCents: null, zeroGrant: false } as const;

const requestedAt = (s: OpenMobility, e: MobilityEvent): string => {
  if (s.extension.status !== 'requested') throw new Error(`corrupt history: ${e.type} without a pending extension request`);
  return s.extension.requestedAt;
};

const apply = (state: MobilityState, e: MobilityEvent): MobilityState => {
  if (e.type === 'ApplicationSubmitted') {
    if (state.stage !== 'none') throw new Error(`corrupt history: ApplicationSubmitted cannot follow stage '${state.stage}'`);
    const p = e.payload;
    return {
      stage: 'applied',
      identity: {
        mobilityId: p.mobilityId, projectId: p.projectId, institutionId: p.institutionId, consortiumId: p.consortiumId,
        siteId: p.siteId, participantRef: p.participantRef, activity: p.activity, funderLineId: p.funderLineId,
        groupId: p.groupId,
      },
      plan: p.plan,
      originalEndDate: p.plan.endDate,
      plannedDays: p.plannedDays,
      ols: { before: null, after: null },
      forceMajeure: null,
      interruptions: [],
      extension: { status: 'none' },
      extensionsApproved: 0,
      learningAgreement: { version: 0, lastChangeReason: null, lastChangedAt: null },
      reportInvitation: null,
      transcript: null,
      deadlinesMissed: [],
      schedule: [],
      grantConditions: NO_CONDITIONS,
      payments: { prefinancingCents: 0, balanceCents: 0, recoveredCents: 0, orders: [] },
      documents: [],
      audit: { events: 0, firstAt: p.at, lastAt: p.at, lastActor: p.actor },
    };
  }
  if (state.stage === 'none') throw new Error(`corrupt history: ${e.type} before the application`);
  const s = state;
  switch (e.type) {
    case 'ParticipantSelected': {
      const from = expect(s, e);
      return { ...common(from), stage: 'selected', selection: { estimatedGrant: e.payload.estimatedGrant, selectedAt: e.payload.at, fromReserveList: e.payload.fromReserveList } };
    }
    case 'ApplicationRejected':
      return { ...common(expect(s, e)), stage: 'rejected', rejection: { reasonCode: e.payload.reasonCode, at: e.payload.at } };
    case 'PlacedOnReserveList':
      return { ...common(expect(s, e)), stage: 'reserve-list', reserveRank: e.payload.rank };
    case 'ApplicationWithdrawn': {
      const from = expect(s, e);
      return { ...common(from), stage: 'withdrawn', withdrawal: { reasonCode: e.payload.reasonCode, at: e.payload.at }, selection: from.stage === 'selected' ? from.selection : null };
    }
    case 'AgreementSigned': {
      const from = expect(s, e);
      const p = e.payload;
      return {
        ...from, stage: 'agreed',
        agreement: { participantSignedOn: p.participantSignedOn, institutionSignedOn: p.institutionSignedOn, prefinancingPercent: p.prefinancingPercent, prefinancingCents: p.prefinancingCents, prefinancingDueOn: p.prefinancingDueOn },
        learningAgreement: { version: p.learningAgreementVersion, lastChangeReason: null, lastChangedAt: null },
      };
    }
    case 'DepartureConfirmed':
      return { ...expect(s, e), stage: 'departed', departure: { actualStartDate: e.payload.actualStartDate } };
    case 'AttendanceCertified': {
      const p = e.payload;
      return {
        ...expect(s, e), stage: 'attended',
        attendance: { actualStartDate: p.actualStartDate, actualEndDate: p.actualEndDate, physicalDays: p.physicalDays, interruptedDays: p.interruptedDays, minimumMet: p.minimumMet, finalGrant: p.finalGrant, certifiedAt: p.at },
      };
    }
    case 'MobilityInterrupted': {
      const { from, to, days, reasonCode } = e.payload;
      return { ...s, interruptions: [...s.interruptions, { from, to, days, reasonCode }] };
    }
    case 'ForceMajeureDeclared':
      return { ...s, forceMajeure: { reasonCode: e.payload.reasonCode, declaredAt: e.payload.at } };
    case 'ExtensionRequested':
      return { ...s, extension: { status: 'requested', newEndDate: e.payload.newEndDate, requestedAt: e.payload.at } };
    case 'ExtensionApproved':
      return {
        ...s, plan: { ...s.plan, endDate: e.payload.newEndDate }, extensionsApproved: s.extensionsApproved + 1,
        extension: { status: 'approved', newEndDate: e.payload.newEndDate, requestedAt: requestedAt(s, e), decidedAt: e.payload.at },
      };
    case 'ExtensionRefused':
      return { ...s, extension: { status: 'refused', newEndDate: e.payload.requestedEndDate, requestedAt: requestedAt(s, e), decidedAt: e.payload.at, reasonCode: e.payload.reasonCode } };
    case 'GrantRecalculated': {
      const from = expect(s, e);
      return { ...from, selection: { ...from.selection, estimatedGrant: e.payload.estimatedGrant } };
    }
    case 'LearningAgreementChanged':
      return { ...s, learningAgreement: { version: e.payload.version, lastChangeReason: e.payload.reasonCode, lastChangedAt: e.payload.at } };
    case 'ParticipantReportInvited':
      return { ...s, reportInvitation: { invitedOn: e.payload.invitedOn, dueOn: e.payload.dueOn, lastSentAt: e.payload.at, reminders: 0 } };
    case 'ParticipantReportReminded': {
      const inv = s.reportInvitation;
      if (!inv) throw new Error('corrupt history: ParticipantReportReminded before ParticipantReportInvited');
      return { ...s, reportInvitation: { ...inv, lastSentAt: e.payload.at, reminders: e.payload.reminderNumber } };
    }
    case 'ParticipantReportSubmitted':
      return { ...expect(s, e), stage: 'reported', report: { submittedOn: e.payload.submittedOn, daysLate: e.payload.daysLate, recordedAt: e.payload.at } };
    case 'OlsAssessmentRecorded':
      return { ...s, ols: { ...s.ols, [e.payload.phase]: { language: e.payload.language, level: e.payload.level, at: e.payload.at } } };
    case 'TranscriptReceived':
      return { ...s, transcript: { receivedOn: e.payload.receivedOn, ects: e.payload.ects } };
    case 'RecognitionRecorded': {
      const p = e.payload;
      return { ...expect(s, e), stage: 'recognised', recognition: { outcome: p.outcome, recognisedEcts: p.recognisedEcts, europass: p.europass, openBadge: p.openBadge, learningOutcomes: p.learningOutcomes, recordedAt: p.at } };
    }
    case 'PaymentOrdered': {
      const { kind, paymentId, amountCents, at } = e.payload;
      const pay = s.payments;
      return {
        ...s,
        payments: {
          ...pay,
          prefinancingCents: pay.prefinancingCents + (kind === 'prefinancing' ? amountCents : 0),
          balanceCents: pay.balanceCents + (kind === 'balance' ? amountCents : 0),
          orders: [...pay.orders, { paymentId, kind, amountCents, at }],
        },
      };
    }
    case 'RecoveryOrdered': {
      const { paymentId, amountCents, at } = e.payload;
      const pay = s.payments;
      return { ...s, payments: { ...pay, recoveredCents: pay.recoveredCents + amountCents, orders: [...pay.orders, { paymentId, kind: 'recovery', amountCents, at }] } };
    }
    case 'DeadlineMissed':
      return { ...s, deadlinesMissed: [...s.deadlinesMissed, e.payload.deadline] };
    case 'DeadlinesScheduled':
      return { ...s, schedule: e.payload.deadlines };
    case 'GrantConditionsRecorded': {
      const { actor: _a, at: _t, ...conditions } = e.payload;
      return { ...s, grantConditions: conditions };
    }
    case 'TakeOverRecorded':
      // The steps are the lifecycle events the mobility went through elsewhere: applied as those events are.
      return e.payload.steps.reduce<MobilityState>(apply, expect(s, e));
    case 'DocumentAttached': {
      const { documentId, kind, sha256, byteSize, mediaType, actor, at } = e.payload;
      return { ...s, documents: [...s.documents, { documentId, kind, sha256, byteSize, mediaType, attachedBy: actor, attachedAt: at }] };
    }
    case 'MobilityCancelled': {
      const from = expect(s, e);
      return {
        ...common(from), stage: 'cancelled',
        cancellation: { reasonCode: e.payload.reasonCode, at: e.payload.at, fromStage: from.stage },
        selection: 'selection' in from ? from.selection : null,
        agreement: 'agreement' in from ? from.agreement : null,
      };
    }
    default: {
      const never: never = e;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
};

/** Apply one event and count it in the audit trail. */
export const evolve = (state: MobilityState, event: MobilityEvent): MobilityState => {
  const next = apply(state, event);
  if (next.stage === 'none') return next;
  const { at, actor } = event.payload;
  return { ...next, audit: { events: next.audit.events + 1, firstAt: next.audit.firstAt, lastAt: at, lastActor: actor } };
};

export const foldEvents = (events: readonly MobilityEvent[], from: MobilityState = initialState): MobilityState => events.reduce(evolve, from);
