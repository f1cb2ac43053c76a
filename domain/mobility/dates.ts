/**
 * Calendar arithmetic on ISO dates (YYYY-MM-DD) and ISO datetimes. Pure: every instant is an argument.
 * A datetime's calendar date is its UTC date (documented convention for "days late").
 */
const MS_PER_DAY = 86_400_000;

const dayNumber = (isoDate: string): number => {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / MS_PER_DAY;
};

/** b − a in calendar days (negative when b is before a). */
export const daysBetween = (a: string, b: string): number => dayNumber(b) - dayNumber(a);

export const addDays = (isoDate: string, n: number): string => new Date((dayNumber(isoDate) + n) * MS_PER_DAY).toISOString().slice(0, 10);

/** The UTC calendar date of an ISO datetime. */
export const dateOf = (at: string): string => new Date(at).toISOString().slice(0, 10);

export const hoursBetween = (fromAt: string, toAt: string): number => (Date.parse(toAt) - Date.parse(fromAt)) / 3_600_000;

export const minDate = (a: string, b: string): string => (a <= b ? a : b);
export const maxDate = (a: string, b: string): string => (a >= b ? a : b);

/** Whole days late, never negative: the due date itself is on time. */
export const daysLate = (dueOn: string, doneOn: string): number => Math.max(0, daysBetween(dueOn, doneOn));

/** Actual days, both ends included: short-term students and staff, reference §1.7. */
export const actualDays = (start: string, end: string): number => daysBetween(start, end) + 1;

const isLastDayOfMonth = (isoDate: string): boolean => addDays(isoDate, 1).slice(8, 10) === '01';

/**
 * Beneficiary Module duration for long-term HE mobility (reference §1.7 [S EC BM wiki]):
 * months of 30 days, day 31 counts as 30 and the last day of February counts as 30.
 * 01/01–15/04 = 30+30+30+15 = 105; 1 Sep–31 Jan = 5 × 30 = 150.
 */
export const bmDays = (start: string, end: string): number => {
  const [y1, m1, d1] = start.split('-').map(Number) as [number, number, number];
  const [y2, m2, d2] = end.split('-').map(Number) as [number, number, number];
  const s = isLastDayOfMonth(start) ? 30 : Math.min(d1, 30);
  const e = isLastDayOfMonth(end) ? 30 : Math.min(d2, 30);
  return (y2 - y1) * 360 + (m2 - m1) * 30 + (e - s) + 1;
};
