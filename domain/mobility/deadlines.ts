import { activityRule, type ActivityCode } from '../activity';
import type { DeadlineKind } from './codes';
import { addDays } from '../dates';
import { DAYS } from './rules';
import { type MobilityState, grantDue, inStage, netPaid } from './state';

/**
 * Deadlines of a mobility, computed from its state (reference §2 and §8 "Deadline timers").
 * The workflow arms a timer on `dueDate` whenever it changes and, if it fires while `isMet` is still
 * false, sends RecordDeadlineMissed.
 */

/** HE learners get a transcript of records that recognition rests on (reference §2 ToR, §4 EWP ToRs). */
export const transcriptApplies = (activity: ActivityCode): boolean => {
  const r = activityRule(activity);
  return r.sector === 'HE' && r.participant === 'learner';
};

/** The due date, or null when the deadline does not (yet) apply. */
export const dueDate = (s: MobilityState, kind: DeadlineKind): string | null => {
  switch (kind) {
    case 'prefinancing':
      return inStage(s, ['agreed', 'departed']) && s.agreement.prefinancingCents > 0 ? s.agreement.prefinancingDueOn : null;
    case 'participant-report':
      return inStage(s, ['attended', 'reported', 'recognised']) && s.reportInvitation ? s.reportInvitation.dueOn : null;
    case 'transcript':
      return inStage(s, ['attended', 'reported', 'recognised']) && transcriptApplies(s.identity.activity)
        ? addDays(s.attendance.actualEndDate, DAYS.transcriptDue)
        : null;
    case 'recognition':
      return inStage(s, ['attended', 'reported', 'recognised']) && s.transcript ? addDays(s.transcript.receivedOn, DAYS.recognitionDue) : null;
    case 'balance':
      return inStage(s, ['reported', 'recognised']) ? addDays(s.report.submittedOn, DAYS.balanceDue) : null;
    default: {
      const never: never = kind;
      throw new Error(`unknown deadline ${String(never)}`);
    }
  }
};

/** Whether the obligation behind the deadline has been fulfilled. */
export const isMet = (s: MobilityState, kind: DeadlineKind): boolean => {
  if (s.stage === 'none') return false;
  switch (kind) {
    case 'prefinancing':
      return s.payments.prefinancingCents > 0;
    case 'participant-report':
      return inStage(s, ['reported', 'recognised']);
    case 'transcript':
      return s.transcript !== null;
    case 'recognition':
      return s.stage === 'recognised';
    case 'balance':
      return netPaid(s.payments) === grantDue(s);
    default: {
      const never: never = kind;
      throw new Error(`unknown deadline ${String(never)}`);
    }
  }
};
