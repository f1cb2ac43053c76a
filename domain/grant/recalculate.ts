import type { Cents } from '../money';
import type { GrantBreakdown } from './breakdown';
import { line, makeBreakdown } from './breakdown-build';
import { computeMobilityGrant, type GrantOptions } from './compute';
import { DurationOutOfLimits } from './errors';
import { GrantInput } from './input';
import type { RuleId } from './rule-ids';

export interface Recalculation {
  readonly final: GrantBreakdown;
  /** Still to pay the participant: max(final − paid, 0). */
  readonly balanceDueCents: Cents;
  /** To recover from the participant: max(paid − final, 0). */
  readonly toRecoverCents: Cents;
}

/**
 * The actual facts from the certificate of attendance (dates, interruptions, travel days, transport…)
 * laid over the planned input. Giving actual dates replaces a planned durationDays and vice versa.
 */
export type ActualFacts = Partial<GrantInput>;

export const mergeActual = (planned: GrantInput, actual: ActualFacts): GrantInput => {
  const base: Partial<GrantInput> = { ...planned };
  if (actual.startDate !== undefined || actual.endDate !== undefined) delete base.durationDays;
  if (actual.durationDays !== undefined) {
    delete base.startDate;
    delete base.endDate;
  }
  return GrantInput.parse({ ...base, ...actual });
};

/**
 * Final grant from the actual facts, and what remains to pay or to recover given what was paid
 * (reference §2 certificate of attendance, balance payment, force majeure):
 * - the grant is recomputed from the actual dates with the same rules and table;
 * - an actual duration below the activity's minimum without force majeure means the whole grant
 *   is recovered (early return without force majeure → repay, §2 [V S22]); with force majeure the
 *   days actually done are paid;
 * - final − paid = balanceDue − toRecover, always.
 */
export const recalculateFromActual = (planned: GrantInput, actual: ActualFacts, paidCents: Cents, options: GrantOptions = {}): Recalculation => {
  if (!Number.isSafeInteger(paidCents) || paidCents < 0) throw new RangeError('paidCents must be a non-negative integer amount of cents');
  const input = mergeActual(planned, actual);
  let final: GrantBreakdown;
  try {
    final = computeMobilityGrant(input, options);
  } catch (e) {
    if (!(e instanceof DurationOutOfLimits && e.bound === 'min')) throw e;
    final = makeBreakdown(input.callYear, 0, [
      line('GRANT-BELOW-MINIMUM' satisfies RuleId, 'No grant: actual duration below the minimum', 0,
        `${e.message.replace(/; lifted only under forceMajeure$/, '')}; without force majeure the grant is recovered (call ${input.callYear})`),
    ]);
  }
  return {
    final,
    balanceDueCents: Math.max(final.totalCents - paidCents, 0),
    toRecoverCents: Math.max(paidCents - final.totalCents, 0),
  };
};
