import { CALL_2023 } from './call2023';
import { NEW_GROUPING } from './groups';
import { withOverrides } from './merge';
import type { RateTable } from './types';

/** Call 2024: green travel bands, travel for intra-European HE students, 79/56 short-term, 125 € inclusion. */
export const CALL_2024: RateTable = withOverrides(CALL_2023, {
  fromCallYear: 2024,
  label: 'call 2024',
  grouping: {
    // §1.3 [S S2]: VU lists 2024+ staff rates on the new grouping (NL 120/110/100).
    heStaff: NEW_GROUPING,
  },
  travel: {
    // §1.2 2024+ [S S2 rows 1–4, S3 all rows]; 4,000–7,999 km = 1,188 € (≈8 institutions; S3's 1,180 stands alone).
    standard: [
      { minKm: 10, maxKm: 99, cents: 2800 },
      { minKm: 100, maxKm: 499, cents: 21100 },
      { minKm: 500, maxKm: 1999, cents: 30900 },
      { minKm: 2000, maxKm: 2999, cents: 39500 },
      { minKm: 3000, maxKm: 3999, cents: 58000 },
      { minKm: 4000, maxKm: 7999, cents: 118800 },
      { minKm: 8000, maxKm: null, cents: 173500 },
    ],
    green: [
      { minKm: 10, maxKm: 99, cents: 5600 },
      { minKm: 100, maxKm: 499, cents: 28500 },
      { minKm: 500, maxKm: 1999, cents: 41700 },
      { minKm: 2000, maxKm: 2999, cents: 53500 },
      { minKm: 3000, maxKm: 3999, cents: 78500 },
      { minKm: 4000, maxKm: 7999, cents: 118800 },
      { minKm: 8000, maxKm: null, cents: 173500 },
    ],
    fundedDays: { standard: 2, green: 6 }, // §1.2 [V S4, S2]
    // §1.2 [V S13]: intra-European HE students get travel support "in most countries"; the NA decides:
    // default on, a project whose NA does not pay it passes travelGrant: false.
    heStudents: 'all',
    greenTopUpWithoutTravelGrant: null, // §1.7: the 50 € + 4 days green top-up is the pre-2024 rule
  },
  heLongTerm: {
    euRanges: null, // §1.3: call 2024+ EU ranges not found [U]
  },
  heShortTerm: {
    firstDaysDaily: 7900, // §1.3 [V S7]
    laterDaysDaily: 5600,
  },
  staff: {
    // [U] NAs set the rate; defaults = NL example on the new grouping [S S2]. TR pays 171/153 [S S15]:
    // set the NA's applicable rates on the project.
    heDailyByGroup: { 1: 12000, 2: 11000, 3: 10000 },
  },
  inclusionSupportPerOrganisationParticipant: 12500, // §1.5 [V S6] 125 € from 2024
  projectDefaultVetSchoolAdultGrouping: 'new', // §1.8 [S: the Icelandic NA]: the new grouping from call 2024
});
