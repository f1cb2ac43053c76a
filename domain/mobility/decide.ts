import { type DeadlineId, dueDateOf, missedCodeOf } from '../calendar/deadlines';
import type { MobilityFactsInput } from '../calendar/facts';
import { DEFAULT_POLICY, type Policy } from '../calendar/policy';
import { nextReminderAllowed } from '../calendar/reminders';
import { percentOf } from '../money';
import type { CommandOf, MobilityCommand } from './commands';
import { learningOutcomeLines } from './commands';
import { actualDays, utcDateOf, daysBetween, daysLate, maxDate } from '../dates';
import { checkDuration, countDays, durationForm } from './duration';
import { type MobilityEvent, type MobilityFacts, mobilityEvent } from './events';
import { type Allowed, DEPARTED_STAGES, type StagesAllowing, stagesAllowing } from './lifecycle';
import { type Rejection, isRejection, reject } from './rejection';
import { DEPARTURE_EARLY_DAYS, PREFINANCING_PERCENT, RULES, cite } from './rules';
import { calendarFacts, liveDeadlines, transcriptApplies } from './schedule';
import { type Common, type MobilityState, type OpenMobility, type StateIn, grantDue, inStage, interruptedDays, netPaid } from './state';
import { evolve } from './evolve';
import { takeOverMobility } from './takeover';

/**
 * decide(command, state, policy) → events | rejection. Pure: no clock, no I/O, the state is never mutated.
 * Every rule break is a Rejection naming the rule; accepted commands return the events to append.
 * Which stage allows which command is the lifecycle table's (lifecycle.ts); due dates are the
 * calendar's (domain/calendar) under the project's deadline policy.
 */
export type Decision = MobilityEvent[] | Rejection;

/** Guard a stage by the lifecycle table: the reason reads "cannot <action>: <need> (stage '<current>')". */
const require_ = <A extends Allowed>(s: MobilityState, entry: A, action: string, need: string): StateIn<StagesAllowing<A>> | Rejection =>
  inStage(s, stagesAllowing(entry)) ? s : reject('wrong-stage', `cannot ${action}: ${need} (stage '${s.stage}')`);

/** The due date the calendar gives once a fact is known (e.g. the report invitation sent today). */
const dueOnceKnown = (s: OpenMobility, id: DeadlineId, known: MobilityFactsInput, policy: Policy): string | null =>
  dueDateOf(id, { ...calendarFacts(s), ...known }, policy);

const audit = (c: MobilityCommand) => ({ actor: c.actor, at: c.at });

export const factsOf = (s: Common): MobilityFacts => ({
  activity: s.identity.activity,
  funderLineId: s.identity.funderLineId,
  hostCountry: s.plan.receivingCountry,
  fewerOpportunities: s.plan.fewerOpportunities,
  greenTravel: s.plan.greenTravel,
});

const submitApplication = (c: CommandOf<'SubmitApplication'>, s: MobilityState): Decision => {
  if (s.stage !== 'none') return reject('wrong-stage', `cannot submit the application: mobility ${c.mobilityId} already has one (stage '${s.stage}')`);
  const p = c.plan;
  if (p.endDate < p.startDate) return reject('invalid-dates', `cannot submit the application: the end date ${p.endDate} is before the start date ${p.startDate}`);
  if (p.sendingCountry === p.receivingCountry) {
    return reject('invalid-plan', `cannot submit the application: ${RULES.mobilityAbroad.text} (${p.sendingCountry} → ${p.receivingCountry}, ${cite(RULES.mobilityAbroad)})`, RULES.mobilityAbroad.id);
  }
  if (p.fewerOpportunitiesCriterion !== undefined && !p.fewerOpportunities) {
    return reject('criterion-without-fewer-opportunities', `cannot submit the application: a fewer-opportunities criterion is given but fewerOpportunities is false (${cite(RULES.fewerOpportunitiesCode)})`, RULES.fewerOpportunitiesCode.id);
  }
  const form = durationForm(c.activity, p);
  if (isRejection(form)) return form;
  const days = countDays(c.activity, form.longTerm, p.startDate, p.endDate);
  const tooShortOrLong = checkDuration('submit the application', days, form.limit, false);
  if (tooShortOrLong) return tooShortOrLong;
  return [mobilityEvent('ApplicationSubmitted', {
    ...audit(c),
    mobilityId: c.mobilityId, projectId: c.projectId, institutionId: c.institutionId, consortiumId: c.consortiumId,
    siteId: c.siteId ?? null, participantRef: c.participantRef, activity: c.activity, funderLineId: c.funderLineId,
    plan: {
      startDate: p.startDate, endDate: p.endDate, receivingCountry: p.receivingCountry, sendingCountry: p.sendingCountry,
      hostOrgId: p.hostOrgId, distanceKm: p.distanceKm ?? null, greenTravel: p.greenTravel, fewerOpportunities: p.fewerOpportunities,
      recentGraduate: p.recentGraduate ?? false, blended: p.blended ?? false, doctoral: p.doctoral ?? false, hybrid: p.hybrid ?? false,
      longTerm: form.longTerm,
      accompanyingPerson: p.accompanyingPerson ?? false, courseDays: p.courseDays ?? null, virtualComponent: p.virtualComponent ?? null,
    },
    plannedDays: days,
    durationRuleId: form.limit.ruleId,
    groupId: c.groupId ?? null,
  })];
};

const selectParticipant = (c: CommandOf<'SelectParticipant'>, state: MobilityState): Decision => {
  const s = require_(state, 'SelectParticipant', 'select the participant', 'only a submitted application awaiting selection can be selected (a reserve-list applicant is promoted)');
  if (isRejection(s)) return s;
  return [mobilityEvent('ParticipantSelected', { ...audit(c), facts: factsOf(s), estimatedGrant: c.estimatedGrant, fromReserveList: false, funding: c.funding ?? [] })];
};

const rejectApplication = (c: CommandOf<'RejectApplication'>, state: MobilityState): Decision => {
  const s = require_(state, 'RejectApplication', 'reject the application', 'only an application awaiting selection or on the reserve list can be rejected');
  if (isRejection(s)) return s;
  if (c.reserveListRank !== undefined) return [mobilityEvent('PlacedOnReserveList', { ...audit(c), reasonCode: c.reasonCode, rank: c.reserveListRank })];
  return [mobilityEvent('ApplicationRejected', { ...audit(c), reasonCode: c.reasonCode, fromStage: s.stage })];
};

const promoteFromReserveList = (c: CommandOf<'PromoteFromReserveList'>, state: MobilityState): Decision => {
  const s = require_(state, 'PromoteFromReserveList', 'promote from the reserve list', 'the applicant is not on the reserve list');
  if (isRejection(s)) return s;
  return [mobilityEvent('ParticipantSelected', { ...audit(c), facts: factsOf(s), estimatedGrant: c.estimatedGrant, fromReserveList: true, funding: c.funding ?? [] })];
};

const withdrawApplication = (c: CommandOf<'WithdrawApplication'>, state: MobilityState): Decision => {
  const s = require_(state, 'WithdrawApplication', 'withdraw the application', 'only an application not yet under agreement can be withdrawn; after signature, cancel the mobility');
  if (isRejection(s)) return s;
  return [mobilityEvent('ApplicationWithdrawn', { ...audit(c), reasonCode: c.reasonCode, fromStage: s.stage })];
};

const signAgreement = (c: CommandOf<'SignAgreement'>, state: MobilityState, policy: Policy): Decision => {
  const s = require_(state, 'SignAgreement', 'sign the agreement', 'the participant has not been selected');
  if (isRejection(s)) return s;
  const pct = c.prefinancingPercent;
  if (pct < PREFINANCING_PERCENT.min || pct > PREFINANCING_PERCENT.max) {
    return reject('prefinancing-rate-out-of-range', `cannot sign the agreement: pre-financing of ${pct} % is outside ${PREFINANCING_PERCENT.min}–${PREFINANCING_PERCENT.max} % (${cite(RULES.prefinancingRate)})`, RULES.prefinancingRate.id);
  }
  const today = utcDateOf(c.at);
  const lastSignature = maxDate(c.participantSignedOn, c.institutionSignedOn);
  if (lastSignature > today) return reject('signature-in-future', `cannot sign the agreement: signature date ${lastSignature} is after the recording date ${today}`);
  const total = s.selection.estimatedGrant.totalCents;
  return [mobilityEvent('AgreementSigned', {
    ...audit(c),
    participantSignedOn: c.participantSignedOn,
    institutionSignedOn: c.institutionSignedOn,
    prefinancingPercent: pct,
    grantTotalCents: total,
    prefinancingCents: percentOf(total, pct),
    // The calendar's pre-financing deadline (PAY-PREFIN-DUE): earliest of policy days after both signatures or the start date.
    prefinancingDueOn: dueOnceKnown(s, 'prefinancing-payment', { agreementSignedByParticipant: c.participantSignedOn, agreementSignedByInstitution: c.institutionSignedOn, startDate: s.plan.startDate }, policy)!,
    learningAgreementVersion: 1,
  })];
};

const confirmDeparture = (c: CommandOf<'ConfirmDeparture'>, state: MobilityState): Decision => {
  const s = require_(state, 'ConfirmDeparture', 'confirm the departure', 'the agreement has not been signed');
  if (isRejection(s)) return s;
  const start = c.actualStartDate;
  if (start > utcDateOf(c.at)) return reject('invalid-dates', `cannot confirm the departure: the start date ${start} is in the future of ${utcDateOf(c.at)}`);
  if (start > s.plan.endDate) return reject('invalid-dates', `cannot confirm the departure: the start date ${start} is after the planned end date ${s.plan.endDate}`);
  if (daysBetween(start, s.plan.startDate) > DEPARTURE_EARLY_DAYS) {
    return reject('invalid-dates', `cannot confirm the departure: ${start} is more than ${DEPARTURE_EARLY_DAYS} days before the planned start ${s.plan.startDate}; ${RULES.departureWindow.text} (${cite(RULES.departureWindow)})`, RULES.departureWindow.id);
  }
  return [mobilityEvent('DepartureConfirmed', { ...audit(c), plannedStartDate: s.plan.startDate, actualStartDate: start, daysShifted: daysBetween(s.plan.startDate, start) })];
};

const recordInterruption = (c: CommandOf<'RecordInterruption'>, state: MobilityState): Decision => {
  const s = require_(state, 'RecordInterruption', 'record an interruption', 'the participant is not in mobility');
  if (isRejection(s)) return s;
  if (c.to < c.from) return reject('invalid-dates', `cannot record an interruption: it ends (${c.to}) before it starts (${c.from})`);
  if (c.from < s.departure.actualStartDate || c.to > s.plan.endDate) {
    return reject('invalid-dates', `cannot record an interruption: ${c.from}–${c.to} is outside the mobility ${s.departure.actualStartDate}–${s.plan.endDate}`);
  }
  const overlap = s.interruptions.find((i) => c.from <= i.to && i.from <= c.to);
  if (overlap) return reject('interruption-overlap', `cannot record an interruption: ${c.from}–${c.to} overlaps the interruption ${overlap.from}–${overlap.to}`);
  return [mobilityEvent('MobilityInterrupted', { ...audit(c), from: c.from, to: c.to, days: actualDays(c.from, c.to), reasonCode: c.reasonCode })];
};

const declareForceMajeure = (c: CommandOf<'DeclareForceMajeure'>, state: MobilityState): Decision => {
  const s = require_(state, 'DeclareForceMajeure', 'declare force majeure', 'force majeure is declared between the agreement and the participant report');
  if (isRejection(s)) return s;
  if (s.forceMajeure) return reject('force-majeure-already-declared', `cannot declare force majeure: it was already declared on ${s.forceMajeure.declaredAt}`);
  return [mobilityEvent('ForceMajeureDeclared', { ...audit(c), reasonCode: c.reasonCode, stage: s.stage })];
};

type InMobility = StateIn<'departed'>;

/** Duration of the mobility if it ended on endDate: from the actual start, interruptions deducted (§1.6 counting rules). */
const extendedDuration = (s: InMobility, action: string, endDate: string): { days: number } | Rejection => {
  const form = durationForm(s.identity.activity, s.plan);
  if (isRejection(form)) return form;
  const days = countDays(s.identity.activity, form.longTerm, s.departure.actualStartDate, endDate) - interruptedDays(s);
  return checkDuration(action, days, form.limit, s.forceMajeure !== null) ?? { days };
};

const requestExtension = (c: CommandOf<'RequestExtension'>, state: MobilityState, policy: Policy): Decision => {
  const s = require_(state, 'RequestExtension', 'request an extension', 'the participant is not in mobility');
  if (isRejection(s)) return s;
  if (s.extension.status === 'requested') return reject('extension-pending', `cannot request an extension: the request for ${s.extension.newEndDate} awaits a decision`);
  if (c.newEndDate <= s.plan.endDate) return reject('invalid-dates', `cannot request an extension: ${c.newEndDate} is not after the current end date ${s.plan.endDate}`);
  const today = utcDateOf(c.at);
  const notice = daysBetween(today, s.plan.endDate);
  const lastDay = dueOnceKnown(s, 'extension-request', { endDate: s.plan.endDate }, policy)!;
  if (today > lastDay) {
    return reject('extension-too-late', `cannot request an extension: it must be requested at least ${policy.extensionNoticeMonths} month(s) before the end date ${s.plan.endDate}, so by ${lastDay}; requested on ${today} (${notice} days before) (${cite(RULES.extensionNotice)})`, RULES.extensionNotice.id);
  }
  const d = extendedDuration(s, 'request an extension', c.newEndDate);
  if (isRejection(d)) return d;
  return [mobilityEvent('ExtensionRequested', { ...audit(c), currentEndDate: s.plan.endDate, newEndDate: c.newEndDate, noticeDays: notice })];
};

const approveExtension = (c: CommandOf<'ApproveExtension'>, state: MobilityState): Decision => {
  const s = require_(state, 'ApproveExtension', 'approve the extension', 'the participant is not in mobility');
  if (isRejection(s)) return s;
  if (s.extension.status !== 'requested') return reject('no-pending-extension', 'cannot approve the extension: no extension request awaits a decision');
  const d = extendedDuration(s, 'approve the extension', s.extension.newEndDate);
  if (isRejection(d)) return d;
  const paid = netPaid(s.payments);
  if (c.revisedGrant.totalCents < paid) {
    return reject('grant-below-paid', `cannot approve the extension: the revised grant (${c.revisedGrant.totalCents} cents) is below the ${paid} cents already paid (${cite(RULES.balanceNotAboveFinal)})`, RULES.balanceNotAboveFinal.id);
  }
  const previous = s.selection.estimatedGrant.totalCents;
  return [
    mobilityEvent('ExtensionApproved', { ...audit(c), previousEndDate: s.plan.endDate, newEndDate: s.extension.newEndDate, durationDays: d.days }),
    mobilityEvent('GrantRecalculated', { ...audit(c), facts: factsOf(s), cause: 'extension', previousTotalCents: previous, estimatedGrant: c.revisedGrant, deltaCents: c.revisedGrant.totalCents - previous, funding: c.funding ?? [] }),
  ];
};

const refuseExtension = (c: CommandOf<'RefuseExtension'>, state: MobilityState): Decision => {
  const s = require_(state, 'RefuseExtension', 'refuse the extension', 'the participant is not in mobility');
  if (isRejection(s)) return s;
  if (s.extension.status !== 'requested') return reject('no-pending-extension', 'cannot refuse the extension: no extension request awaits a decision');
  return [mobilityEvent('ExtensionRefused', { ...audit(c), requestedEndDate: s.extension.newEndDate, reasonCode: c.reasonCode })];
};

const changeLearningAgreement = (c: CommandOf<'ChangeLearningAgreement'>, state: MobilityState): Decision => {
  const s = require_(state, 'ChangeLearningAgreement', 'change the learning agreement', 'the learning agreement is signed with the agreement and changes only until the mobility ends');
  if (isRejection(s)) return s;
  return [mobilityEvent('LearningAgreementChanged', { ...audit(c), reasonCode: c.reasonCode, version: s.learningAgreement.version + 1 })];
};

const recordCertificateOfAttendance = (c: CommandOf<'RecordCertificateOfAttendance'>, state: MobilityState): Decision => {
  const s = require_(state, 'RecordCertificateOfAttendance', 'record the certificate of attendance', 'the departure has not been confirmed');
  if (isRejection(s)) return s;
  const { actualStartDate: start, actualEndDate: end } = c;
  if (end < start) return reject('invalid-dates', `cannot record the certificate of attendance: the end date ${end} is before the start date ${start}`);
  if (end > utcDateOf(c.at)) return reject('invalid-dates', `cannot record the certificate of attendance: the end date ${end} is in the future of ${utcDateOf(c.at)}`);
  if (daysBetween(start, s.departure.actualStartDate) > DEPARTURE_EARLY_DAYS) {
    return reject('invalid-dates', `cannot record the certificate of attendance: the attended start ${start} is more than ${DEPARTURE_EARLY_DAYS} days before the confirmed departure ${s.departure.actualStartDate} (${cite(RULES.departureWindow)})`, RULES.departureWindow.id);
  }
  const outside = s.interruptions.find((i) => i.from < start || i.to > end);
  if (outside) return reject('invalid-dates', `cannot record the certificate of attendance: the interruption ${outside.from}–${outside.to} lies outside the attended dates ${start}–${end}`);
  const form = durationForm(s.identity.activity, s.plan);
  if (isRejection(form)) return form;
  const interrupted = interruptedDays(s);
  const physicalDays = Math.max(0, countDays(s.identity.activity, form.longTerm, start, end) - interrupted);
  const estimated = s.selection.estimatedGrant.totalCents;
  const paid = netPaid(s.payments);
  return [mobilityEvent('AttendanceCertified', {
    ...audit(c), facts: factsOf(s), actualStartDate: start, actualEndDate: end, physicalDays, interruptedDays: interrupted,
    minimumMet: physicalDays >= form.limit.minDays, forceMajeure: s.forceMajeure !== null, finalGrant: c.finalGrant,
    estimatedTotalCents: estimated, deltaCents: c.finalGrant.totalCents - estimated, paidCents: paid,
    balanceDueCents: c.finalGrant.totalCents - paid, funding: c.funding ?? [],
  })];
};

const inviteParticipantReport = (c: CommandOf<'InviteParticipantReport'>, state: MobilityState, policy: Policy): Decision => {
  const s = require_(state, 'InviteParticipantReport', 'invite the participant report', 'attendance has not been certified, or the report is already in');
  if (isRejection(s)) return s;
  if (s.reportInvitation) return reject('report-already-invited', `cannot invite the participant report: it was sent on ${s.reportInvitation.invitedOn}; send a reminder instead`);
  const today = utcDateOf(c.at);
  if (today <= s.attendance.actualEndDate) {
    return reject('report-before-end', `cannot invite the participant report: ${RULES.reportAfterEnd.text}, ${s.attendance.actualEndDate} (${cite(RULES.reportAfterEnd)})`, RULES.reportAfterEnd.id);
  }
  return [mobilityEvent('ParticipantReportInvited', { ...audit(c), invitedOn: today, dueOn: dueOnceKnown(s, 'participant-report', { reportInvitedAt: today }, policy)! })];
};

const remindParticipantReport = (c: CommandOf<'RemindParticipantReport'>, state: MobilityState): Decision => {
  const s = require_(state, 'RemindParticipantReport', 'remind the participant', 'the report is not awaited');
  if (isRejection(s)) return s;
  if (!s.reportInvitation) return reject('report-not-invited', 'cannot remind the participant: no report invitation was sent');
  const gap = nextReminderAllowed(s.reportInvitation.lastSentAt, c.at);
  if (!gap.allowed) {
    return reject('reminder-too-soon', `cannot remind the participant: ${gap.reason}, not before ${gap.notBefore} (${cite(RULES.reportReminder24h)})`, RULES.reportReminder24h.id);
  }
  return [mobilityEvent('ParticipantReportReminded', { ...audit(c), reminderNumber: s.reportInvitation.reminders + 1 })];
};

const recordParticipantReportSubmitted = (c: CommandOf<'RecordParticipantReportSubmitted'>, state: MobilityState): Decision => {
  const s = require_(state, 'RecordParticipantReportSubmitted', 'record the participant report', 'attendance has not been certified, or the report is already in');
  if (isRejection(s)) return s;
  if (!s.reportInvitation) return reject('report-not-invited', 'cannot record the participant report: the invitation was never sent');
  const on = c.submittedOn;
  if (on < s.reportInvitation.invitedOn || on > utcDateOf(c.at)) {
    return reject('invalid-dates', `cannot record the participant report: submission date ${on} is outside ${s.reportInvitation.invitedOn}–${utcDateOf(c.at)}`);
  }
  const due = s.reportInvitation.dueOn;
  return [mobilityEvent('ParticipantReportSubmitted', { ...audit(c), submittedOn: on, dueOn: due, daysLate: daysLate(due, on) })];
};

const recordOlsAssessment = (c: CommandOf<'RecordOlsAssessment'>, state: MobilityState): Decision => {
  const need = c.phase === 'before' ? 'the assessment before mobility is taken between selection and the end of the mobility' : 'the assessment after mobility is taken once attendance is certified';
  const s = require_(state, `RecordOlsAssessment.${c.phase}`, `record the OLS assessment (${c.phase})`, need);
  if (isRejection(s)) return s;
  const existing = s.ols[c.phase];
  if (existing) return reject('ols-already-recorded', `cannot record the OLS assessment (${c.phase}): ${existing.level} in ${existing.language} was recorded on ${existing.at}`);
  return [mobilityEvent('OlsAssessmentRecorded', { ...audit(c), phase: c.phase, language: c.language, level: c.level })];
};

const recordTranscriptOfRecords = (c: CommandOf<'RecordTranscriptOfRecords'>, state: MobilityState, policy: Policy): Decision => {
  const s = require_(state, 'RecordTranscriptOfRecords', 'record the transcript of records', 'the transcript follows the certificate of attendance and precedes recognition');
  if (isRejection(s)) return s;
  if (!transcriptApplies(s.identity.activity)) return reject('transcript-not-applicable', `cannot record the transcript of records: ${s.identity.activity} is not a higher-education learner mobility`);
  if (s.transcript) return reject('transcript-already-recorded', `cannot record the transcript of records: it was received on ${s.transcript.receivedOn}`);
  if (c.receivedOn > utcDateOf(c.at)) return reject('invalid-dates', `cannot record the transcript of records: received on ${c.receivedOn}, after the recording date ${utcDateOf(c.at)}`);
  const due = dueOnceKnown(s, 'transcript-of-records', {}, policy)!;
  return [mobilityEvent('TranscriptReceived', { ...audit(c), receivedOn: c.receivedOn, ects: c.ects, dueOn: due, daysLate: daysLate(due, c.receivedOn) })];
};

const recordRecognition = (c: CommandOf<'RecordRecognition'>, state: MobilityState, policy: Policy): Decision => {
  const s = require_(state, 'RecordRecognition', 'record the recognition', 'the participant report has not been submitted');
  if (isRejection(s)) return s;
  const recognised = c.recognisedEcts ?? null;
  let due: string | null = null;
  if (transcriptApplies(s.identity.activity)) {
    if (!s.transcript) return reject('transcript-required', `cannot record the recognition: the transcript of records has not been received (${cite(RULES.recognitionDue)})`, RULES.recognitionDue.id);
    const tor = s.transcript.ects;
    if (recognised === null) return reject('recognition-inconsistent', 'cannot record the recognition: recognisedEcts is required for a higher-education learner');
    if (recognised > tor) return reject('recognition-inconsistent', `cannot record the recognition: ${recognised} ECTS recognised exceed the ${tor} ECTS of the transcript`);
    if ((c.outcome === 'full') !== (recognised === tor)) {
      return reject('recognition-inconsistent', `cannot record the recognition as '${c.outcome}': ${recognised} of ${tor} ECTS recognised; ${RULES.recognitionFull.text} (${cite(RULES.recognitionFull)})`, RULES.recognitionFull.id);
    }
    due = dueOnceKnown(s, 'recognition', {}, policy);
  }
  return [mobilityEvent('RecognitionRecorded', {
    ...audit(c), outcome: c.outcome, recognisedEcts: recognised, transcriptEcts: s.transcript?.ects ?? null,
    europass: c.europass ?? false, openBadge: c.openBadge ?? false, dueOn: due, daysLate: due ? daysLate(due, utcDateOf(c.at)) : 0,
    learningOutcomes: learningOutcomeLines(c.learningOutcomes ?? ''),
  })];
};

const PAYMENT_STAGE_NEED = {
  prefinancing: 'pre-financing is paid between signature and the certificate of attendance',
  balance: 'the mobility is closed',
  recovery: 'a recovery follows the certificate of attendance or a cancellation',
} as const;

const recordPaymentOrdered = (c: CommandOf<'RecordPaymentOrdered'>, state: MobilityState, policy: Policy): Decision => {
  const action = `order the ${c.kind} payment`;
  if (state.stage === 'none') return reject('wrong-stage', `cannot ${action}: no application has been submitted (stage 'none')`);
  if (c.kind === 'balance' && inStage(state, ['applied', 'selected', 'reserve-list', 'agreed', 'departed'])) {
    return reject('balance-before-attendance', `cannot ${action}: ${RULES.balanceAfterAttendance.text} (stage '${state.stage}', ${cite(RULES.balanceAfterAttendance)})`, RULES.balanceAfterAttendance.id);
  }
  const inStageOk = require_(state, `RecordPaymentOrdered.${c.kind}`, action, PAYMENT_STAGE_NEED[c.kind]);
  if (isRejection(inStageOk)) return inStageOk;
  if (state.payments.orders.some((o) => o.paymentId === c.paymentId)) return reject('duplicate-payment-id', `cannot ${action}: payment ${c.paymentId} is already recorded`);
  const paid = netPaid(state.payments);
  const today = utcDateOf(c.at);
  switch (c.kind) {
    case 'prefinancing': {
      const s = require_(state, 'RecordPaymentOrdered.prefinancing', action, PAYMENT_STAGE_NEED.prefinancing);
      if (isRejection(s)) return s;
      if (s.payments.prefinancingCents > 0) return reject('prefinancing-already-ordered', `cannot ${action}: pre-financing was already ordered`);
      if (c.amountCents > s.agreement.prefinancingCents) {
        return reject('payment-exceeds-grant', `cannot ${action}: ${c.amountCents} cents exceed the agreed pre-financing of ${s.agreement.prefinancingCents} cents (${s.agreement.prefinancingPercent} % of the grant, ${cite(RULES.prefinancingRate)})`, RULES.prefinancingRate.id);
      }
      const estimate = s.selection.estimatedGrant.totalCents;
      if (paid + c.amountCents > estimate) {
        return reject('payment-exceeds-grant', `cannot ${action}: ${paid} cents paid + ${c.amountCents} would exceed the current estimated grant of ${estimate} cents (${cite(RULES.balanceNotAboveFinal)})`, RULES.balanceNotAboveFinal.id);
      }
      const due = s.agreement.prefinancingDueOn;
      return [mobilityEvent('PaymentOrdered', { ...audit(c), facts: factsOf(s), kind: 'prefinancing', paymentId: c.paymentId, amountCents: c.amountCents, paidTotalCents: paid + c.amountCents, dueOn: due, daysLate: daysLate(due, today) })];
    }
    case 'balance': {
      const s = require_(state, 'RecordPaymentOrdered.balance', action, PAYMENT_STAGE_NEED.balance);
      if (isRejection(s)) return s;
      const final = s.attendance.finalGrant.totalCents;
      if (paid + c.amountCents > final) {
        return reject('payment-exceeds-grant', `cannot ${action}: ${paid} cents paid + ${c.amountCents} would exceed the final grant of ${final} cents (${cite(RULES.balanceNotAboveFinal)})`, RULES.balanceNotAboveFinal.id);
      }
      const due = s.stage === 'attended' ? null : dueOnceKnown(s, 'balance-payment', {}, policy);
      return [mobilityEvent('PaymentOrdered', { ...audit(c), facts: factsOf(s), kind: 'balance', paymentId: c.paymentId, amountCents: c.amountCents, paidTotalCents: paid + c.amountCents, dueOn: due, daysLate: due ? daysLate(due, today) : 0 })];
    }
    case 'recovery': {
      const s = require_(state, 'RecordPaymentOrdered.recovery', action, PAYMENT_STAGE_NEED.recovery);
      if (isRejection(s)) return s;
      const owed = grantDue(s) ?? 0;
      const overpaid = paid - owed;
      if (overpaid <= 0) {
        return reject('recovery-not-due', `cannot ${action}: ${paid} cents paid do not exceed the ${owed} cents due (${cite(RULES.recoveryOnlyWhenOverpaid)})`, RULES.recoveryOnlyWhenOverpaid.id);
      }
      if (c.amountCents > overpaid) {
        return reject('recovery-exceeds-overpayment', `cannot ${action}: ${c.amountCents} cents exceed the overpayment of ${overpaid} cents (${cite(RULES.recoveryOnlyWhenOverpaid)})`, RULES.recoveryOnlyWhenOverpaid.id);
      }
      return [mobilityEvent('RecoveryOrdered', { ...audit(c), facts: factsOf(s), paymentId: c.paymentId, amountCents: c.amountCents, grantDueCents: owed, paidTotalCents: paid - c.amountCents })];
    }
    default: {
      const never: never = c.kind;
      throw new Error(`unknown payment kind ${String(never)}`);
    }
  }
};

const recordDeadlineMissed = (c: CommandOf<'RecordDeadlineMissed'>, state: MobilityState, policy: Policy): Decision => {
  const action = `record the missed ${c.deadline} deadline`;
  const s = require_(state, 'RecordDeadlineMissed', action, 'no deadline is watched in this stage');
  if (isRejection(s)) return s;
  const today = utcDateOf(c.at);
  const deadline = liveDeadlines(s, policy, today).find((d) => missedCodeOf(d.id) === c.deadline);
  if (!deadline) return reject('deadline-not-applicable', `cannot ${action}: the deadline does not apply (stage '${s.stage}')`);
  if (deadline.fulfilledAt !== null) return reject('deadline-not-applicable', `cannot ${action}: it has been met`);
  if (s.deadlinesMissed.includes(c.deadline)) return reject('deadline-already-recorded', `cannot ${action}: it is already recorded`);
  const due = deadline.dueDate;
  if (today <= due) return reject('deadline-not-passed', `cannot ${action}: it is due on ${due}, today is ${today}`);
  return [mobilityEvent('DeadlineMissed', { ...audit(c), deadline: c.deadline, dueOn: due, daysLate: daysBetween(due, today) })];
};

/** The per-participant grant switches: recorded until attendance is certified (the final grant is computed from them). */
const recordGrantConditions = (c: CommandOf<'RecordGrantConditions'>, state: MobilityState): Decision => {
  const s = require_(state, 'RecordGrantConditions', 'record the grant conditions', 'they are set before the certificate of attendance fixes the final grant');
  if (isRejection(s)) return s;
  const { type: _t, mobilityId: _m, actor: _a, at: _at, ...conditions } = c;
  if (conditions.zeroGrant && (conditions.inclusionSupportCents > 0 || conditions.exceptionalTravelCostCents !== null)) {
    return reject('invalid-plan', 'cannot record the grant conditions: a zero-grant mobility receives no inclusion support or travel costs');
  }
  return [mobilityEvent('GrantConditionsRecorded', { ...audit(c), ...conditions })];
};

/** The open due dates, published when they differ from the last ones (nothing to append otherwise). */
const recordDeadlineSchedule = (c: CommandOf<'RecordDeadlineSchedule'>, state: MobilityState, policy: Policy): Decision => {
  const s = require_(state, 'RecordDeadlineSchedule', 'publish the deadline schedule', 'no application has been submitted');
  if (isRejection(s)) return s;
  const deadlines = liveDeadlines(s, policy, utcDateOf(c.at)).filter((d) => d.fulfilledAt === null).map((d) => ({ deadline: d.id, kind: d.kind, dueOn: d.dueDate }));
  if (JSON.stringify(deadlines) === JSON.stringify(s.schedule)) return [];
  return [mobilityEvent('DeadlinesScheduled', { ...audit(c), deadlines })];
};

const cancelMobility = (c: CommandOf<'CancelMobility'>, state: MobilityState): Decision => {
  if (inStage(state, DEPARTED_STAGES)) {
    return reject('cancel-after-departure', `cannot cancel the mobility: ${RULES.cancelBeforeDeparture.text} (stage '${state.stage}', ${cite(RULES.cancelBeforeDeparture)})`, RULES.cancelBeforeDeparture.id);
  }
  const s = require_(state, 'CancelMobility', 'cancel the mobility', 'the mobility is already closed');
  if (isRejection(s)) return s;
  return [mobilityEvent('MobilityCancelled', {
    ...audit(c), facts: factsOf(s), reasonCode: c.reasonCode, fromStage: s.stage,
    releasedCents: grantDue(s) ?? 0, toRecoverCents: netPaid(s.payments),
  })];
};

/** A proof kept for the mobility, in any open stage; the same content attached again as the same kind is refused (it is there). */
const attachDocument = (c: CommandOf<'AttachDocument'>, state: MobilityState): Decision => {
  const s = require_(state, 'AttachDocument', 'attach a document', 'the mobility is closed');
  if (isRejection(s)) return s;
  const same = s.documents.find((d) => d.documentId === c.documentId || (d.kind === c.kind && d.sha256 === c.sha256));
  if (same) return reject('document-already-attached', `cannot attach the ${c.kind}: the same document (${same.documentId}, sha256 ${same.sha256.slice(0, 12)}…) was attached on ${same.attachedAt}`);
  return [mobilityEvent('DocumentAttached', { ...audit(c), documentId: c.documentId, kind: c.kind, sha256: c.sha256, byteSize: c.byteSize, mediaType: c.mediaType })];
};

/**
 * The project's policy may make an action wait for proofs (requiredProofs): a command it accepts is refused
 * until a document of each required kind is attached.
 */
const missingProofs = (c: MobilityCommand, s: MobilityState, policy: Policy): Rejection | null => {
  const required = (policy.requiredProofs as Partial<Record<string, readonly string[]>>)[c.type] ?? [];
  if (required.length === 0 || s.stage === 'none') return null;
  const missing = required.filter((k) => !s.documents.some((d) => d.kind === k));
  if (missing.length === 0) return null;
  return reject('proof-required', `cannot apply ${c.type}: the project requires the ${missing.join(', ')} to be attached first (policy requiredProofs; attach it as a document of the mobility)`, 'POLICY-REQUIRED-PROOF');
};

export const decide = (command: MobilityCommand, state: MobilityState, policy: Policy = DEFAULT_POLICY): Decision => {
  const decision = decideCommand(command, state, policy);
  if (isRejection(decision)) return decision;
  return missingProofs(command, state, policy) ?? decision;
};

const decideCommand = (command: MobilityCommand, state: MobilityState, policy: Policy): Decision => {
  if (command.type !== 'SubmitApplication') {
    if (state.stage === 'none') return reject('wrong-stage', `cannot apply ${command.type}: no application has been submitted (stage 'none')`);
    if (state.identity.mobilityId !== command.mobilityId) {
      return reject('wrong-mobility', `cannot apply ${command.type}: it targets ${command.mobilityId}, this is ${state.identity.mobilityId}`);
    }
  }
  switch (command.type) {
    case 'SubmitApplication': return submitApplication(command, state);
    case 'SelectParticipant': return selectParticipant(command, state);
    case 'RejectApplication': return rejectApplication(command, state);
    case 'PromoteFromReserveList': return promoteFromReserveList(command, state);
    case 'WithdrawApplication': return withdrawApplication(command, state);
    case 'SignAgreement': return signAgreement(command, state, policy);
    case 'ConfirmDeparture': return confirmDeparture(command, state);
    case 'RecordCertificateOfAttendance': return recordCertificateOfAttendance(command, state);
    case 'RecordInterruption': return recordInterruption(command, state);
    case 'DeclareForceMajeure': return declareForceMajeure(command, state);
    case 'RequestExtension': return requestExtension(command, state, policy);
    case 'ApproveExtension': return approveExtension(command, state);
    case 'RefuseExtension': return refuseExtension(command, state);
    case 'ChangeLearningAgreement': return changeLearningAgreement(command, state);
    case 'InviteParticipantReport': return inviteParticipantReport(command, state, policy);
    case 'RemindParticipantReport': return remindParticipantReport(command, state);
    case 'RecordParticipantReportSubmitted': return recordParticipantReportSubmitted(command, state);
    case 'RecordOlsAssessment': return recordOlsAssessment(command, state);
    case 'RecordTranscriptOfRecords': return recordTranscriptOfRecords(command, state, policy);
    case 'RecordRecognition': return recordRecognition(command, state, policy);
    case 'RecordPaymentOrdered': return recordPaymentOrdered(command, state, policy);
    case 'RecordDeadlineMissed': return recordDeadlineMissed(command, state, policy);
    case 'RecordDeadlineSchedule': return recordDeadlineSchedule(command, state, policy);
    case 'RecordGrantConditions': return recordGrantConditions(command, state);
    case 'CancelMobility': return cancelMobility(command, state);
    case 'AttachDocument': return attachDocument(command, state);
    case 'TakeOverMobility': return takeOverMobility(command, state, policy, decide, evolve);
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
};
