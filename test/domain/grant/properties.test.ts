import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVITIES, activityRule, type ActivityCode } from '../../../domain/activity';
import { computeMobilityGrant, GrantBreakdown, type GrantInput } from '../../../domain/grant';

/** Random valid mobilities (durationDays form) across every activity, call year and flag. */
const COUNTRIES = ['SE', 'FR', 'PL', 'NL', 'ES', 'TR', 'IE', 'EL', 'CZ'] as const;
const codes = Object.keys(ACTIVITIES) as ActivityCode[];

const mobility: fc.Arbitrary<GrantInput> = fc
  .record({
    callYear: fc.integer({ min: 2021, max: 2028 }),
    activity: fc.constantFrom(...codes),
    wantLong: fc.boolean(),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    receivingCountry: fc.constantFrom(...COUNTRIES),
    interruptedShare: fc.integer({ min: 0, max: 3 }),
    zeroGrantShare: fc.integer({ min: 0, max: 3 }),
    distanceKm: fc.option(fc.integer({ min: 0, max: 12_000 }), { nil: undefined }),
    travelGrant: fc.option(fc.boolean(), { nil: undefined }),
    greenTravel: fc.boolean(),
    fewerOpportunities: fc.boolean(),
    inclusionSupportEur: fc.option(fc.integer({ min: 0, max: 200_000 }).map((c) => c / 100), { nil: undefined }),
  })
  .map((r) => {
    const limits = ACTIVITIES[r.activity].limits as { longTerm?: { minDays: number; maxDays: number }; shortTerm?: { minDays: number; maxDays: number } };
    const longTerm = limits.longTerm !== undefined && (r.wantLong || limits.shortTerm === undefined);
    const lim = (longTerm ? limits.longTerm : limits.shortTerm)!;
    const net = lim.minDays + Math.floor(r.at * (lim.maxDays - lim.minDays));
    const interruptedDays = Math.floor((net * r.interruptedShare) / 10);
    return {
      callYear: r.callYear,
      activity: r.activity,
      longTerm,
      blended: true,
      sendingCountry: 'DE',
      receivingCountry: r.receivingCountry,
      durationDays: net + interruptedDays,
      interruptedDays,
      zeroGrantDays: Math.floor((net * r.zeroGrantShare) / 10),
      distanceKm: r.distanceKm,
      // A preparatory visit's unit cost includes travel: it refuses travel support.
      travelGrant: activityRule(r.activity).funding === 'preparatory-visit' ? undefined : r.travelGrant,
      greenTravel: r.greenTravel,
      fewerOpportunities: r.fewerOpportunities,
      inclusionSupportEur: r.inclusionSupportEur,
    } satisfies GrantInput;
  });

const limitsOf = (input: GrantInput) => {
  const l = ACTIVITIES[input.activity].limits as { longTerm?: { maxDays: number }; shortTerm?: { maxDays: number } };
  return (input.longTerm ? l.longTerm : l.shortTerm)!;
};

describe('grant invariants (property tests)', () => {
  it('the total is the sum of the lines, every amount is a non-negative integer, the breakdown is schema-valid', () => {
    fc.assert(
      fc.property(mobility, (input) => {
        const b = computeMobilityGrant(input);
        expect(GrantBreakdown.safeParse(b).success).toBe(true);
        expect(b.totalCents).toBe(b.lines.reduce((s, l) => s + l.amountCents, 0));
        for (const l of b.lines) {
          expect(Number.isSafeInteger(l.amountCents)).toBe(true);
          expect(l.amountCents).toBeGreaterThanOrEqual(0);
          expect(l.basis).toContain(`call ${input.callYear}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('days paid = physical − interrupted − zero-grant + funded travel days (never more than 6 travel days)', () => {
    fc.assert(
      fc.property(mobility, (input) => {
        const b = computeMobilityGrant(input);
        const base = input.durationDays! - input.interruptedDays! - input.zeroGrantDays!;
        expect(b.days - base).toBeGreaterThanOrEqual(0);
        expect(b.days - base).toBeLessThanOrEqual(6);
      }),
      { numRuns: 300 },
    );
  });

  it('one more day never lowers the grant (within the activity limits, same long/short form)', () => {
    fc.assert(
      fc.property(mobility, (input) => {
        fc.pre(input.durationDays! - input.interruptedDays! < limitsOf(input).maxDays);
        const now = computeMobilityGrant(input).totalCents;
        const longer = computeMobilityGrant({ ...input, durationDays: input.durationDays! + 1 }).totalCents;
        expect(longer).toBeGreaterThanOrEqual(now);
      }),
      { numRuns: 500 },
    );
  });

  it('fewer opportunities never lowers the grant; a zero-grant mobility pays nothing', () => {
    fc.assert(
      fc.property(mobility, (input) => {
        const without = computeMobilityGrant({ ...input, fewerOpportunities: false }).totalCents;
        expect(computeMobilityGrant({ ...input, fewerOpportunities: true }).totalCents).toBeGreaterThanOrEqual(without);
        expect(computeMobilityGrant({ ...input, zeroGrant: true }).totalCents).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('the NA rate overrides the table linearly: doubling the base rate never lowers the grant (HE long-term, call 2024)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 360 }), fc.integer({ min: 100, max: 600 }), (days, rate) => {
        const i: GrantInput = { callYear: 2024, activity: 'HE-SMS', sendingCountry: 'DE', receivingCountry: 'SE', durationDays: days, travelGrant: false, rates: { monthlyEur: rate } };
        const one = computeMobilityGrant(i).totalCents;
        const two = computeMobilityGrant({ ...i, rates: { monthlyEur: rate * 2 } }).totalCents;
        // Each line is rounded once, half-up: 2 × (x rounded) and (2x) rounded differ by at most 1 cent.
        expect(Math.abs(two - 2 * one)).toBeLessThanOrEqual(1);
      }),
    );
  });
});
