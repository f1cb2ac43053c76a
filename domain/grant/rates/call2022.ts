import { CALL_2021 } from './call2021';
import { withOverrides } from './merge';
import type { RateTable } from './types';

/** Call 2022: the changes from call 2021. */
export const CALL_2022: RateTable = withOverrides(CALL_2021, {
  fromCallYear: 2022,
  label: 'call 2022',
  travel: {
    // §1.2 [S S1, S14]: 10–99 km = 23 € from call 2022 (20 € in 2021); green has no own amount there.
    standard: [{ minKm: 10, maxKm: 99, cents: 2300 }, ...CALL_2021.travel.standard.slice(1)],
    green: [{ minKm: 10, maxKm: 99, cents: 2300 }, ...CALL_2021.travel.green.slice(1)],
  },
  heLongTerm: {
    // §1.3 EU ranges, calls 2022–23 [S S12]: by flow (to a dearer / similar / cheaper group).
    euRanges: {
      higher: { minCents: 31000, maxCents: 60000 },
      medium: { minCents: 26000, maxCents: 54000 },
      lower: { minCents: 20000, maxCents: 49000 },
    },
  },
});
