import { z } from 'zod';

/**
 * Money is plain data: an integer number of euro cents. No floating point on the money path.
 * Amounts in rate tables are also held in cents.
 */
export const Cents = z.int().describe('amount in euro cents');
export type Cents = z.infer<typeof Cents>;

export const eur = (euros: number): Cents => {
  const cents = Math.round(euros * 100);
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a safe cent amount: ${euros}`);
  return cents;
};

export const sumCents = (amounts: readonly Cents[]): Cents => amounts.reduce((a, b) => a + b, 0);

/**
 * Exact a × b ÷ c rounded half-up to the cent, in integer arithmetic (BigInt inside),
 * so a monthly rate × days ÷ 30 never drifts. Documented rounding rule: ROUND_HALF_UP on cents.
 */
export const mulDiv = (a: Cents, b: number, c: number): Cents => {
  if (!Number.isInteger(b) || !Number.isInteger(c) || c <= 0) throw new RangeError('mulDiv needs integer factors and a positive divisor');
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  const q = n / d;
  const r = n % d;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  const roundAway = abs(r) * 2n >= d;
  const result = roundAway ? q + (n < 0n ? -1n : 1n) : q;
  return Number(result);
};

/** Percentage of an amount, rounded half-up to the cent (e.g. 70 % pre-financing). */
export const percentOf = (a: Cents, percent: number): Cents => mulDiv(a, percent, 100);

export const formatEur = (c: Cents): string => {
  const sign = c < 0 ? '-' : '';
  const a = Math.abs(c);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')} €`;
};
