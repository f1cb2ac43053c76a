import { CALL_2025 } from './call2025';
import { withOverrides } from './merge';
import type { RateTable } from './types';

/** Call 2026: the learner daily ranges a school tool cites from "PG 2026 / PAD Anhang 3" [S S3]. */
export const CALL_2026: RateTable = withOverrides(CALL_2025, {
  fromCallYear: 2026,
  label: 'call 2026',
  learners: {
    // §1.4 [S S3] G1 48–85, G2 41–74, G3 36–64 €/day. [U] whether these are pupils only or all learners.
    euRanges: {
      1: { minCents: 4800, maxCents: 8500 },
      2: { minCents: 4100, maxCents: 7400 },
      3: { minCents: 3600, maxCents: 6400 },
    },
  },
});
