/**
 * Calendar-date arithmetic on ISO dates (YYYY-MM-DD), internal to the calendar.
 * Every date is a UTC calendar day: no local time zone is ever involved, so no DST or offset bugs.
 * Day numbers are days since 1970-01-01 (Date.UTC / 86 400 000, always an integer).
 */
const DAY_MS = 86_400_000;

const parts = (iso: string): [number, number, number] => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`not an ISO date (YYYY-MM-DD): ${iso}`);
  const y = Number(m[1]);
  if (y < 1970) throw new RangeError(`year before 1970 not supported: ${iso}`);
  return [y, Number(m[2]), Number(m[3])];
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const format = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

export const dayNumber = (iso: string): number => {
  const [y, m, d] = parts(iso);
  return Date.UTC(y, m - 1, d) / DAY_MS;
};

export const fromDayNumber = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);

export const addDays = (iso: string, days: number): string => fromDayNumber(dayNumber(iso) + days);

/** Whole days from a to b (positive when b is later). */
export const daysBetween = (a: string, b: string): number => dayNumber(b) - dayNumber(a);

/** Days in a month, month 1–12 (day 0 of the next month is the last day of this one). */
const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

/**
 * Adds (or, negative, subtracts) calendar months: same day of the month, clamped to the last day
 * when the target month is shorter. 2025-03-31 − 1 month = 2025-02-28; 2024-03-31 − 1 month = 2024-02-29;
 * 2025-01-15 − 1 month = 2024-12-15.
 */
export const addMonthsClamped = (iso: string, months: number): string => {
  const [y, m, d] = parts(iso);
  const index = y * 12 + (m - 1) + months;
  const ny = Math.floor(index / 12);
  const nm = index - ny * 12 + 1;
  return format(ny, nm, Math.min(d, daysInMonth(ny, nm)));
};

/** ISO dates compare as strings; these keep call sites readable. */
export const maxDate = (a: string, b: string): string => (a >= b ? a : b);
export const minDate = (a: string, b: string): string => (a <= b ? a : b);

/** The UTC calendar day of an ISO date-time with offset, e.g. 2025-03-01T23:30:00-02:00 → 2025-03-02. */
export const utcDateOf = (isoDateTime: string): string => new Date(Date.parse(isoDateTime)).toISOString().slice(0, 10);
