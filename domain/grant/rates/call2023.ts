import { CALL_2022 } from './call2022';
import { withOverrides } from './merge';
import type { RateTable } from './types';

/**
 * Call 2023. The reference gives the same figures for calls 2022–23 (travel, 70/50 short-term,
 * EU ranges [S S12], 180/160/140 staff [V S14]). It also says individual support rose 12.27 % in call 2023:
 * [U] no per-figure 2023 value was found, so NAs' applicable rates are to be set on the project.
 */
export const CALL_2023: RateTable = withOverrides(CALL_2022, {
  fromCallYear: 2023,
  label: 'call 2023',
});
