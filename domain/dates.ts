/**
 * Calendar dates, one implementation for the whole domain: ISO dates (YYYY-MM-DD) on the proleptic
 * Gregorian calendar, pure integer arithmetic (no local time zone).
 *
 * - actualDays: calendar days, both ends included (end − start + 1). Used for short-term students,
 *   staff and every mobility paid per day (reference §1.7).
 * - bmDays: the Beneficiary Module's 30-day months, used for long-term HE students paid per month
 *   (reference §1.7 [S: EC BM wiki duration page; Univ. of Lapland; Fulda; Stockholm]):
 *   every date is put on a 360-day calendar where day 31 counts as day 30 and the last day of
 *   February counts as day 30; the duration is end − start + 1 on that calendar.
 *   So a whole calendar month always counts 30 days, 01/01/2023–15/04/2023 = 105 and
 *   1 Sep–31 Jan = 150 (the EC wiki examples), and splitting a period at a month boundary is additive.
 */

export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

export const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export const daysInMonth = (y: number, m: number): number =>
  m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;

/** Parses YYYY-MM-DD and rejects impossible dates (2023-02-29, 2024-04-31…). */
export const parseIsoDate = (iso: string): CivilDate => {
  const m = ISO.exec(iso);
  if (!m) throw new RangeError(`not an ISO date (YYYY-MM-DD): ${iso}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new RangeError(`no such date: ${iso}`);
  return { year, month, day };
};

/** Days since 1970-01-01 (proleptic Gregorian), Howard Hinnant's days_from_civil. */
export const epochDay = ({ year, month, day }: CivilDate): number => {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
};

/** Inverse of epochDay. */
export const fromEpochDay = (n: number): CivilDate => {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
};

export const toIsoDate = ({ year, month, day }: CivilDate): string =>
  `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** The ISO date n days after (or before, n < 0) the given one. */
export const addDays = (iso: string, n: number): string => toIsoDate(fromEpochDay(epochDay(parseIsoDate(iso)) + n));

const ordered = (startIso: string, endIso: string): [CivilDate, CivilDate] => {
  const s = parseIsoDate(startIso);
  const e = parseIsoDate(endIso);
  if (epochDay(e) < epochDay(s)) throw new RangeError(`end date ${endIso} is before start date ${startIso}`);
  return [s, e];
};

/** Calendar days, both ends included. */
export const actualDays = (startIso: string, endIso: string): number => {
  const [s, e] = ordered(startIso, endIso);
  return epochDay(e) - epochDay(s) + 1;
};

/**
 * Position of a date on the BM 360-day calendar. Day 31 counts as day 30 (EC BM wiki formula:
 * (Y2−Y1)·360 + (M2−M1)·30 + (min(D2,30) − min(D1,30)) + 1). The last day of February counts as
 * day 30 only when it ENDS a period ("February counts as 30", reference §1.7): a stay starting on
 * 28 February still has the days 28–30 of that BM month ahead of it, so 28 Feb–27 Apr 2023 = 60.
 */
const bmSerial = ({ year, month, day }: CivilDate, end: boolean): number => {
  const d = day === 31 || (end && month === 2 && day === daysInMonth(year, 2)) ? 30 : day;
  return year * 360 + (month - 1) * 30 + d;
};

/** Beneficiary Module duration in days (30-day months), both ends included. */
export const bmDays = (startIso: string, endIso: string): number => {
  const [s, e] = ordered(startIso, endIso);
  return bmSerial(e, true) - bmSerial(s, false) + 1;
};

/** b − a in calendar days (negative when b is before a). */
export const daysBetween = (a: string, b: string): number => epochDay(parseIsoDate(b)) - epochDay(parseIsoDate(a));

/** Whole days late, never negative: the due date itself is on time. */
export const daysLate = (dueOn: string, doneOn: string): number => Math.max(0, daysBetween(dueOn, doneOn));

/**
 * Adds (or, negative, subtracts) calendar months: same day of the month, clamped to the last day
 * when the target month is shorter. 2025-03-31 − 1 month = 2025-02-28; 2024-03-31 − 1 month = 2024-02-29.
 */
export const addMonthsClamped = (iso: string, months: number): string => {
  const { year, month, day } = parseIsoDate(iso);
  const index = year * 12 + (month - 1) + months;
  const ny = Math.floor(index / 12);
  const nm = index - ny * 12 + 1;
  return toIsoDate({ year: ny, month: nm, day: Math.min(day, daysInMonth(ny, nm)) });
};

/** ISO dates compare as strings; these keep call sites readable. */
export const minDate = (a: string, b: string): string => (a <= b ? a : b);
export const maxDate = (a: string, b: string): string => (a >= b ? a : b);

/** The UTC calendar day of an ISO date-time with offset, e.g. 2025-03-01T23:30:00-02:00 → 2025-03-02. */
export const utcDateOf = (isoDateTime: string): string => new Date(Date.parse(isoDateTime)).toISOString().slice(0, 10);

/** Hours from one ISO date-time to another. */
export const hoursBetween = (fromAt: string, toAt: string): number => (Date.parse(toAt) - Date.parse(fromAt)) / 3_600_000;
