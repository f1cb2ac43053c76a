import { activityRule } from '../activity';
import { DEFAULT_POLICY, type Policy } from '../calendar/policy';
import { actualDays, addDays } from '../dates';
import { CERTIFIED_STAGES, DEPARTED_STAGES } from './lifecycle';
import { RULES } from './rules';
import { transcriptApplies } from './schedule';
import { type MobilityState, grantDue, inStage, netPaid } from './state';

/**
 * What must hold in every reachable state. Checked after every step by the property tests; also usable
 * as a guard when a workflow rebuilds its state from history.
 */
export const invariantViolations = (s: MobilityState, policy: Policy = DEFAULT_POLICY): string[] => {
  if (s.stage === 'none') return [];
  const v: string[] = [];
  const check = (ok: boolean, msg: string) => { if (!ok) v.push(msg); };
  const certified = inStage(s, CERTIFIED_STAGES);
  const hasAgreement = 'agreement' in s && s.agreement !== null;
  const hasSelection = 'selection' in s && s.selection !== null;

  check(s.audit.events >= 1, 'audit counts at least the submission');
  check(s.plan.startDate <= s.plan.endDate, 'plan: start ≤ end');
  check((s.extensionsApproved > 0) === (s.plan.endDate > s.originalEndDate), 'the end date moves only through approved extensions');
  const form = activityRule(s.identity.activity).limits[s.plan.longTerm ? 'longTerm' : 'shortTerm'];
  check(form !== undefined && s.plannedDays >= form.minDays && s.plannedDays <= form.maxDays, 'planned duration within the activity limits');

  // During-mobility facts.
  const departed = inStage(s, DEPARTED_STAGES);
  check(s.interruptions.length === 0 || departed, 'interruptions only after departure');
  s.interruptions.forEach((i, k) => {
    check(i.from <= i.to && i.days === actualDays(i.from, i.to), `interruption ${k}: consistent dates`);
    s.interruptions.slice(k + 1).forEach((j) => check(i.to < j.from || j.to < i.from, `interruptions ${i.from} and ${j.from} do not overlap`));
  });
  check(s.forceMajeure === null || hasAgreement, 'force majeure only once an agreement exists');
  check(s.extension.status === 'none' || departed, 'extensions only after departure');
  check((s.learningAgreement.version >= 1) === hasAgreement, 'learning agreement version ≥ 1 exactly when an agreement exists');

  // After-mobility facts.
  check(s.reportInvitation === null || certified, 'report invitation only after attendance');
  check(s.reportInvitation === null || s.reportInvitation.dueOn === addDays(s.reportInvitation.invitedOn, policy.reportDays), `report due ${policy.reportDays} days after invitation`);
  check(!inStage(s, ['reported', 'recognised']) || s.reportInvitation !== null, 'a submitted report was invited');
  check(s.transcript === null || (certified && transcriptApplies(s.identity.activity)), 'transcript only for certified HE learner mobilities');
  check(s.ols.before === null || !inStage(s, ['applied', 'reserve-list', 'rejected']), 'OLS before mobility only after selection');
  check(s.ols.after === null || certified, 'OLS after mobility only after attendance');
  check(new Set(s.deadlinesMissed).size === s.deadlinesMissed.length, 'each missed deadline recorded once');
  if (certified) check(s.attendance.actualStartDate <= s.attendance.actualEndDate, 'attendance: start ≤ end');
  if (s.stage === 'recognised' && transcriptApplies(s.identity.activity)) {
    check(s.transcript !== null && s.recognition.recognisedEcts !== null && s.recognition.recognisedEcts <= s.transcript.ects, `${RULES.recognitionFull.id}: recognised ECTS ≤ transcript ECTS`);
  }

  // Money: every cent paid is traced to an order, and payments never exceed what is due.
  const p = s.payments;
  const sumOf = (kind: string) => p.orders.filter((o) => o.kind === kind).reduce((n, o) => n + o.amountCents, 0);
  check(p.prefinancingCents === sumOf('prefinancing') && p.balanceCents === sumOf('balance') && p.recoveredCents === sumOf('recovery'), 'payment totals equal their orders');
  check(new Set(p.orders.map((o) => o.paymentId)).size === p.orders.length, 'payment ids unique');
  check(p.orders.every((o) => o.amountCents > 0), 'every order is positive');
  check(p.orders.filter((o) => o.kind === 'prefinancing').length <= 1, 'at most one pre-financing');
  const net = netPaid(p);
  check(net >= 0, 'net paid ≥ 0');
  check(hasSelection || net === 0 && p.orders.length === 0, 'no payment without selection');
  if (hasAgreement) check(p.prefinancingCents <= s.agreement!.prefinancingCents, `${RULES.prefinancingRate.id}: pre-financing ≤ the agreed share`);
  else check(p.prefinancingCents === 0, 'no pre-financing without an agreement');
  if (inStage(s, ['selected', 'agreed', 'departed'])) check(net <= s.selection.estimatedGrant.totalCents, 'before attendance, paid ≤ estimated grant');
  if (certified) check(net <= Math.max(s.attendance.finalGrant.totalCents, p.prefinancingCents), `${RULES.balanceNotAboveFinal.id}: paid ≤ final grant (only a pre-financing may exceed it)`);
  else check(p.balanceCents === 0, `${RULES.balanceAfterAttendance.id}: no balance before attendance`);
  if (p.recoveredCents > 0) check(net >= (grantDue(s) ?? 0), `${RULES.recoveryOnlyWhenOverpaid.id}: recovery never goes below the grant due`);
  return v;
};

export const assertInvariant = (s: MobilityState, policy: Policy = DEFAULT_POLICY): void => {
  const v = invariantViolations(s, policy);
  if (v.length > 0) throw new Error(`invariant broken in stage '${s.stage}': ${v.join('; ')}`);
};
