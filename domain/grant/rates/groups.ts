import type { CountryGrouping } from './types';

/**
 * Country groups of the receiving country, reference §1.1. Codes are ISO 3166-1 alpha-2; Greece is
 * listed both as GR (ISO) and EL (the EU's own code), so either spelling is found.
 * Countries in no group are partner countries (Regions 1–12).
 */

/** HE students, calls ≤ 2024 [V S9]. Outermost regions (Regions 13/14) are not modelled. */
export const OLD_HE_STUDENT_GROUPING: CountryGrouping = {
  name: 'old HE student grouping',
  groups: {
    1: ['DK', 'FI', 'IS', 'IE', 'LI', 'LU', 'NO', 'SE'],
    2: ['AT', 'BE', 'CY', 'FR', 'DE', 'GR', 'EL', 'IT', 'MT', 'NL', 'PT', 'ES'],
    3: ['BG', 'HR', 'CZ', 'EE', 'HU', 'LV', 'LT', 'MK', 'PL', 'RO', 'RS', 'SK', 'SI', 'TR'],
  },
};

/** The same old grouping, under the name used for HE staff up to call 2023 (180/160/140 €, [V S14]). */
export const OLD_HE_STAFF_GROUPING: CountryGrouping = { ...OLD_HE_STUDENT_GROUPING, name: 'old HE staff grouping' };

/** "New" grouping: VET/school/adult; HE staff (from call 2024, [S S2]); HE students from call 2025 [S S2, S10, S11, S15, S3]. */
export const NEW_GROUPING: CountryGrouping = {
  name: 'new grouping',
  groups: {
    1: ['AT', 'BE', 'DK', 'FI', 'FR', 'DE', 'IS', 'IE', 'IT', 'LI', 'LU', 'NL', 'NO', 'SE'],
    2: ['CY', 'CZ', 'EE', 'GR', 'EL', 'LV', 'MT', 'PT', 'SK', 'SI', 'ES'],
    3: ['BG', 'HR', 'HU', 'LT', 'MK', 'PL', 'RO', 'RS', 'TR'],
  },
};

/**
 * The old grouping under its sector-neutral name: VET/school/adult up to call 2023 per §1.8 [S: FRSE, an
 * Icelandic school] (DE, FR, IT, ES, NL, AT, BE in group 2). Chosen per project (`rates.countryGrouping: 'old'`).
 */
export const OLD_GROUPING: CountryGrouping = { ...OLD_HE_STUDENT_GROUPING, name: 'old grouping' };
