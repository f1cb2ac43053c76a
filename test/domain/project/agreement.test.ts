import { describe, expect, it } from 'vitest';
import { applicableRatesFor, GrantAgreement, prefinancingCents } from '../../../domain/project';

const valid = {
  projectId: '2023-1-DE01-KA131-HED-000123',
  action: 'KA131',
  callYear: 2023,
  country: 'DE',
  institutionId: 'E10208724',
  consortiumId: null,
  funderLines: [
    { funderLineId: 'erasmus', funder: 'ERASMUS+', allocatedCents: 50_000_000, allocatedMobilities: 120 },
    { funderLineId: 'land-sh', funder: 'Schleswig-Holstein regional grant', allocatedCents: 2_000_000, allocatedMobilities: 10 },
  ],
  prefinancingPercent: 80,
  applicableRates: { 'HE-SMS': { '1': { monthlyEur: 600 }, '2': { monthlyEur: 540 }, '3': { monthlyEur: 490 } }, 'HE-STA': { '1': { dailyEur: 180 } } },
};
const paths = (input: unknown) => {
  const r = GrantAgreement.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('grant agreement (§2, §8 applicable rates)', () => {
  it('accepts a KA131 agreement with DE NA rates inside the 2022–23 ranges', () => {
    expect(paths(valid)).toEqual([]);
  });

  it('rejects rates outside the EU range of their flow, naming the field (§1.3 [S S12])', () => {
    // DE (old group 2) → group 1: higher range 310–600; → group 3: lower range 200–490.
    expect(paths({ ...valid, applicableRates: { 'HE-SMS': { '1': { monthlyEur: 620 } } } })).toEqual(['applicableRates.HE-SMS.1.monthlyEur']);
    expect(paths({ ...valid, applicableRates: { 'HE-SMP': { '3': { monthlyEur: 190 } } } })).toEqual(['applicableRates.HE-SMP.3.monthlyEur']);
    // The same 620 € is accepted for call 2024 (no range known).
    expect(paths({ ...valid, callYear: 2024, applicableRates: { 'HE-SMS': { '1': { monthlyEur: 620 } } } })).toEqual([]);
  });

  it('rejects a monthly rate for a daily activity and activities of another action', () => {
    expect(paths({ ...valid, applicableRates: { 'HE-STA': { '1': { monthlyEur: 600 } } } })).toEqual(['applicableRates.HE-STA.1.monthlyEur']);
    expect(paths({ ...valid, applicableRates: { 'VET-PRO': { '1': { dailyEur: 60 } } } })).toEqual(['applicableRates.VET-PRO']);
  });

  it('checks pre-financing 70–100 %, funder lines and unknown fields', () => {
    expect(paths({ ...valid, prefinancingPercent: 60 })).toEqual(['prefinancingPercent']);
    expect(paths({ ...valid, funderLines: [valid.funderLines[1]] })).toEqual(['funderLines']);
    expect(paths({ ...valid, funderLines: [valid.funderLines[0], { ...valid.funderLines[1], funderLineId: 'erasmus' }] })).toEqual(['funderLines.1.funderLineId']);
    expect(paths({ ...valid, funderLines: [{ ...valid.funderLines[0], allocatedCents: 10.5 }] })).toEqual(['funderLines.0.allocatedCents']);
    expect(GrantAgreement.safeParse({ ...valid, budget: 1 }).error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it('learner daily rates are checked against the PG 2026 ranges from call 2026 (§1.4 [S S3])', () => {
    const ka121 = { ...valid, action: 'KA121', projectId: '2026-1-DE02-KA121-VET-000001', callYear: 2026, applicableRates: { 'VET-LEARN-ST': { '2': { dailyEur: 80 } } } };
    expect(paths(ka121)).toEqual(['applicableRates.VET-LEARN-ST.2.dailyEur']); // G2 41–74
    expect(paths({ ...ka121, applicableRates: { 'VET-LEARN-ST': { '2': { dailyEur: 74 } } } })).toEqual([]);
  });

  it('finds the applicable rate for a mobility by its receiving country group, or none', () => {
    const a = GrantAgreement.parse(valid);
    expect(applicableRatesFor(a, 'HE-SMS', 'SE')).toEqual({ monthlyEur: 600 });
    expect(applicableRatesFor(a, 'HE-SMS', 'PL')).toEqual({ monthlyEur: 490 });
    expect(applicableRatesFor(a, 'HE-SMS', 'US')).toBeUndefined();
    expect(applicableRatesFor(a, 'HE-STT', 'SE')).toBeUndefined();
  });

  it('pre-financing is the agreement percentage of the grant, half-up to the cent', () => {
    // 80 % × 3,049.99 € = 2,439.992 € → 2,439.99 €.
    expect(prefinancingCents(GrantAgreement.parse(valid), 304_999)).toBe(243_999);
  });
});
