import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { computeMobilityGrant, DurationOutOfLimits, GrantBreakdown, GrantRuleError, type GrantInput } from '../../../domain/grant';

const grant = (input: Partial<GrantInput> & Pick<GrantInput, 'callYear' | 'activity'>, options?: Parameters<typeof computeMobilityGrant>[1]) =>
  GrantBreakdown.parse(computeMobilityGrant({ sendingCountry: 'DE', receivingCountry: 'SE', ...input } as GrantInput, options));
const amount = (b: GrantBreakdown, ruleId: string) => b.lines.filter((l) => l.ruleId === ruleId).reduce((s, l) => s + l.amountCents, 0);
const ruleError = (f: () => unknown): GrantRuleError => {
  try {
    f();
  } catch (e) {
    if (e instanceof GrantRuleError) return e;
    throw e;
  }
  throw new Error('expected a GrantRuleError');
};

describe('HE long-term students (§1.3, §1.7)', () => {
  it('HAW Kiel, call 2024: 131 physical + 2 travel days at 600/30 + 309 € travel = 2,969 €', () => {
    // 600 × 133 ÷ 30 = 2,660 €; 500–1,999 km standard band 2024 = 309 €; 2,660 + 309 = 2,969 €.
    const b = grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 131, distanceKm: 1000, rates: { monthlyEur: 600 } });
    expect(b.totalCents).toBe(296_900);
    expect(b.days).toBe(133);
    expect(amount(b, 'GRANT-HE-LT')).toBe(266_000);
    expect(amount(b, 'GRANT-TRAVEL-STD')).toBe(30_900);
    expect(b.lines.find((l) => l.ruleId === 'GRANT-HE-LT')!.basis).toMatch(/600\.00 €\/month × 133 days ÷ 30 \(call 2024, BM 30-day months: 131 physical \+ 2 travel days\)/);
  });

  it('EC wiki example 01/01/2023–15/04/2023 counts 105 days: 600 × 105 ÷ 30 = 2,100 € (call 2023, no travel for students without fewer opportunities)', () => {
    const b = grant({ callYear: 2023, activity: 'HE-SMS', startDate: '2023-01-01', endDate: '2023-04-15', distanceKm: 900 });
    // SE is group 1 of the old grouping: table default 600 €/month; pre-2024 students get no travel support (§1.2 [V S8]).
    expect(b.days).toBe(105);
    expect(b.totalCents).toBe(210_000);
    expect(b.lines.map((l) => l.ruleId)).toEqual(['GRANT-HE-LT']);
  });

  it('1 Sep–31 Jan = 150 days; fewer opportunities → travel + 2 travel days + 250 €/month top-up (call 2023, DE → PL)', () => {
    // 152 days. 490 × 152 ÷ 30 = 2,482.666… → 2,482.67 €; 250 × 152 ÷ 30 = 1,266.666… → 1,266.67 €;
    // 700 km → 500–1,999 band 2021–23 = 275 €. Total 2,482.67 + 1,266.67 + 275 = 4,024.34 €.
    const b = grant({ callYear: 2023, activity: 'HE-SMS', receivingCountry: 'PL', startDate: '2023-09-01', endDate: '2024-01-31', fewerOpportunities: true, distanceKm: 700 });
    expect(b.days).toBe(152);
    expect(amount(b, 'GRANT-HE-LT')).toBe(248_267);
    expect(amount(b, 'GRANT-HE-LT-FEWER-OPP')).toBe(126_667);
    expect(amount(b, 'GRANT-TRAVEL-STD')).toBe(27_500);
    expect(b.totalCents).toBe(402_434);
  });

  it('pre-2024 green travel without travel support: one-off 50 € + 4 extra days (§1.2 [V S8])', () => {
    // 150 BM days + 4 = 154 days × 540 ÷ 30 (FR old group 2) = 2,772 €; + 50 € = 2,822 €.
    const b = grant({ callYear: 2022, activity: 'HE-SMS', receivingCountry: 'FR', startDate: '2022-09-01', endDate: '2023-01-31', greenTravel: true });
    expect(b.days).toBe(154);
    expect(amount(b, 'GRANT-GREEN-TOPUP')).toBe(5_000);
    expect(b.totalCents).toBe(282_200);
  });

  it('pre-2024 green top-up allows up to 4 extra days, not 6 (§1.2 [V S8] "50 € top-up plus up to 4 extra days")', () => {
    // Call 2022, blended 10 days, SE, no fewer opportunities → no travel support, green → 50 € + 4 days:
    // 14 days × 70 = 980 € + 50 € = 1,030 €. 5 or 6 travel days are refused, naming travelDays.
    expect(grant({ callYear: 2022, activity: 'HE-SMS', durationDays: 10, blended: true, greenTravel: true }).totalCents).toBe(103_000);
    expect(grant({ callYear: 2022, activity: 'HE-SMS', durationDays: 10, blended: true, greenTravel: true, travelDays: 3 }).days).toBe(13);
    const e = ruleError(() => grant({ callYear: 2022, activity: 'HE-SMS', durationDays: 10, blended: true, greenTravel: true, travelDays: 5 }));
    expect(e.field).toBe('travelDays');
    expect(e.message).toMatch(/at most 4 funded travel days/);
    // With travel support (fewer opportunities) green travel keeps 2 + 4 = 6 days: 120 + 6 = 126 days × 600 ÷ 30 = 2,520 €,
    // + 250 × 126 ÷ 30 = 1,050 €, + 320 € (500–1,999 km green 2021–23) = 3,890 €.
    const fo = grant({ callYear: 2023, activity: 'HE-SMS', durationDays: 120, greenTravel: true, fewerOpportunities: true, distanceKm: 900, travelDays: 6 });
    expect(fo.days).toBe(126);
    expect(fo.totalCents).toBe(389_000);
  });

  it('call 2024 green travel: green band (417 € for 500–1,999 km) and 6 travel days (§1.2, §1.7)', () => {
    // (120 + 6) × 600 ÷ 30 = 2,520 €; + 417 € = 2,937 €. No 50 € top-up from call 2024.
    const b = grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 120, greenTravel: true, distanceKm: 1200 });
    expect(b.days).toBe(126);
    expect(amount(b, 'GRANT-TRAVEL-GREEN')).toBe(41_700);
    expect(amount(b, 'GRANT-GREEN-TOPUP')).toBe(0);
    expect(b.totalCents).toBe(293_700);
  });

  it('traineeship top-up +150 €/month, cumulative with the fewer-opportunities top-up (§1.3 [S S12], [U] cumulative)', () => {
    // 90 days (no travel grant): 600 × 3 = 1,800; traineeship 150 × 3 = 450 → 2,250 €; with fewer opportunities + 250 × 3 = 750 → 3,000 €.
    expect(grant({ callYear: 2024, activity: 'HE-SMP', durationDays: 90, travelGrant: false, recentGraduate: true }).totalCents).toBe(225_000);
    const fo = grant({ callYear: 2024, activity: 'HE-SMP', durationDays: 90, travelGrant: false, fewerOpportunities: true });
    expect(fo.totalCents).toBe(300_000);
    expect(grant({ callYear: 2024, activity: 'HE-SMP', durationDays: 90, travelGrant: false, fewerOpportunities: true }, { overrides: { heLongTerm: { traineeshipAndFewerOpportunitiesCumulative: false } } }).totalCents).toBe(255_000);
  });

  it('interrupted days are not paid: 150 − 20 = 130 days × 600 ÷ 30 = 2,600 € (§1.6 counting rules)', () => {
    const b = grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 150, interruptedDays: 20, travelGrant: false });
    expect(b.days).toBe(130);
    expect(b.totalCents).toBe(260_000);
  });

  it('country groups by call: FR is old group 2 (540 €) in call 2024 and new group 1 (600 €) from call 2025 (§1.1)', () => {
    expect(grant({ callYear: 2024, activity: 'HE-SMS', receivingCountry: 'FR', durationDays: 90, travelGrant: false }).totalCents).toBe(162_000);
    expect(grant({ callYear: 2025, activity: 'HE-SMS', receivingCountry: 'FR', durationDays: 90, travelGrant: false }).totalCents).toBe(180_000);
  });

  it('rates may carry both monthlyEur and dailyEur: the applicable one is read (CLI contract "monthlyEur and/or dailyEur")', () => {
    // Long-term, 60 days, no travel: 550 × 60 ÷ 30 = 1,100 €. Short-term blended 10 days: 10 × 75 = 750 €.
    // Staff 5 days at 130 €: 650 €.
    const rates = { monthlyEur: 550, dailyEur: 75 };
    expect(grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 60, travelGrant: false, rates }).totalCents).toBe(110_000);
    expect(grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 10, blended: true, travelGrant: false, rates }).totalCents).toBe(75_000);
    expect(grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5, travelGrant: false, rates: { monthlyEur: 3000, dailyEur: 130 } }).totalCents).toBe(65_000);
    // Only the other one: still refused, naming it.
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 60, rates: { dailyEur: 75 } })).field).toBe('rates.dailyEur');
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5, rates: { monthlyEur: 3000 } })).field).toBe('rates.monthlyEur');
  });

  it('partner countries: 700 €/month table default (§1.1 [V S9])', () => {
    expect(grant({ callYear: 2024, activity: 'HE-SMS', receivingCountry: 'US', durationDays: 60, travelGrant: false }).totalCents).toBe(140_000);
  });

  it('NA rates outside the 2022–23 EU range by flow are refused, naming rates.monthlyEur (§1.3 [S S12])', () => {
    // DE (old group 2) → SE (group 1) is a flow to a dearer group: higher range 310–600.
    expect(ruleError(() => grant({ callYear: 2023, activity: 'HE-SMS', durationDays: 90, rates: { monthlyEur: 650 } })).field).toBe('rates.monthlyEur');
    expect(grant({ callYear: 2023, activity: 'HE-SMS', durationDays: 90, rates: { monthlyEur: 600 } }).totalCents).toBe(180_000);
    // DE → PL (group 3) is to a cheaper group: lower range 200–490.
    expect(ruleError(() => grant({ callYear: 2022, activity: 'HE-SMS', receivingCountry: 'PL', durationDays: 90, rates: { monthlyEur: 500 } })).message).toMatch(/lower range 200\.00 €–490\.00 €/);
    // No range known for call 2024: accepted.
    expect(grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 90, travelGrant: false, rates: { monthlyEur: 650 } }).totalCents).toBe(195_000);
  });
});

describe('HE short-term students (§1.3, §1.7)', () => {
  it('20 days, fewer opportunities, call 2024: 14 × 79 + 6 × 56 + 150 = 1,592 €', () => {
    const b = grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 20, blended: true, fewerOpportunities: true, travelGrant: false });
    expect(amount(b, 'GRANT-HE-ST-DAYS-1-14')).toBe(110_600);
    expect(amount(b, 'GRANT-HE-ST-DAYS-15+')).toBe(33_600);
    expect(amount(b, 'GRANT-HE-ST-FEWER-OPP')).toBe(15_000);
    expect(b.totalCents).toBe(159_200);
  });

  it('calls 2022–23 pay 70 / 50 €; the top-up is once per mobility and +100 € up to 14 physical days', () => {
    // 10 days doctoral, call 2022: 10 × 70 = 700 + 100 = 800 € (student with fewer opportunities gets travel: 300 km → 180 €, 2 travel days).
    // 12 days: 12 × 70 = 840 + 100 + 180 = 1,120 €.
    const b = grant({ callYear: 2022, activity: 'HE-SMS', durationDays: 10, doctoral: true, fewerOpportunities: true, distanceKm: 300 });
    expect(b.days).toBe(12);
    expect(b.totalCents).toBe(112_000);
    expect(amount(b, 'GRANT-HE-ST-FEWER-OPP')).toBe(10_000);
  });

  it('travel days are paid at the daily rate; the top-up tier follows the physical duration (18 days → 150 €)', () => {
    // 18 physical + 2 travel = 20 days: 14 × 79 + 6 × 56 = 1,442; + 150; + 211 (300 km) = 1,803 €.
    const b = grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 18, blended: true, fewerOpportunities: true, distanceKm: 300 });
    expect(b.days).toBe(20);
    expect(b.totalCents).toBe(180_300);
  });

  it('short-term is derived from the duration and must be blended or doctoral (§1.6 [V S7])', () => {
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 20 })).field).toBe('blended');
  });

  it('a per-project override changes a figure (days 15–30 at 59 €, as one Estonian page shows)', () => {
    // 14 × 79 + 6 × 59 = 1,106 + 354 = 1,460 €.
    const b = grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 20, blended: true, travelGrant: false }, { overrides: { heShortTerm: { laterDaysDaily: 5900 } } });
    expect(b.totalCents).toBe(146_000);
  });

  it('BIP students are paid as short-term students without the blended flag', () => {
    expect(grant({ callYear: 2024, activity: 'HE-BIP', durationDays: 5, travelGrant: false }).totalCents).toBe(5 * 7900);
  });
});

describe('Staff (§1.3) and VET/school/adult (§1.4)', () => {
  it('staff 20 days = 14 × rate + 6 × 70 % × rate (call 2023, SE old group 1 = 180 €): 2,520 + 756 + 275 = 3,551 €', () => {
    // 18 physical + 2 travel = 20 days; 1,500 km → 500–1,999 band 2021–23 = 275 €.
    const b = grant({ callYear: 2023, activity: 'HE-STA', durationDays: 18, distanceKm: 1500 });
    expect(b.days).toBe(20);
    expect(amount(b, 'GRANT-STAFF-DAYS-1-14')).toBe(252_000);
    expect(amount(b, 'GRANT-STAFF-DAYS-15+')).toBe(75_600);
    expect(b.totalCents).toBe(355_100);
  });

  it('staff rates move to the new grouping from call 2024 (NL example 120 € for group 1 [S S2])', () => {
    expect(grant({ callYear: 2024, activity: 'HE-STT', receivingCountry: 'NL', durationDays: 5, travelGrant: false }).totalCents).toBe(5 * 12000);
    // Call 2023: NL is old group 2 → 160 €.
    expect(grant({ callYear: 2023, activity: 'HE-STT', receivingCountry: 'NL', durationDays: 5, travelGrant: false }).totalCents).toBe(5 * 16000);
  });

  it('VET learner 20 + 2 travel days at 66.50 € ([U] S3 midpoint) with 70 % from day 15 ([U]): 931 + 372.40 + 309 = 1,612.40 €', () => {
    const b = grant({ callYear: 2024, activity: 'VET-LEARN-ST', receivingCountry: 'FR', durationDays: 20, distanceKm: 800 });
    expect(b.days).toBe(22);
    expect(amount(b, 'GRANT-LEARNER-DAYS-1-14')).toBe(93_100);
    expect(amount(b, 'GRANT-LEARNER-DAYS-15+')).toBe(37_240);
    expect(b.totalCents).toBe(161_240);
  });

  it('learner rates outside the PG 2026 ranges are refused from call 2026 (§1.4 [S S3])', () => {
    expect(ruleError(() => grant({ callYear: 2026, activity: 'VET-LEARN-ST', receivingCountry: 'FR', durationDays: 20, rates: { dailyEur: 90 } })).field).toBe('rates.dailyEur');
    expect(grant({ callYear: 2026, activity: 'VET-LEARN-ST', receivingCountry: 'FR', durationDays: 10, travelGrant: false, rates: { dailyEur: 85 } }).totalCents).toBe(85_000);
  });

  it('zero-grant days are counted but not paid: 10 − 3 = 7 days × 120 € = 840 €', () => {
    const b = grant({ callYear: 2024, activity: 'HE-STA', receivingCountry: 'NL', durationDays: 10, zeroGrantDays: 3, travelGrant: false });
    expect(b.days).toBe(7);
    expect(b.totalCents).toBe(84_000);
  });

  it('partner countries have no table staff rate: the NA rate is required', () => {
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-STA', receivingCountry: 'US', durationDays: 5 })).field).toBe('rates.dailyEur');
    expect(grant({ callYear: 2024, activity: 'HE-STA', receivingCountry: 'US', durationDays: 5, travelGrant: false, rates: { dailyEur: 160 } }).totalCents).toBe(80_000);
  });
});

describe('Travel support (§1.2) and exceptional costs (§3)', () => {
  it('10–99 km band by call: 20 € (2021), 23 € (2022), 28 € standard / 56 € green (2024)', () => {
    const travel = (callYear: number, greenTravel = false) =>
      grant({ callYear, activity: 'HE-STA', receivingCountry: 'DK', durationDays: 2, travelDays: 0, distanceKm: 50, greenTravel }).lines.find((l) => l.ruleId.startsWith('GRANT-TRAVEL'))!.amountCents;
    expect(travel(2021)).toBe(2000);
    expect(travel(2022)).toBe(2300);
    expect(travel(2024)).toBe(2800);
    expect(travel(2024, true)).toBe(5600);
  });

  it('no travel grant without distanceKm, nor under 10 km', () => {
    const b = grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5 });
    expect(b.lines.some((l) => l.ruleId.startsWith('GRANT-TRAVEL'))).toBe(false);
    expect(b.days).toBe(7); // the 2 standard travel days are still paid
    expect(grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5, distanceKm: 9.9 }).lines.some((l) => l.ruleId.startsWith('GRANT-TRAVEL'))).toBe(false);
  });

  it('pre-2024 students without fewer opportunities get travel only with an explicit travelGrant (outermost regions)', () => {
    expect(grant({ callYear: 2023, activity: 'HE-SMS', durationDays: 90, distanceKm: 600 }).totalCents).toBe(180_000);
    // travelGrant → 275 € and 2 travel days: 92 × 600 ÷ 30 = 1,840 + 275 = 2,115 €.
    expect(grant({ callYear: 2023, activity: 'HE-SMS', durationDays: 90, distanceKm: 600, travelGrant: true }).totalCents).toBe(211_500);
  });

  it('at most 2 funded travel days with standard travel, 6 with green (§1.2 [V S4])', () => {
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5, travelDays: 3 })).field).toBe('travelDays');
    expect(grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5, travelDays: 6, greenTravel: true }).days).toBe(11);
    expect(grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5, travelDays: 1 }).days).toBe(6);
  });

  it('exceptional costs: 80 % of the real cost when the unit cost covers < 70 % of it', () => {
    // ≥ 8,000 km = 1,735 €. Real 2,600 €: 1,735 / 2,600 = 66.7 % < 70 % → 80 % × 2,600 = 2,080 € instead of 1,735 €.
    const ex = grant({ callYear: 2024, activity: 'HE-STA', receivingCountry: 'DK', durationDays: 5, travelDays: 0, distanceKm: 9000, exceptionalTravelCostEur: 2600 });
    expect(amount(ex, 'GRANT-TRAVEL-EXCEPTIONAL')).toBe(208_000);
    expect(amount(ex, 'GRANT-TRAVEL-STD')).toBe(0);
    // Real 2,400 €: 72.3 % ≥ 70 % → the unit cost stays.
    const std = grant({ callYear: 2024, activity: 'HE-STA', receivingCountry: 'DK', durationDays: 5, travelDays: 0, distanceKm: 9000, exceptionalTravelCostEur: 2400 });
    expect(amount(std, 'GRANT-TRAVEL-STD')).toBe(173_500);
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-STA', durationDays: 5, exceptionalTravelCostEur: 2400 })).field).toBe('distanceKm');
  });

  it('inclusion support for participants is a real-cost line', () => {
    const b = grant({ callYear: 2024, activity: 'HE-STA', durationDays: 2, travelDays: 0, inclusionSupportEur: 345.5 });
    expect(amount(b, 'GRANT-INCLUSION-REAL-COSTS')).toBe(34_550);
    expect(b.totalCents).toBe(2 * 12000 + 34_550);
  });
});

describe('Durations and special cases (§1.6, §2)', () => {
  it('out-of-limit durations name the limit and its rule id', () => {
    const long = ruleError(() => grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 400 }));
    expect(long).toBeInstanceOf(DurationOutOfLimits);
    expect(long.ruleId).toBe('DUR-HE-STU-LT');
    expect(long.field).toBe('durationDays');
    expect(long.message).toMatch(/maximum 360 days of DUR-HE-STU-LT/);
    // 40 days: longer than short-term (30) → long-term → below its 60-day minimum.
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-SMS', startDate: '2024-03-01', endDate: '2024-04-09' })).ruleId).toBe('DUR-HE-STU-LT');
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-STA', startDate: '2024-03-01', endDate: '2024-03-01' })).field).toBe('endDate');
  });

  it('force majeure lifts the minimum, not the maximum', () => {
    // 50 days under force majeure, no travel: 600 × 50 ÷ 30 = 1,000 €.
    expect(grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 50, longTerm: true, travelGrant: false, forceMajeure: true }).totalCents).toBe(100_000);
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 400, forceMajeure: true })).ruleId).toBe('DUR-HE-STU-LT');
  });

  it('longTerm must fit the activity', () => {
    expect(ruleError(() => grant({ callYear: 2024, activity: 'HE-STA', durationDays: 10, longTerm: true })).field).toBe('longTerm');
  });

  it('a zero-grant mobility is recorded with one zero line', () => {
    const b = grant({ callYear: 2024, activity: 'HE-SMS', durationDays: 120, distanceKm: 800, zeroGrant: true });
    expect(b.totalCents).toBe(0);
    expect(b.days).toBe(0);
    expect(b.lines.map((l) => l.ruleId)).toEqual(['GRANT-ZERO-GRANT']);
  });

  it('bad input is a ZodError naming the field', () => {
    const issues = (input: unknown) => {
      try {
        computeMobilityGrant(input as GrantInput);
      } catch (e) {
        if (e instanceof ZodError) return e.issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys.join() : i.path.join('.')));
      }
      return [];
    };
    const ok = { callYear: 2024, activity: 'HE-STA', sendingCountry: 'DE', receivingCountry: 'SE', durationDays: 5 };
    expect(issues({ ...ok, colour: 'blue' })).toEqual(['colour']);
    expect(issues({ ...ok, activity: 'HE-XYZ' })).toEqual(['activity']);
    expect(issues({ ...ok, receivingCountry: 'DE' })).toEqual(['receivingCountry']);
    expect(issues({ ...ok, startDate: '2024-01-01', endDate: '2024-01-05' })).toEqual(['durationDays']);
    expect(issues({ ...ok, durationDays: undefined })).toEqual(['durationDays']);
    expect(issues({ ...ok, rates: { dailyEur: 10.001 } })).toEqual(['rates.dailyEur']);
    expect(issues({ ...ok, durationDays: undefined, startDate: '2024-01-05', endDate: '2024-01-01' })).toEqual(['endDate']);
  });
});
