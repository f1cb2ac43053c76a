import type { GrantBreakdown } from './breakdown';
import { line, makeBreakdown } from './breakdown-build';
import type { RuleId } from './rule-ids';

/**
 * An incoming student or staff member hosted by the institution is funded by its sending institution:
 * nothing from the receiving (this) project's budget [U: the reference has no rule; §1.5 counts organisational
 * support on the sending side]. One 0 € line says so, so an incoming mobility has a traceable grant of 0.
 * Invited experts and hosted teachers are not "incoming" in this sense: they have activity codes of their own
 * (domain/activity.ts), funded by the hosting beneficiary.
 */
export const incomingGrant = (callYear: number): GrantBreakdown =>
  makeBreakdown(callYear, 0, [
    line('GRANT-INCOMING-NONE' satisfies RuleId, 'Incoming mobility: no grant from this budget', 0,
      `funded by the sending institution's project, not by the receiving side's budget (call ${callYear}) [U]`, { callYear }),
  ]);
