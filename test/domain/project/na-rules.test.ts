import { describe, expect, it } from 'vitest';
import { computeMobilityGrant, type GrantInput } from '../../../domain/grant';
import { ProjectTerms } from '../../../domain/project/agreement';
import { naRatesFor, projectRatesFor } from '../../../domain/project/registration';

/** §1.8 NA-specific rules set on a project's terms reach each mobility's grant through its rates. Given / when / then. */
const frsE = (naRules: object = {}) =>
  ProjectTerms.parse({
    action: 'KA121', callYear: 2023, country: 'PL', prefinancingPercent: 80, naRules,
    applicableRates: { 'VET-LEARN-ST': { '2': { dailyEur: 56 } }, 'VET-STAFF-JS': { '2': { dailyEur: 104 } } },
  });

describe('§1.8 NA-specific rules per project', () => {
  it('given no NA rule on a call 2023 VET project, then its mobilities take the old grouping by default (§1.8), FR in group 2', () => {
    expect(projectRatesFor(frsE(), 'VET-LEARN-ST', 'FR')).toEqual({ callYear: 2023, rates: { dailyEur: 56, countryGrouping: 'old' } });
    // The project may choose the new grouping: FR is group 1 there, with no NA rate set.
    expect(projectRatesFor(frsE({ countryGrouping: { VET: 'new' } }), 'VET-LEARN-ST', 'FR')).toEqual({ callYear: 2023, rates: { countryGrouping: 'new' } });
  });

  it('given no NA rule on a call 2024 project, then projectRatesFor is what it was: the applicable rate only (the table is already on the new grouping)', () => {
    const terms = ProjectTerms.parse({ action: 'KA121', callYear: 2024, country: 'PL', prefinancingPercent: 80, applicableRates: { 'VET-LEARN-ST': { '1': { dailyEur: 70 } } } });
    expect(projectRatesFor(terms, 'VET-LEARN-ST', 'FR')).toEqual({ callYear: 2024, rates: { dailyEur: 70 } });
    expect(projectRatesFor(terms, 'VET-LEARN-ST', 'PT')).toEqual({ callYear: 2024 });
  });

  it("given FRSE's whole-euro rounding (half-up) and its old grouping for VET, then 56 → 39 and DE is group 2, shown in the basis", () => {
    const terms = frsE({ rateFrom15: 'whole-euro-half-up', countryGrouping: { VET: 'old' } });
    const rates = projectRatesFor(terms, 'VET-LEARN-ST', 'DE');
    expect(rates).toEqual({ callYear: 2023, rates: { dailyEur: 56, dailyFrom15Eur: 39, countryGrouping: 'old' } });
    const input: GrantInput = { callYear: 2023, activity: 'VET-LEARN-ST', sendingCountry: 'PL', receivingCountry: 'DE', durationDays: 20, rates: rates.rates };
    const later = computeMobilityGrant(input).lines.find((l) => l.ruleId === 'GRANT-LEARNER-DAYS-15+')!;
    expect(later).toMatchObject({ amountCents: 8 * 3_900, basis: expect.stringMatching(/NA's published rate from day 15/) });
    // Staff: 104 → 73 (FRSE prints 73), an exact 70 % would be 72.80.
    expect(naRatesFor(terms, 'VET-STAFF-JS', 'DE')).toMatchObject({ dailyEur: 104, dailyFrom15Eur: 73 });
  });

  it('given rounding down, then 148 → 103 (one university floors); given exact, then no published figure', () => {
    const terms = ProjectTerms.parse({ action: 'KA121', callYear: 2024, country: 'IS', prefinancingPercent: 80, naRules: { rateFrom15: 'whole-euro-down' },
      applicableRates: { 'SCH-STAFF-JS': { '3': { dailyEur: 148 } } } });
    expect(naRatesFor(terms, 'SCH-STAFF-JS', 'PL')).toEqual({ dailyEur: 148, dailyFrom15Eur: 103 });
    expect(naRatesFor({ ...terms, naRules: { rateFrom15: 'exact' } }, 'SCH-STAFF-JS', 'PL')).toEqual({ dailyEur: 148 });
  });

  it("given an accompanying person of a VET group, then the NA's staff rate of the sector (staff and accompanying persons on one row, §1.8)", () => {
    const terms = frsE({ rateFrom15: 'whole-euro-half-up' });
    expect(projectRatesFor(terms, 'VET-GROUP', 'PT', { accompanyingPerson: true }).rates).toEqual({ dailyEur: 104, dailyFrom15Eur: 73, countryGrouping: 'old' });
    // Without a staff rate on the project for the group, the table's staff rate is rounded the NA's way: HR group 3, 100 × 70 % = 70.
    expect(projectRatesFor(frsE({ rateFrom15: 'whole-euro-half-up' }), 'VET-GROUP', 'HR', { accompanyingPerson: true }).rates).toEqual({ dailyFrom15Eur: 70, countryGrouping: 'old' });
  });

  it('given printed band amounts and a national top-up, then every mobility of the project carries them', () => {
    const naRules = { travelBandsEur: { standard: { '4000': 1180 } }, nationalTopUps: [{ name: 'Complément inclusion', amountEur: 250, per: 'month', condition: 'fewer-opportunities' }] };
    expect(naRatesFor(frsE(naRules), 'VET-LEARN-ST', 'TR')).toEqual({ ...naRules, countryGrouping: 'old' });
  });

  it('given a published rate above the daily rate, or an unknown sector, then the terms are refused naming the field', () => {
    const bad = ProjectTerms.safeParse({ action: 'KA121', callYear: 2023, country: 'PL', prefinancingPercent: 80, applicableRates: { 'VET-STAFF-JS': { '2': { dailyEur: 104, dailyFrom15Eur: 110 } } } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path.join('.')).toBe('applicableRates.VET-STAFF-JS.2.dailyFrom15Eur');
    const sector = ProjectTerms.safeParse({ action: 'KA121', callYear: 2023, country: 'PL', prefinancingPercent: 80, naRules: { countryGrouping: { XX: 'old' } } });
    expect(sector.success).toBe(false);
    expect(sector.error!.issues[0]!.path.join('.')).toMatch(/^naRules\.countryGrouping/);
  });
});
