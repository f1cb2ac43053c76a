import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupOf, rateTableFor, RATE_TABLES, travelBandFor } from '../../../domain/grant';

describe('rate tables versioned by call year (reference "Which year?", §8)', () => {
  it('a call year gets the latest table starting at or before it; before 2021 there is none', () => {
    expect(rateTableFor(2021).heShortTerm.firstDaysDaily).toBe(7000);
    expect(rateTableFor(2023).heShortTerm.firstDaysDaily).toBe(7000);
    expect(rateTableFor(2024).heShortTerm.firstDaysDaily).toBe(7900);
    expect(rateTableFor(2030).heShortTerm.firstDaysDaily).toBe(7900);
    expect(rateTableFor(2030).label).toBe('call 2030');
    expect(() => rateTableFor(2020)).toThrow(/call 2020/);
  });

  it('the figures that change between calls (§1.2, §1.3, §1.5)', () => {
    expect(rateTableFor(2021).travel.standard[0]!.cents).toBe(2000);
    expect(rateTableFor(2022).travel.standard[0]!.cents).toBe(2300);
    expect(rateTableFor(2023).travel.heStudents).toBe('fewer-opportunities-only');
    expect(rateTableFor(2024).travel.heStudents).toBe('all');
    expect(rateTableFor(2023).travel.greenTopUpWithoutTravelGrant).toEqual({ cents: 5000, extraDays: 4 });
    expect(rateTableFor(2024).travel.greenTopUpWithoutTravelGrant).toBeNull();
    expect(rateTableFor(2023).inclusionSupportPerOrganisationParticipant).toBe(10000);
    expect(rateTableFor(2024).inclusionSupportPerOrganisationParticipant).toBe(12500);
    expect(rateTableFor(2022).heLongTerm.euRanges?.higher).toEqual({ minCents: 31000, maxCents: 60000 });
    expect(rateTableFor(2021).heLongTerm.euRanges).toBeNull();
    expect(groupOf(rateTableFor(2024).grouping.heStudents, 'FR')).toBe(2);
    expect(groupOf(rateTableFor(2025).grouping.heStudents, 'FR')).toBe(1);
    expect(groupOf(rateTableFor(2025).grouping.heStudents, 'US')).toBeNull();
  });

  it('per-project overrides replace only what they name, and leave the shared tables untouched', () => {
    const t = rateTableFor(2024, { staff: { heDailyByGroup: { 1: 17100 } } });
    expect(t.staff.heDailyByGroup).toEqual({ 1: 17100, 2: 11000, 3: 10000 });
    expect(rateTableFor(2024).staff.heDailyByGroup[1]).toBe(12000);
  });

  it('every table: bands are contiguous from 10 km with an open last band; green never pays less than standard', () => {
    for (const t of RATE_TABLES) {
      for (const bands of [t.travel.standard, t.travel.green]) {
        expect(bands[0]!.minKm).toBe(10);
        bands.slice(1).forEach((b, i) => expect(b.minKm).toBe(bands[i]!.maxKm! + 1));
        expect(bands.at(-1)!.maxKm).toBeNull();
      }
      t.travel.green.forEach((g, i) => expect(g.cents).toBeGreaterThanOrEqual(t.travel.standard[i]!.cents));
    }
  });

  it('property: every distance ≥ 10 km falls in exactly one band; amounts grow with distance', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RATE_TABLES), fc.double({ min: 10, max: 20_000, noNaN: true }), fc.double({ min: 0, max: 5_000, noNaN: true }), (t, km, more) => {
        const bands = t.travel.standard;
        expect(bands.filter((b) => km >= b.minKm && (b.maxKm === null || km < b.maxKm + 1))).toHaveLength(1);
        expect(travelBandFor(bands, km + more)!.cents).toBeGreaterThanOrEqual(travelBandFor(bands, km)!.cents);
      }),
    );
  });
});
