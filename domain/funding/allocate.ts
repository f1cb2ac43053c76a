import type { Cents } from '../money';

/**
 * Splits an amount of cents in proportion to integer weights, exactly (largest-remainder method):
 * each part gets the floor of its exact share, and the cents left over go one by one to the largest
 * remainders (ties: the earlier part first). The parts always sum to the amount, and each is within one
 * cent of its exact share.
 */
export const allocateLargestRemainder = (amount: Cents, weights: readonly number[]): Cents[] => {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError('amount must be a non-negative integer number of cents');
  if (weights.length === 0 || weights.some((w) => !Number.isSafeInteger(w) || w < 0)) throw new RangeError('weights must be non-negative integers');
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) throw new RangeError('at least one weight must be positive');
  const a = BigInt(amount);
  const t = BigInt(total);
  const floors = weights.map((w) => (a * BigInt(w)) / t);
  const remainders = weights.map((w, i) => ({ i, r: (a * BigInt(w)) % t }));
  let left = Number(a - floors.reduce((x, y) => x + y, 0n));
  const order = [...remainders].sort((x, y) => (x.r === y.r ? x.i - y.i : x.r > y.r ? -1 : 1));
  const out = floors.map(Number);
  for (const { i } of order) {
    if (left === 0) break;
    out[i]! += 1;
    left -= 1;
  }
  return out;
};
