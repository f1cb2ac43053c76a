import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { allocateLargestRemainder, coFundedGrant, type CoFundingInput } from '../../../domain/funding';
import { computeMobilityGrant, type GrantInput } from '../../../domain/grant';

/** Issue 14 item 5: several funders, each line with its rule set; co-funded shares sum exactly. Given / when / then. */
const kiel: GrantInput = { callYear: 2024, activity: 'HE-SMS', sendingCountry: 'DE', receivingCountry: 'SE', durationDays: 131, distanceKm: 1000, rates: { monthlyEur: 600 } };
const erasmus = { name: 'Erasmus+', rule: { kind: 'erasmus-plus' as const }, paidBy: [{ lineId: 'erasmus', funder: 'ERASMUS+' }] };

describe('co-funded mobility', () => {
  it('given Erasmus+ plus a regional complement of 100 €/month capped at 400 €, then each line has its share traced to its rule, Erasmus+ apart', () => {
    const regional = { name: 'Regional complement', rule: { kind: 'flat' as const, per: 'month' as const, amountEur: 100, capEur: 400 }, paidBy: [{ lineId: 'region-aura', funder: 'Région AURA' }] };
    const g = coFundedGrant(kiel, { components: [erasmus, regional] });
    // Erasmus+: 2,969 € (HAW Kiel). Regional: 100 × 133 ÷ 30 = 443.33 €, capped at 400 €.
    expect(g.erasmusPlusCents).toBe(296_900);
    expect(g.erasmusPlus).toEqual(computeMobilityGrant(kiel));
    expect(g.shares.map((s) => [s.lineId, s.erasmusPlus, s.amountCents])).toEqual([['erasmus', true, 296_900], ['region-aura', false, 40_000]]);
    expect(g.totalCents).toBe(336_900);
    expect(g.shares[1]!.trace).toEqual([{ component: 'Regional complement', ruleId: 'FUND-FLAT-MONTH', amountCents: 40_000, basis: 'Regional complement: 100.00 €/month × 133 days ÷ 30 = 443.33 €, capped at 400.00 € (call 2024)' }]);
  });

  it('given a flat 101.01 € per mobility shared 1:1 by a ministry and a region, then the split is exact (50.51 + 50.50) by largest remainder', () => {
    const shared = { name: 'Travel kit', rule: { kind: 'flat' as const, per: 'mobility' as const, amountEur: 101.01 }, paidBy: [{ lineId: 'ministry', funder: 'Ministry', weight: 1 }, { lineId: 'region', funder: 'Region', weight: 1 }] };
    const g = coFundedGrant(kiel, { components: [shared] });
    expect(g.shares.map((s) => s.amountCents)).toEqual([5_051, 5_050]);
    expect(g.erasmusPlusCents).toBe(0);
    expect(g.erasmusPlus).toBeNull();
    expect(g.shares[0]!.trace[0]!.basis).toMatch(/1\/2 of 101\.01 € \(FUND-SPLIT, largest remainder\)/);
  });

  it('given a top-up for fewer opportunities only, then a participant without them gets 0 € from that line, with the reason', () => {
    const g = coFundedGrant(kiel, { components: [erasmus, { name: 'Ministry grant', rule: { kind: 'flat', per: 'month', amountEur: 250, condition: 'fewer-opportunities' }, paidBy: [{ lineId: 'ministry', funder: 'Ministry' }] }] });
    expect(g.shares[1]).toMatchObject({ amountCents: 0, trace: [{ basis: expect.stringMatching(/only to participants with fewer opportunities/) }] });
  });

  it('given the Erasmus+ grant split between two lines, or two Erasmus+ components, then refused naming the field', () => {
    const split = { ...erasmus, paidBy: [{ lineId: 'a', funder: 'ERASMUS+' }, { lineId: 'b', funder: 'Region' }] };
    const e = (() => { try { coFundedGrant(kiel, { components: [split] }); } catch (x) { return x; } })() as ZodError;
    expect(e).toBeInstanceOf(ZodError);
    expect(e.issues[0]!.path).toEqual(['components', 0, 'paidBy']);
    expect(() => coFundedGrant(kiel, { components: [erasmus, erasmus] })).toThrow(/one Erasmus\+ component/);
    expect(() => coFundedGrant(kiel, { components: [{ ...erasmus, rule: { kind: 'flat', per: 'week', amountEur: 1 } } as never] })).toThrow(ZodError);
  });
});

describe('properties', () => {
  it('largest-remainder allocation: the parts sum exactly to the amount, each within one cent of its exact share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 12 }).filter((w) => w.some((x) => x > 0)), (amount, weights) => {
        const parts = allocateLargestRemainder(amount, weights);
        const total = weights.reduce((a, b) => a + b, 0);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(amount);
        parts.forEach((p, i) => {
          expect(Number.isSafeInteger(p) && p >= 0).toBe(true);
          expect(Math.abs(p - (amount * weights[i]!) / total)).toBeLessThan(1);
        });
      }),
      { numRuns: 1_000 },
    );
  });

  it("co-funded shares always sum exactly to the mobility's grant, and the Erasmus+ share is the Erasmus+ calculator's total", () => {
    const component = fc.record({
      per: fc.constantFrom('month' as const, 'mobility' as const), cents: fc.integer({ min: 1, max: 500_000 }), cap: fc.option(fc.integer({ min: 1, max: 300_000 }), { nil: undefined }),
      weights: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 360 }), fc.boolean(), fc.array(component, { minLength: 0, maxLength: 4 }), (days, withErasmus, comps) => {
        const input: GrantInput = { ...kiel, durationDays: days };
        const funding: CoFundingInput = {
          components: [
            ...(withErasmus || comps.length === 0 ? [erasmus] : []),
            ...comps.map((c, k) => ({ name: `C${k}`, rule: { kind: 'flat' as const, per: c.per, amountEur: c.cents / 100, capEur: c.cap === undefined ? undefined : c.cap / 100 },
              paidBy: c.weights.map((w, j) => ({ lineId: `L${(k + j) % 3}`, funder: `F${(k + j) % 3}`, weight: w })) })),
          ],
        };
        const g = coFundedGrant(input, funding);
        expect(g.shares.reduce((s, l) => s + l.amountCents, 0)).toBe(g.totalCents);
        for (const s of g.shares) expect(s.trace.reduce((n, t) => n + t.amountCents, 0)).toBe(s.amountCents);
        const flat = g.totalCents - g.erasmusPlusCents;
        expect(flat).toBeGreaterThanOrEqual(0);
        if (g.erasmusPlus) expect(g.erasmusPlusCents).toBe(computeMobilityGrant(input).totalCents);
        expect(g.shares.filter((s) => s.erasmusPlus).reduce((n, s) => n + s.amountCents, 0)).toBe(g.erasmusPlusCents);
      }),
      { numRuns: 300 },
    );
  });
});
