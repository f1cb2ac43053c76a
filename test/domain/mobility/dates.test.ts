import { describe, expect, it } from 'vitest';
import { dates } from '../../../domain/mobility';

describe('day counting (reference §1.7)', () => {
  it('BM 30-day months: 01/01/2023–15/04/2023 = 30 + 30 + 30 + 15 = 105 days (EC BM wiki example)', () => {
    expect(dates.bmDays('2023-01-01', '2023-04-15')).toBe(105);
  });
  it('BM 30-day months: 1 Sep–31 Jan = 5 × 30 = 150 days, where actual days give 153', () => {
    expect(dates.bmDays('2025-09-01', '2026-01-31')).toBe(150);
    expect(dates.actualDays('2025-09-01', '2026-01-31')).toBe(30 + 31 + 30 + 31 + 31);
  });
  it('February counts as 30 and 15 Sep–14 Oct is one month', () => {
    expect(dates.bmDays('2025-02-01', '2025-02-28')).toBe(30);
    expect(dates.bmDays('2024-02-01', '2024-02-29')).toBe(30);
    expect(dates.bmDays('2025-09-15', '2025-10-14')).toBe(30);
  });
  it('actual days include both ends; a one-day stay is 1 day', () => {
    expect(dates.actualDays('2025-03-10', '2025-03-10')).toBe(1);
    expect(dates.actualDays('2025-02-27', '2025-03-02')).toBe(4); // 27, 28 Feb, 1, 2 Mar
  });
  it('days late never negative; datetime → UTC date', () => {
    expect(dates.daysLate('2025-03-10', '2025-03-08')).toBe(0);
    expect(dates.daysLate('2025-03-10', '2025-03-13')).toBe(3);
    expect(dates.utcDateOf('2025-03-10T23:30:00-02:00')).toBe('2025-03-11');
    expect(dates.addDays('2026-02-06', 30)).toBe('2026-03-08'); // 22 days to 28 Feb + 8
  });
});
