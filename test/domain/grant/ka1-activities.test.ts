import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { computeMobilityGrant, GrantBreakdown, GrantRuleError, type GrantInput } from '../../../domain/grant';

/**
 * Issue 14's rules: course fees, accompanying persons, NA-specific rules per project, hybrid mobilities,
 * invited experts, hosted teachers and preparatory visits. Each test names the section of the reference
 * (/work/shared/domain/erasmus-ka1.md) it implements. Given / when / then.
 */
const grant = (input: Partial<GrantInput> & Pick<GrantInput, 'callYear' | 'activity'>) =>
  GrantBreakdown.parse(computeMobilityGrant({ sendingCountry: 'DE', receivingCountry: 'SE', ...input } as GrantInput));
const amount = (b: GrantBreakdown, ruleId: string) => b.lines.filter((l) => l.ruleId === ruleId).reduce((s, l) => s + l.amountCents, 0);
const lineOf = (b: GrantBreakdown, ruleId: string) => b.lines.find((l) => l.ruleId === ruleId)!;
const fails = (f: () => unknown): { field: string; message: string } => {
  try {
    f();
  } catch (e) {
    if (e instanceof GrantRuleError) return { field: e.field, message: e.message };
    if (e instanceof ZodError) return { field: e.issues[0]!.path.join('.'), message: e.issues[0]!.message };
    throw e;
  }
  throw new Error('expected the input to be refused');
};

describe('§1.8 course fees of staff courses', () => {
  it('given a VET staff course of 5 days in Italy (call 2024), when computed, then a course-fee line of 400 € is added', () => {
    // Individual support: 120 €/day (IT group 1, new grouping) × (5 + 2 travel) = 840 €; 900 km → 309 €;
    // course fees 80 € × 5 course days = 400 €. Total 1,549 €.
    const b = grant({ callYear: 2024, activity: 'VET-STAFF-CO', receivingCountry: 'IT', durationDays: 5, distanceKm: 900, courseDays: 5 });
    expect(amount(b, 'GRANT-COURSE-FEES')).toBe(40_000);
    expect(lineOf(b, 'GRANT-COURSE-FEES').basis).toBe('80.00 € × 5 course days, at most 800.00 € per course (call 2024, §1.8 course fees; travel days excluded)');
    expect(b.totalCents).toBe(84_000 + 30_900 + 40_000);
    // Course days only: the 2 travel days are paid as individual support, not as course days.
    expect(b.days).toBe(7);
  });

  it('given 12 course days (school staff course), then the fee is capped at 800 € per course', () => {
    const b = grant({ callYear: 2022, activity: 'SCH-STAFF-CO', durationDays: 12, courseDays: 12 });
    expect(amount(b, 'GRANT-COURSE-FEES')).toBe(80_000);
    expect(lineOf(b, 'GRANT-COURSE-FEES').basis).toMatch(/80\.00 € × 12 course days = 960\.00 €, capped at 800\.00 € per course \(call 2022/);
  });

  it('given more course days than the course lasts, or course days on a job shadowing, then the input is refused naming courseDays', () => {
    expect(fails(() => grant({ callYear: 2024, activity: 'ADU-STAFF-CO', durationDays: 5, courseDays: 6 })).field).toBe('courseDays');
    expect(fails(() => grant({ callYear: 2024, activity: 'VET-STAFF-JS', durationDays: 5, courseDays: 5 })).field).toBe('courseDays');
  });

  it('property: the course fee is 80 € × course days, never above the 800 € cap, for every call and course', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2021, max: 2030 }), fc.constantFrom('VET-STAFF-CO', 'SCH-STAFF-CO', 'ADU-STAFF-CO', 'HE-STT'), fc.integer({ min: 2, max: 30 }), fc.nat(),
        (callYear, activity, duration, seed) => {
          const courseDays = seed % (duration + 1);
          const fee = amount(grant({ callYear, activity: activity as GrantInput['activity'], durationDays: duration, courseDays }), 'GRANT-COURSE-FEES');
          expect(fee).toBeLessThanOrEqual(80_000);
          expect(fee).toBe(Math.min(8_000 * courseDays, 80_000));
        }),
      { numRuns: 300 },
    );
  });
});

describe('§1.8 accompanying persons', () => {
  it('given an accompanying teacher of a pupils group (Icelandic NA staff rate 191 €, 20 days + 2 travel, call 2024), then paid at the staff rate with 70 % after day 14, plus travel', () => {
    // 14 × 191 = 2,674 €; 8 × 191 × 70 % = 1,069.60 €; IS → DE 2,400 km: 2,000–2,999 band = 395 €. Total 4,138.60 €.
    const b = grant({ callYear: 2024, activity: 'SCH-PUPIL-GRP', accompanyingPerson: true, sendingCountry: 'IS', receivingCountry: 'DE', durationDays: 20, distanceKm: 2400, rates: { dailyEur: 191 } });
    expect(b.lines.map((l) => [l.ruleId, l.amountCents])).toEqual([['GRANT-ACCOMP-DAYS-1-14', 267_400], ['GRANT-ACCOMP-DAYS-15+', 106_960], ['GRANT-TRAVEL-STD', 39_500]]);
    expect(b.totalCents).toBe(413_860);
    expect(lineOf(b, 'GRANT-ACCOMP-DAYS-1-14').basis).toMatch(/accompanying person of SCH-PUPIL-GRP, staff rate \(§1\.8\)/);
  });

  it('given no NA rate, then the table default is the sector\'s staff rate, not the learner rate', () => {
    const accompanying = grant({ callYear: 2024, activity: 'VET-GROUP', accompanyingPerson: true, receivingCountry: 'FR', durationDays: 5 });
    const learner = grant({ callYear: 2024, activity: 'VET-GROUP', receivingCountry: 'FR', durationDays: 5 });
    expect(amount(accompanying, 'GRANT-ACCOMP-DAYS-1-14')).toBe(7 * 12_000);
    expect(amount(learner, 'GRANT-LEARNER-DAYS-1-14')).toBe(7 * 6_650);
  });

  it('given an accompanying person flagged with fewer opportunities, then the input is refused naming fewerOpportunities (§1.8)', () => {
    const f = fails(() => grant({ callYear: 2024, activity: 'ADU-LEARN-GRP', accompanyingPerson: true, fewerOpportunities: true, durationDays: 5 }));
    expect(f.field).toBe('fewerOpportunities');
    expect(f.message).toMatch(/accompanying person/);
  });

  it('given an accompanying person of a staff or HE activity, then the input is refused naming accompanyingPerson', () => {
    expect(fails(() => grant({ callYear: 2024, activity: 'SCH-STAFF-JS', accompanyingPerson: true, durationDays: 5 })).field).toBe('accompanyingPerson');
    expect(fails(() => grant({ callYear: 2024, activity: 'HE-SMS', accompanyingPerson: true, durationDays: 90 })).field).toBe('accompanyingPerson');
  });

  it('given an individual long-term pupil (30–365 days) whose accompanying person stays 3 days, then the stay is paid (accompanying minimum 1 day [U])', () => {
    const b = grant({ callYear: 2024, activity: 'SCH-PUPIL-LT', accompanyingPerson: true, durationDays: 3, travelDays: 2 });
    expect(b.days).toBe(5);
    expect(amount(b, 'GRANT-ACCOMP-DAYS-1-14')).toBe(5 * 12_000);
  });
});

describe('§1.8 NA-specific rules per project, each shown in the basis', () => {
  it("given FRSE's published rate from day 15 (56 → 39), then days 15+ are paid at 39 €, not at exact 70 % (39.20 €)", () => {
    // VET learner, call 2023, PL → DE on the old grouping (DE in group 2: FRSE 56 €/day), 20 days + 2 travel = 22 paid days.
    // 14 × 56 = 784 €; 8 × 39 = 312 € (exact 70 % would give 313.60 €); 1,000 km → 275 € (2021–23 band). Total 1,371 €.
    const rates = { dailyEur: 56, dailyFrom15Eur: 39, countryGrouping: 'old' as const };
    const b = grant({ callYear: 2023, activity: 'VET-LEARN-ST', sendingCountry: 'PL', receivingCountry: 'DE', durationDays: 20, distanceKm: 1000, rates });
    expect(amount(b, 'GRANT-LEARNER-DAYS-1-14')).toBe(78_400);
    expect(amount(b, 'GRANT-LEARNER-DAYS-15+')).toBe(31_200);
    expect(b.totalCents).toBe(137_100);
    expect(lineOf(b, 'GRANT-LEARNER-DAYS-15+').basis).toBe("39.00 €/day × 8 days (call 2023; the NA's published rate from day 15, exact 70 % of 56.00 € = 39.20 €, §1.8)");
    expect(lineOf(b, 'GRANT-LEARNER-DAYS-1-14').basis).toMatch(/DE: group 2, old grouping \(the project's NA grouping\)/);
    // The default stays the exact 70 %.
    const exact = grant({ callYear: 2023, activity: 'VET-LEARN-ST', sendingCountry: 'PL', receivingCountry: 'DE', durationDays: 20, distanceKm: 1000, rates: { dailyEur: 56 } });
    expect(amount(exact, 'GRANT-LEARNER-DAYS-15+')).toBe(31_360);
  });

  it('given a published rate from day 15 above the days 1–14 rate, then it is refused naming rates.dailyFrom15Eur', () => {
    expect(fails(() => grant({ callYear: 2024, activity: 'VET-STAFF-JS', durationDays: 20, rates: { dailyEur: 100, dailyFrom15Eur: 101 } })).field).toBe('rates.dailyFrom15Eur');
  });

  it('given a short-term HE student with the NA rate from day 15, then it replaces the table\'s 56 €', () => {
    const b = grant({ callYear: 2026, activity: 'HE-SMS', blended: true, durationDays: 20, travelGrant: false, rates: { dailyEur: 79, dailyFrom15Eur: 59 } });
    // 20 days, no travel support so no travel days: days 15–20 at 59 €.
    expect(amount(b, 'GRANT-HE-ST-DAYS-15+')).toBe(6 * 5_900);
  });

  it('given the old grouping by call year for VET/school/adult (§1.1, §1.8), then FR is group 2 instead of group 1', () => {
    const old = grant({ callYear: 2023, activity: 'SCH-STAFF-JS', receivingCountry: 'FR', durationDays: 5, rates: { countryGrouping: 'old' } });
    const table = grant({ callYear: 2023, activity: 'SCH-STAFF-JS', receivingCountry: 'FR', durationDays: 5 });
    expect(amount(old, 'GRANT-STAFF-DAYS-1-14')).toBe(7 * 11_000);
    expect(amount(table, 'GRANT-STAFF-DAYS-1-14')).toBe(7 * 12_000);
  });

  it('given the Icelandic NA prints 1,180 € for 4,000–7,999 km, then the band pays 1,180 € and the basis names the call table\'s 1,188 €', () => {
    const b = grant({ callYear: 2024, activity: 'SCH-STAFF-JS', sendingCountry: 'IS', receivingCountry: 'TR', durationDays: 5, distanceKm: 4500, rates: { travelBandsEur: { standard: { '4000': 1180 } } } });
    expect(amount(b, 'GRANT-TRAVEL-STD')).toBe(118_000);
    expect(lineOf(b, 'GRANT-TRAVEL-STD').basis).toMatch(/1180\.00 € return trip, standard band 4,000–7,999 km .*the NA's printed amount, the call table has 1188\.00 €/);
    expect(fails(() => grant({ callYear: 2024, activity: 'SCH-STAFF-JS', durationDays: 5, distanceKm: 900, rates: { travelBandsEur: { standard: { '4001': 1180 } } } })).field).toBe('rates.travelBandsEur.standard.4001');
  });

  it('given national top-ups defined by the beneficiary, then each is a line with its name, per month (× paid days ÷ 30) or per mobility, under its condition', () => {
    const nationalTopUps = [
      { name: 'Complément inclusion', amountEur: 250, per: 'month' as const, condition: 'fewer-opportunities' as const },
      { name: 'Regional kit', amountEur: 50, per: 'mobility' as const, condition: 'all' as const },
    ];
    // 40 days + 2 travel = 42 paid days: 250 × 42 ÷ 30 = 350 €.
    const fewer = grant({ callYear: 2024, activity: 'VET-LEARN-ST', receivingCountry: 'FR', durationDays: 40, fewerOpportunities: true, rates: { nationalTopUps } });
    expect(fewer.lines.filter((l) => l.ruleId === 'GRANT-NATIONAL-TOPUP').map((l) => [l.item, l.amountCents])).toEqual([['National top-up: Complément inclusion', 35_000], ['National top-up: Regional kit', 5_000]]);
    expect(lineOf(fewer, 'GRANT-NATIONAL-TOPUP').basis).toBe('250.00 €/month × 42 days ÷ 30 (call 2024; project rule set by the beneficiary for participants with fewer opportunities, §1.8)');
    const other = grant({ callYear: 2024, activity: 'VET-LEARN-ST', receivingCountry: 'FR', durationDays: 40, rates: { nationalTopUps } });
    expect(other.lines.filter((l) => l.ruleId === 'GRANT-NATIONAL-TOPUP').map((l) => l.item)).toEqual(['National top-up: Regional kit']);
  });
});

describe('§1.6, §1.7 hybrid mobilities: the virtual component', () => {
  it('given a virtual component before the physical dates, then it is shown with 0 € and the physical days alone are paid', () => {
    const b = grant({ callYear: 2024, activity: 'VET-STAFF-JS', startDate: '2025-03-10', endDate: '2025-03-14', virtualComponent: { startDate: '2025-03-01', endDate: '2025-03-05' } });
    expect(b.days).toBe(7);
    expect(lineOf(b, 'GRANT-VIRTUAL-COMPONENT')).toMatchObject({ amountCents: 0, basis: expect.stringMatching(/^5 virtual days 2025-03-01 – 2025-03-05, not funded/) });
    expect(b.totalCents).toBe(grant({ callYear: 2024, activity: 'VET-STAFF-JS', startDate: '2025-03-10', endDate: '2025-03-14' }).totalCents);
  });

  it('given virtual days inside the dates, then they are deducted from the days paid and the duration limits', () => {
    const b = grant({ callYear: 2024, activity: 'VET-STAFF-JS', startDate: '2025-03-10', endDate: '2025-03-21', virtualComponent: { startDate: '2025-03-17', endDate: '2025-03-21' } });
    // 12 physical − 5 virtual + 2 travel = 9 days.
    expect(b.days).toBe(9);
    expect(lineOf(b, 'GRANT-STAFF-DAYS-1-14').basis).toMatch(/12 physical − 5 virtual \+ 2 travel days/);
  });

  it('given a short-term HE student with a virtual component, then it counts as blended', () => {
    const b = grant({ callYear: 2024, activity: 'HE-SMS', startDate: '2025-05-05', endDate: '2025-05-16', travelGrant: false, virtualComponent: { startDate: '2025-04-01', endDate: '2025-04-30' } });
    expect(amount(b, 'GRANT-HE-ST-DAYS-1-14')).toBe(12 * 7_900);
  });
});

describe('invited experts, hosted teachers, preparatory visits (issue 14 item 3; [U] rules, domain/grant/README.md)', () => {
  it('given an invited expert hosted by a French school, then the staff rate of the beneficiary\'s country (the receiving country) and travel', () => {
    const b = grant({ callYear: 2024, activity: 'SCH-EXPERT-IN', sendingCountry: 'ES', receivingCountry: 'FR', durationDays: 5, distanceKm: 1000 });
    expect(amount(b, 'GRANT-STAFF-DAYS-1-14')).toBe(7 * 12_000);
    expect(lineOf(b, 'GRANT-STAFF-DAYS-1-14').basis).toMatch(/invited expert/);
    expect(amount(b, 'GRANT-TRAVEL-STD')).toBe(30_900);
  });

  it('given a preparatory visit, then one unit cost per participant, travel included, and travel support is refused', () => {
    const b = grant({ callYear: 2024, activity: 'VET-PREP-VISIT', durationDays: 2, distanceKm: 1000 });
    expect(b.lines.map((l) => [l.ruleId, l.amountCents])).toEqual([['GRANT-PREP-VISIT', 57_500]]);
    expect(fails(() => grant({ callYear: 2024, activity: 'VET-PREP-VISIT', durationDays: 2, travelGrant: true })).field).toBe('travelGrant');
  });

  it('given a hosted teacher in training for 30 days, then the staff tiers apply (10–365 days)', () => {
    const b = grant({ callYear: 2024, activity: 'ADU-HOSTED-TE', receivingCountry: 'FR', durationDays: 30, travelDays: 0 });
    expect(amount(b, 'GRANT-STAFF-DAYS-1-14') + amount(b, 'GRANT-STAFF-DAYS-15+')).toBe(14 * 12_000 + 16 * 8_400);
    expect(fails(() => grant({ callYear: 2024, activity: 'ADU-HOSTED-TE', durationDays: 5 })).message).toMatch(/DUR-HOSTED-TE/);
  });
});
