import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVITIES, activityRule, type ActivityCode } from '../../../domain/activity';
import { computeMobilityGrant, explainMobilityGrant, type GrantInput, RULES } from '../../../domain/grant';

/**
 * A grant line's parameters are the values its basis is made of, so a reader can word the basis in its own
 * language from the rule id. They come with the computation and never change it: the stored breakdown is the
 * explained one without them.
 */
const codes = (Object.keys(ACTIVITIES) as ActivityCode[]).filter((c) => activityRule(c).funding !== 'preparatory-visit');
const input: fc.Arbitrary<GrantInput> = fc
  .record({
    callYear: fc.integer({ min: 2021, max: 2028 }),
    activity: fc.constantFrom(...codes),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    wantLong: fc.boolean(),
    receivingCountry: fc.constantFrom('SE', 'FR', 'PL', 'ES', 'TR'),
    distanceKm: fc.option(fc.integer({ min: 0, max: 12_000 }), { nil: undefined }),
    greenTravel: fc.boolean(),
    fewerOpportunities: fc.boolean(),
    inclusionSupportEur: fc.option(fc.integer({ min: 1, max: 100_000 }).map((c) => c / 100), { nil: undefined }),
  })
  .map((r) => {
    const limits = ACTIVITIES[r.activity].limits as { longTerm?: { minDays: number; maxDays: number }; shortTerm?: { minDays: number; maxDays: number } };
    const longTerm = limits.longTerm !== undefined && (r.wantLong || limits.shortTerm === undefined);
    const lim = (longTerm ? limits.longTerm : limits.shortTerm)!;
    return {
      callYear: r.callYear, activity: r.activity, longTerm, blended: true, sendingCountry: 'DE', receivingCountry: r.receivingCountry,
      durationDays: lim.minDays + Math.floor(r.at * (lim.maxDays - lim.minDays)), distanceKm: r.distanceKm, greenTravel: r.greenTravel,
      fewerOpportunities: r.fewerOpportunities, inclusionSupportEur: r.inclusionSupportEur,
    } satisfies GrantInput;
  });

describe('grant lines with their parameters', () => {
  it('property: the explained grant is the computed grant plus parameters (strings and numbers) on rule ids of RULES', () => {
    fc.assert(
      fc.property(input, (i) => {
        const b = computeMobilityGrant(i);
        const e = explainMobilityGrant(i);
        expect(e.lines.map(({ params: _p, ...l }) => l)).toEqual(b.lines);
        expect(e.days).toBe(b.days);
        for (const l of e.lines) {
          expect(Object.keys(RULES)).toContain(l.ruleId);
          for (const v of Object.values(l.params)) expect(['string', 'number']).toContain(typeof v);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('given a long-term HE study mobility with fewer opportunities, when it is explained, then its lines name their rate, days and source', () => {
    const e = explainMobilityGrant({
      callYear: 2024, activity: 'HE-SMS', longTerm: true, sendingCountry: 'FR', receivingCountry: 'SE', durationDays: 150,
      distanceKm: 1600, greenTravel: false, fewerOpportunities: true, rates: { monthlyEur: 600 },
    });
    const lt = e.lines.find((l) => l.ruleId === 'GRANT-HE-LT')!;
    expect(lt.params).toMatchObject({ rateCents: 60_000, physicalDays: 150, paidDays: e.days, callYear: 2024, rateSource: 'na', country: 'SE' });
    expect(lt.amountCents).toBe(Math.round((60_000 * e.days) / 30));
    expect(e.lines.find((l) => l.ruleId === 'GRANT-HE-LT-FEWER-OPP')!.params).toMatchObject({ paidDays: e.days });
    const travel = e.lines.find((l) => l.ruleId === 'GRANT-TRAVEL-STD')!;
    expect(travel.params).toMatchObject({ distanceKm: 1600, minKm: 500, bandCents: travel.amountCents });
  });

  it('given a stored breakdown, then its lines have exactly the four stored fields (no parameters in events or histories)', () => {
    const b = computeMobilityGrant({ callYear: 2024, activity: 'VET-LEARN-ST', sendingCountry: 'FR', receivingCountry: 'ES', durationDays: 20 });
    for (const l of b.lines) expect(Object.keys(l).sort()).toEqual(['amountCents', 'basis', 'item', 'ruleId']);
  });
});
