import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evolve } from '../../../domain/mobility/evolve';
import { fundingFor, plannedDates, plannedGrant, sharesByLine } from '../../../domain/mobility/grant';
import { initialState, type OpenMobility } from '../../../domain/mobility/state';
import { coFundingOf } from '../../../domain/project/registration';
import { history, submit } from '../mobility/fixtures';

/**
 * The co-funding as the engine wires it (domain/project coFundingOf, domain/mobility fundingFor): which lines an
 * application may name, and the shares of a mobility's grant per line, the Erasmus+ share being the Erasmus+ grant.
 */
const REGION = { kind: 'flat', per: 'month', amountEur: 150, capEur: 600, condition: 'fewer-opportunities' } as const;
const project = {
  projectId: '2024-1-FR01-KA131-HED-000123',
  lines: [
    { lineId: 'EU-KA131-2024', funder: 'ERASMUS+', allocatedCents: 1, allocatedMobilities: 1, rule: { kind: 'erasmus-plus' } as const },
    { lineId: 'REGION', funder: 'Région', allocatedCents: 1, allocatedMobilities: 1, rule: REGION },
    { lineId: 'MINISTRY', funder: 'Ministère', allocatedCents: 1, allocatedMobilities: 1, rule: null },
    { lineId: 'OLD', funder: 'Conseil', allocatedCents: 1, allocatedMobilities: 1 },
  ],
};
const rates = { callYear: 2024, rates: { monthlyEur: 600 } };
const mobilityWith = (plan: Parameters<typeof submit>[0]) => history([submit(plan)]).reduce(evolve, initialState) as OpenMobility;

describe('which lines an application may name as co-funding', () => {
  it('given no co-funding lines, the mobility is funded by its own line alone', () => {
    expect(coFundingOf(project, { funderLineId: 'EU-KA131-2024' })).toEqual({ problems: [], coFunding: null });
  });

  it('given a line with a flat rule, the mobility is co-funded by it with its rule', () => {
    expect(coFundingOf(project, { funderLineId: 'EU-KA131-2024', coFundingLineIds: ['REGION'] })).toEqual({
      problems: [], coFunding: { erasmusPlusFunder: 'ERASMUS+', lines: [{ lineId: 'REGION', funder: 'Région', rule: REGION }] },
    });
  });

  it('refuses, field by field, an unknown line, the own line, a line named twice, a line without a flat rule, an own line that is not the Erasmus+ one', () => {
    const fields = (funderLineId: string, ids: string[]) => coFundingOf(project, { funderLineId, coFundingLineIds: ids }).problems.map((p) => `${p.field}: ${p.message}`);
    expect(fields('EU-KA131-2024', ['NOPE'])).toEqual([expect.stringMatching(/^coFundingLineIds\.0: project .* has no funder line NOPE/)]);
    expect(fields('EU-KA131-2024', ['EU-KA131-2024'])).toEqual([expect.stringMatching(/^coFundingLineIds\.0: .*own line/)]);
    expect(fields('EU-KA131-2024', ['REGION', 'REGION'])).toEqual([expect.stringMatching(/^coFundingLineIds\.1: line REGION is named twice/)]);
    expect(fields('EU-KA131-2024', ['MINISTRY', 'OLD'])).toEqual([expect.stringMatching(/^coFundingLineIds\.0: .*no rule/), expect.stringMatching(/^coFundingLineIds\.1: .*no rule/)]);
    expect(fields('REGION', ['MINISTRY'])[0]).toMatch(/^funderLineId: .*no erasmus-plus rule/);
  });
});

describe('the shares of a co-funded mobility', () => {
  const coFunding = coFundingOf(project, { funderLineId: 'EU-KA131-2024', coFundingLineIds: ['REGION'] }).coFunding!;

  it('given a fewer-opportunities participant over five months, the regional share is capped at 600 € and the Erasmus+ share is the Erasmus+ grant', () => {
    const s = mobilityWith({ fewerOpportunities: true });
    const shares = fundingFor(s, rates, plannedDates(s), coFunding);
    expect(shares.map((x) => [x.lineId, x.ruleId])).toEqual([['EU-KA131-2024', 'FUND-ERASMUS-PLUS'], ['REGION', 'FUND-FLAT-MONTH']]);
    expect(shares[0]!.amountCents).toBe(plannedGrant(s, rates).totalCents);
    expect(shares[1]).toMatchObject({ amountCents: 60_000, basis: expect.stringMatching(/capped at 600\.00 €/) });
  });

  it('given another participant, the regional share is 0 with its reason; not co-funded, no shares', () => {
    const s = mobilityWith({});
    expect(fundingFor(s, rates, plannedDates(s), coFunding)[1]).toMatchObject({ amountCents: 0, basis: expect.stringMatching(/only to participants with fewer opportunities/) });
    expect(fundingFor(s, rates, plannedDates(s), null)).toEqual([]);
  });

  it('property: over any duration, the Erasmus+ share equals the grant alone and the regional share is 150 €/month of the paid days, at most 600 €', () => {
    fc.assert(fc.property(fc.integer({ min: 60, max: 360 }), (days) => {
      const end = new Date(Date.parse('2025-09-01T00:00:00Z') + (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const s = mobilityWith({ fewerOpportunities: true, endDate: end });
      const byLine = sharesByLine(fundingFor(s, rates, plannedDates(s), coFunding));
      const g = plannedGrant(s, rates);
      expect(byLine[0]).toEqual({ lineId: 'EU-KA131-2024', amountCents: g.totalCents });
      expect(byLine[1]!.amountCents).toBe(Math.min(60_000, Math.floor((15_000 * g.days + 15) / 30)));
    }), { numRuns: 60 });
  });
});
