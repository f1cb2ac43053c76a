import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeMobilityGrant, recalculateFromActual, type GrantInput } from '../../../domain/grant';

const planned: GrantInput = {
  callYear: 2024, activity: 'HE-SMS', sendingCountry: 'DE', receivingCountry: 'SE',
  startDate: '2024-09-01', endDate: '2025-01-31', distanceKm: 1000, rates: { monthlyEur: 600 },
};

describe('recalculation from the certificate of attendance (§2)', () => {
  it('planned 150 + 2 days; actual end 15 Jan → 135 + 2 days; 80 % pre-financed', () => {
    // Planned: 152 × 600 ÷ 30 = 3,040 + 309 = 3,349 €; 80 % paid = 2,679.20 €.
    const plannedGrant = computeMobilityGrant(planned);
    expect(plannedGrant.totalCents).toBe(334_900);
    // Actual 1 Sep–15 Jan = 30 × 4 + 15 = 135 days (+2): 137 × 600 ÷ 30 = 2,740 + 309 = 3,049 €; balance 3,049 − 2,679.20 = 369.80 €.
    const r = recalculateFromActual(planned, { endDate: '2025-01-15' }, 267_920);
    expect(r.final.totalCents).toBe(304_900);
    expect(r.final.days).toBe(137);
    expect(r.balanceDueCents).toBe(36_980);
    expect(r.toRecoverCents).toBe(0);
  });

  it('paid in full and stayed shorter → the difference is recovered', () => {
    const r = recalculateFromActual(planned, { endDate: '2025-01-15' }, 334_900);
    expect(r.toRecoverCents).toBe(334_900 - 304_900);
    expect(r.balanceDueCents).toBe(0);
  });

  it('early return below the 60-day minimum: without force majeure all is recovered; with it the days done are paid', () => {
    const early = { endDate: '2024-10-15' }; // 45 days
    const r = recalculateFromActual(planned, early, 267_920);
    expect(r.final.totalCents).toBe(0);
    expect(r.final.lines[0]!.ruleId).toBe('GRANT-BELOW-MINIMUM');
    expect(r.toRecoverCents).toBe(267_920);
    // Force majeure: 45 + 2 = 47 days × 600 ÷ 30 = 940 + 309 = 1,249 €; paid 2,679.20 → recover 1,430.20 €.
    const fm = recalculateFromActual(planned, { ...early, forceMajeure: true }, 267_920);
    expect(fm.final.totalCents).toBe(124_900);
    expect(fm.toRecoverCents).toBe(143_020);
  });

  it('actual durationDays replaces planned dates', () => {
    expect(recalculateFromActual(planned, { durationDays: 90 }, 0).final.days).toBe(92);
  });

  it('property: final − paid = balanceDue − toRecover, one of them is zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 360 }), fc.integer({ min: 0, max: 1_000_000 }), fc.boolean(), (days, paid, fewer) => {
        const r = recalculateFromActual(planned, { durationDays: days, fewerOpportunities: fewer }, paid);
        expect(r.final.totalCents - paid).toBe(r.balanceDueCents - r.toRecoverCents);
        expect(Math.min(r.balanceDueCents, r.toRecoverCents)).toBe(0);
      }),
    );
  });

  it('property: unchanged facts and the planned grant paid in full → nothing due, nothing to recover', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 360 }), (days) => {
        const p: GrantInput = { ...planned, startDate: undefined, endDate: undefined, durationDays: days };
        const r = recalculateFromActual(p, {}, computeMobilityGrant(p).totalCents);
        expect([r.balanceDueCents, r.toRecoverCents]).toEqual([0, 0]);
      }),
    );
  });
});
