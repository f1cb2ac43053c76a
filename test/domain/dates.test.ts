import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actualDays, addDays, bmDays, daysInMonth, epochDay, fromEpochDay, parseIsoDate, toIsoDate } from '../../domain/dates';

/** Any date 2020-01-01 … ~2035, as ISO. */
const isoDate = fc.integer({ min: epochDay({ year: 2020, month: 1, day: 1 }), max: epochDay({ year: 2035, month: 12, day: 31 }) }).map((n) => toIsoDate(fromEpochDay(n)));
const lastOfMonth = (iso: string) => {
  const { year, month } = parseIsoDate(iso);
  return toIsoDate({ year, month, day: daysInMonth(year, month) });
};
const monthsTouched = (a: string, b: string) => {
  const s = parseIsoDate(a);
  const e = parseIsoDate(b);
  return (e.year - s.year) * 12 + (e.month - s.month) + 1;
};

describe('BM day counting, 30-day months (reference §1.7)', () => {
  it('01/01/2023–15/04/2023 = 105 days (EC BM wiki: 30 + 30 + 30 + 15)', () => {
    expect(bmDays('2023-01-01', '2023-04-15')).toBe(105);
    // Calendar count for comparison: 31 + 28 + 31 + 15 = 105 as well (February's 28 and January's 31 compensate).
    expect(actualDays('2023-01-01', '2023-04-15')).toBe(105);
  });

  it('1 Sep–31 Jan = 150 days, where an actual-day count gives 153 (30 + 31 + 30 + 31 + 31)', () => {
    expect(bmDays('2023-09-01', '2024-01-31')).toBe(150);
    expect(actualDays('2023-09-01', '2024-01-31')).toBe(153);
  });

  it('February counts as 30 when the period reaches its last day, in common and leap years', () => {
    expect(bmDays('2023-02-01', '2023-02-28')).toBe(30);
    expect(bmDays('2024-02-01', '2024-02-29')).toBe(30);
    expect(bmDays('2024-02-01', '2024-02-28')).toBe(28); // 28 Feb is not the last day in 2024
  });

  it('day 31 counts as 30: 1–31 March = 30 days, 30–31 March = 1 day, one day on the 31st = 1 day', () => {
    expect(bmDays('2023-03-01', '2023-03-31')).toBe(30);
    expect(bmDays('2023-03-30', '2023-03-31')).toBe(1);
    expect(bmDays('2023-03-31', '2023-03-31')).toBe(1);
  });

  it('actual days include both ends (leap day included)', () => {
    expect(actualDays('2024-02-28', '2024-03-01')).toBe(3);
    expect(actualDays('2023-02-28', '2023-03-01')).toBe(2);
    expect(actualDays('2024-06-10', '2024-06-10')).toBe(1);
  });

  it('rejects impossible dates and reversed periods', () => {
    expect(() => bmDays('2023-02-29', '2023-03-10')).toThrow(/no such date/);
    expect(() => actualDays('2023-04-31', '2023-05-10')).toThrow(/no such date/);
    expect(() => bmDays('2023-05-10', '2023-05-09')).toThrow(/before start/);
    expect(() => actualDays('10/05/2023', '2023-05-10')).toThrow(/ISO date/);
  });

  it('property: whole calendar months always count 30 days each', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: 1, max: 24 }), (d, k) => {
        const { year, month } = parseIsoDate(d);
        const first = toIsoDate({ year, month, day: 1 });
        const endMonth = month - 1 + k - 1;
        const last = lastOfMonth(toIsoDate({ year: year + Math.floor(endMonth / 12), month: (endMonth % 12) + 1, day: 1 }));
        expect(bmDays(first, last)).toBe(30 * k);
      }),
    );
  });

  it('property: splitting a period at a month boundary adds up', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 400 }), (a, toSplit, after) => {
        const b = lastOfMonth(addDays(a, toSplit));
        const c = addDays(b, after);
        expect(bmDays(a, c)).toBe(bmDays(a, b) + bmDays(addDays(b, 1), c));
      }),
    );
  });

  it('property: at least one day, never decreasing as the end moves later, never increasing as the start moves later', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: 0, max: 500 }), (a, n) => {
        const e = addDays(a, n);
        expect(bmDays(a, e)).toBeGreaterThanOrEqual(1);
        expect(bmDays(a, addDays(e, 1))).toBeGreaterThanOrEqual(bmDays(a, e));
        if (n > 0) expect(bmDays(addDays(a, 1), e)).toBeLessThanOrEqual(bmDays(a, e));
      }),
    );
  });

  it('property: within 2 days per month touched of the actual count, and at most 30 per month touched', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: 0, max: 500 }), (a, n) => {
        const e = addDays(a, n);
        const months = monthsTouched(a, e);
        expect(Math.abs(bmDays(a, e) - actualDays(a, e))).toBeLessThanOrEqual(2 * months);
        expect(bmDays(a, e)).toBeLessThanOrEqual(30 * months);
      }),
    );
  });

  it('property: actualDays(a, a + n) = n + 1 and the civil-date conversion round-trips', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: 0, max: 1000 }), (a, n) => {
        expect(actualDays(a, addDays(a, n))).toBe(n + 1);
        expect(toIsoDate(fromEpochDay(epochDay(parseIsoDate(a))))).toBe(a);
      }),
    );
  });
});

describe('bmDays: periods starting on the last day of February (reference §1.7, EC BM wiki formula)', () => {
  it('counts 28 Feb–27 Apr 2023 as 60 days: (4−2)·30 + (27 − 28) + 1', () => {
    expect(bmDays('2023-02-28', '2023-04-27')).toBe(60);
  });
  it('counts 29 Feb–28 Apr 2024 (leap year) as 60 days: (4−2)·30 + (28 − 29) + 1', () => {
    expect(bmDays('2024-02-29', '2024-04-28')).toBe(60);
  });
  it('still counts a period ending on the last day of February as ending on day 30', () => {
    // 1 Jan–28 Feb 2023: (2−1)·30 + (30 − 1) + 1 = 60 ("February counts as 30").
    expect(bmDays('2023-01-01', '2023-02-28')).toBe(60);
  });
});
