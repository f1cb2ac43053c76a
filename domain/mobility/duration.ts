import { type ActivityCode, type DurationLimit, activityRule } from '../activity';
import { actualDays, bmDays } from '../dates';
import { type Rejection, reject } from './rejection';
import { RULES, cite } from './rules';

/**
 * Which duration form applies (long- or short-term) and how days are counted:
 * long-term HE in Beneficiary-Module 30-day months, everything else in actual days (reference §1.7).
 */
export interface DurationForm { readonly longTerm: boolean; readonly limit: DurationLimit }

export interface FormFlags { readonly longTerm?: boolean | undefined; readonly blended?: boolean | undefined; readonly doctoral?: boolean | undefined }

export const durationForm = (activity: ActivityCode, flags: FormFlags): DurationForm | Rejection => {
  const { limits } = activityRule(activity);
  const shortTermKind = flags.blended === true || flags.doctoral === true;
  if (limits.longTerm && limits.shortTerm) {
    const longTerm = flags.longTerm ?? !shortTermKind;
    if (!longTerm && !shortTermKind) {
      return reject('invalid-plan', `cannot accept the plan: ${RULES.shortTermHeStudent.text} (${cite(RULES.shortTermHeStudent)})`, RULES.shortTermHeStudent.id);
    }
    return { longTerm, limit: longTerm ? limits.longTerm : limits.shortTerm };
  }
  const only = limits.longTerm ? { longTerm: true, limit: limits.longTerm } : { longTerm: false, limit: limits.shortTerm! };
  if (flags.longTerm !== undefined && flags.longTerm !== only.longTerm) {
    return reject('invalid-plan', `cannot accept the plan: ${activity} exists only as a ${only.longTerm ? 'long' : 'short'}-term mobility (${only.limit.ruleId}, ${only.limit.source})`, only.limit.ruleId);
  }
  return only;
};

export const countDays = (activity: ActivityCode, longTerm: boolean, start: string, end: string): number =>
  longTerm && activityRule(activity).sector === 'HE' ? bmDays(start, end) : actualDays(start, end);

/**
 * Check days against the activity's limit. Under force majeure the minimum is lifted, the maximum stays
 * (reference §2 Force majeure [V S22]).
 */
export const checkDuration = (action: string, days: number, limit: DurationLimit, forceMajeure: boolean): Rejection | null => {
  if (days > limit.maxDays) {
    return reject('duration-above-maximum', `cannot ${action}: ${days} days exceed the maximum of ${limit.maxDays} days (rule ${limit.ruleId}, ${limit.source})`, limit.ruleId);
  }
  if (days < limit.minDays && !forceMajeure) {
    return reject('duration-below-minimum', `cannot ${action}: ${days} days are below the minimum of ${limit.minDays} days (rule ${limit.ruleId}, ${limit.source}); only force majeure lifts it (${cite(RULES.forceMajeureLiftsMinimum)})`, limit.ruleId);
  }
  return null;
};
