import { CALL_2024 } from './call2024';
import { NEW_GROUPING } from './groups';
import { withOverrides } from './merge';
import type { RateTable } from './types';

/** Call 2025: KA131 students move to the new country grouping (§1.1 "likely" [S S10, S22]). */
export const CALL_2025: RateTable = withOverrides(CALL_2024, {
  fromCallYear: 2025,
  label: 'call 2025',
  grouping: { heStudents: NEW_GROUPING },
  heLongTerm: {
    // [S S10] HU Berlin on the new groups: 600 / 540 / 540 €/month. NA-specific: override per project.
    monthlyByGroup: { 1: 60000, 2: 54000, 3: 54000 },
  },
});
