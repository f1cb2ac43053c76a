import { formatEur, type Cents } from '../money';
import type { Flow, Group, RateTable } from './rates';

/**
 * EU ranges an NA's applicable rate must fall in, where the reference has them. Each returns a
 * message, or null when the rate is inside (or no range is known for the call).
 */

/** HE long-term monthly rate (§1.3 [S S12], calls 2022–23): to a dearer group → higher range, same → medium, cheaper → lower. */
export const monthlyRangeProblem = (table: RateTable, from: Group | null, to: Group | null, monthly: Cents): string | null => {
  const ranges = table.heLongTerm.euRanges;
  if (!ranges || to === null) return null;
  const flows: Flow[] = from === null ? ['higher', 'medium', 'lower'] : [to < from ? 'higher' : to === from ? 'medium' : 'lower'];
  const min = Math.min(...flows.map((k) => ranges[k].minCents));
  const max = Math.max(...flows.map((k) => ranges[k].maxCents));
  return monthly < min || monthly > max
    ? `${formatEur(monthly)}/month is outside the EU ${flows.join('/')} range ${formatEur(min)}–${formatEur(max)} for ${table.label} (§1.3 [S S12])`
    : null;
};

/** VET/school/adult learner daily rate (§1.4 [S S3], from call 2026). */
export const learnerDailyRangeProblem = (table: RateTable, group: Group | null, daily: Cents): string | null => {
  const range = group === null ? undefined : table.learners.euRanges?.[group];
  return range && (daily < range.minCents || daily > range.maxCents)
    ? `${formatEur(daily)}/day is outside the EU range ${formatEur(range.minCents)}–${formatEur(range.maxCents)} for group ${group} (${table.label}, §1.4 [S S3])`
    : null;
};
