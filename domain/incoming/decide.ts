import { actualDays, bmDays, daysBetween, daysLate, parseIsoDate, utcDateOf } from '../dates';
import type { IncomingCommand, IncomingCommandOf } from './commands';
import { liveIncomingDeadlines, transcriptDueOn } from './deadlines';
import { type IncomingEvent, incomingEvent } from './events';
import { kindRule } from './kinds';
import { type IncomingAllowed, incomingAllows, incomingStagesAllowing } from './lifecycle';
import type { IncomingState, OpenIncoming } from './state';

export type IncomingRejectionCode =
  | 'wrong-incoming'
  | 'wrong-stage'
  | 'invalid-dates'
  | 'date-in-future'
  | 'duration-out-of-range'
  | 'agreement-not-applicable'
  | 'agreement-required'
  | 'ects-required'
  | 'ects-not-applicable'
  | 'transcript-not-applicable'
  | 'no-show-before-start'
  | 'deadline-not-applicable'
  | 'deadline-not-passed'
  | 'deadline-already-recorded';

export interface IncomingRejection {
  readonly kind: 'rejected';
  readonly code: IncomingRejectionCode;
  /** A sentence for staff naming the rule. */
  readonly reason: string;
  readonly ruleId: string | null;
}
export type IncomingDecision = IncomingEvent[] | IncomingRejection;

const reject = (code: IncomingRejectionCode, reason: string, ruleId: string | null = null): IncomingRejection => ({ kind: 'rejected', code, reason, ruleId });
export const isIncomingRejection = (r: unknown): r is IncomingRejection =>
  typeof r === 'object' && r !== null && !Array.isArray(r) && (r as { kind?: unknown }).kind === 'rejected';

const validDate = (d: string): boolean => {
  try {
    parseIsoDate(d);
    return true;
  } catch {
    return false;
  }
};

/**
 * The receiving side's decider: a command and the state give events, or a rejection naming the rule.
 * Pure: the day ("today") is the command's `at`, never the clock.
 */
export function decideIncoming(cmd: IncomingCommand, state: IncomingState): IncomingDecision {
  const entry = cmd.type as IncomingAllowed;
  if (!incomingAllows(state.stage, entry)) {
    return reject('wrong-stage', `${cmd.type} is not allowed in stage '${state.stage}' (allowed in: ${incomingStagesAllowing(entry).join(', ')})`);
  }
  if (cmd.type === 'RecordNomination') return nominate(cmd);
  const s = state as OpenIncoming;
  if (cmd.incomingId !== s.identity.incomingId) return reject('wrong-incoming', `command for ${cmd.incomingId} sent to ${s.identity.incomingId}`);
  const today = utcDateOf(cmd.at);
  const audit = { actor: cmd.actor, at: cmd.at };
  const rule = kindRule(s.identity.kind);
  switch (cmd.type) {
    case 'SignAgreementAsReceiver': {
      if (rule.agreement === 'none') return reject('agreement-not-applicable', `a ${s.identity.kind} comes on an invitation: there is no agreement to sign`, 'IN-AGREEMENT-KIND');
      if (!validDate(cmd.signedOn) || cmd.signedOn > today) return reject('date-in-future', `signedOn ${cmd.signedOn} is after today (${today})`);
      if (rule.agreement === 'learning-agreement' && (cmd.ectsPlanned === null || cmd.ectsPlanned <= 0)) {
        return reject('ects-required', 'ectsPlanned: a learning agreement lists the credits of Table A (reference §2)', 'IN-LA-TABLE-A');
      }
      if (rule.agreement === 'mobility-agreement' && cmd.ectsPlanned !== null) return reject('ects-not-applicable', `ectsPlanned: a ${s.identity.kind} has a mobility agreement, without credits`, 'IN-AGREEMENT-KIND');
      return [incomingEvent('IncomingAgreementSigned', { ...audit, agreement: rule.agreement, signedOn: cmd.signedOn, ectsPlanned: cmd.ectsPlanned })];
    }
    case 'ConfirmArrival': {
      if (s.stage === 'nominated' && rule.agreement !== 'none') {
        return reject('agreement-required', `the ${rule.agreement} must be signed by the receiving institution before arrival (reference §2)`, 'IN-AGREEMENT-BEFORE-ARRIVAL');
      }
      if (cmd.arrivedOn > today) return reject('date-in-future', `arrivedOn ${cmd.arrivedOn} is after today (${today})`);
      if (cmd.arrivedOn > s.plan.endDate) return reject('invalid-dates', `arrivedOn ${cmd.arrivedOn} is after the planned end ${s.plan.endDate}`);
      return [incomingEvent('IncomingArrived', { ...audit, arrivedOn: cmd.arrivedOn, plannedStartDate: s.plan.startDate, daysShifted: daysBetween(s.plan.startDate, cmd.arrivedOn) })];
    }
    case 'IssueCertificateOfAttendance': {
      if (cmd.actualStartDate > cmd.actualEndDate) return reject('invalid-dates', `actualStartDate ${cmd.actualStartDate} is after actualEndDate ${cmd.actualEndDate}`);
      if (cmd.issuedOn > today) return reject('date-in-future', `issuedOn ${cmd.issuedOn} is after today (${today})`);
      if (cmd.actualEndDate > cmd.issuedOn) return reject('invalid-dates', `actualEndDate ${cmd.actualEndDate}: a certificate cannot attest days after its issue (${cmd.issuedOn})`, 'IN-COA-END');
      const dueOn = s.plan.endDate;
      return [incomingEvent('IncomingAttendanceCertified', {
        ...audit, actualStartDate: cmd.actualStartDate, actualEndDate: cmd.actualEndDate, physicalDays: actualDays(cmd.actualStartDate, cmd.actualEndDate),
        issuedOn: cmd.issuedOn, dueOn, daysLate: daysLate(dueOn, cmd.issuedOn), transcriptDueOn: rule.transcript ? transcriptDueOn(cmd.actualEndDate) : null,
      })];
    }
    case 'IssueTranscriptOfRecords': {
      if (!rule.transcript) return reject('transcript-not-applicable', `a ${s.identity.kind} receives no transcript of records (students only)`, 'IN-TOR-5W');
      const cert = s.certificate!;
      if (cmd.issuedOn > today) return reject('date-in-future', `issuedOn ${cmd.issuedOn} is after today (${today})`);
      if (cmd.issuedOn < cert.actualEndDate) return reject('invalid-dates', `issuedOn ${cmd.issuedOn} is before the last day present ${cert.actualEndDate}`);
      const dueOn = cert.transcriptDueOn!;
      return [incomingEvent('IncomingTranscriptIssued', { ...audit, issuedOn: cmd.issuedOn, ects: cmd.ects, ectsPlanned: s.agreement?.ectsPlanned ?? null, dueOn, daysLate: daysLate(dueOn, cmd.issuedOn) })];
    }
    case 'CancelIncoming':
      return [incomingEvent('IncomingCancelled', { ...audit, reasonCode: cmd.reasonCode, fromStage: s.stage as 'nominated' | 'agreed' })];
    case 'RecordNoShow': {
      if (today <= s.plan.startDate) return reject('no-show-before-start', `a no-show is recorded after the planned start ${s.plan.startDate} (today ${today})`, 'IN-NOSHOW-AFTER-START');
      return [incomingEvent('IncomingNoShowRecorded', { ...audit, plannedStartDate: s.plan.startDate, daysAfterStart: daysBetween(s.plan.startDate, today), fromStage: s.stage as 'nominated' | 'agreed' })];
    }
    case 'RecordIncomingDeadlineMissed': {
      const due = liveIncomingDeadlines(s).find((d) => d.deadline === cmd.deadline);
      if (!due) return reject('deadline-not-applicable', `${cmd.deadline} is not due in stage '${s.stage}'`);
      if (s.missed.includes(cmd.deadline)) return reject('deadline-already-recorded', `${cmd.deadline} is already recorded as missed`);
      if (today <= due.dueOn) return reject('deadline-not-passed', `${cmd.deadline} is due ${due.dueOn} (today ${today})`, due.ruleId);
      return [incomingEvent('IncomingDeadlineMissed', { ...audit, deadline: cmd.deadline, dueOn: due.dueOn, daysLate: daysBetween(due.dueOn, today) })];
    }
    default: {
      const never: never = cmd;
      return reject('wrong-stage', `unknown command ${(never as { type: string }).type}`);
    }
  }
}

function nominate(cmd: IncomingCommandOf<'RecordNomination'>): IncomingDecision {
  if (cmd.startDate > cmd.endDate) return reject('invalid-dates', `startDate ${cmd.startDate} is after endDate ${cmd.endDate}`);
  const rule = kindRule(cmd.kind);
  const fits = rule.limits.map((l) => ({ ...l, days: l.count === 'bm' ? bmDays(cmd.startDate, cmd.endDate) : actualDays(cmd.startDate, cmd.endDate) }));
  const fit = fits.find((l) => l.days >= l.limit.minDays && l.days <= l.limit.maxDays);
  if (!fit) {
    const ranges = fits.map((l) => `${l.limit.minDays}–${l.limit.maxDays} days (${l.limit.ruleId}, ${l.limit.source})`).join(' or ');
    return reject('duration-out-of-range', `a ${cmd.kind} of ${fits[0]!.days} days: the stay must last ${ranges}`, fits[0]!.limit.ruleId);
  }
  return [incomingEvent('IncomingNominated', {
    actor: cmd.actor, at: cmd.at, incomingId: cmd.incomingId, institutionId: cmd.institutionId, siteId: cmd.siteId, participantRef: cmd.participantRef,
    kind: cmd.kind, sendingOrgId: cmd.sendingOrgId, sendingCountry: cmd.sendingCountry, startDate: cmd.startDate, endDate: cmd.endDate,
    plannedDays: fit.days, durationRuleId: fit.limit.ruleId, agreement: rule.agreement, transcript: rule.transcript,
  })];
}
