import { CALL_2021 } from './call2021';
import { CALL_2022 } from './call2022';
import { CALL_2023 } from './call2023';
import { CALL_2024 } from './call2024';
import { CALL_2025 } from './call2025';
import { CALL_2026 } from './call2026';
import { NEW_GROUPING, OLD_GROUPING } from './groups';
import { withOverrides } from './merge';
import type { CountryGrouping, Group, RateOverrides, RateTable, TravelBand } from './types';

export type { CountryGrouping, EuRange, Flow, Group, RateOverrides, RateTable, TravelBand } from './types';
export { withOverrides } from './merge';
export { NEW_GROUPING, OLD_GROUPING } from './groups';

/** All tables, oldest first. A table applies from its call year until the next table's. */
export const RATE_TABLES: readonly RateTable[] = [CALL_2021, CALL_2022, CALL_2023, CALL_2024, CALL_2025, CALL_2026];

export const FIRST_CALL_YEAR = CALL_2021.fromCallYear;

/** The table for a grant agreement's call year, with the project's overrides applied. */
export const rateTableFor = (callYear: number, overrides?: RateOverrides): RateTable => {
  if (!Number.isInteger(callYear) || callYear < FIRST_CALL_YEAR) throw new RangeError(`no rate table for call ${callYear}: Erasmus+ 2021–27 tables start with call ${FIRST_CALL_YEAR}`);
  const table = [...RATE_TABLES].reverse().find((t) => t.fromCallYear <= callYear)!;
  return withOverrides({ ...table, label: `call ${callYear}` }, overrides);
};

/** Receiving/sending country group in a grouping, or null for a partner country. */
export const groupOf = (grouping: CountryGrouping, country: string): Group | null => {
  for (const g of [1, 2, 3] as const) if (grouping.groups[g].includes(country)) return g;
  return null;
};

/** The band covering a one-way distance, or null below the first band (under 10 km). */
export const travelBandFor = (bands: readonly TravelBand[], distanceKm: number): TravelBand | null =>
  bands.find((b) => distanceKm >= b.minKm && (b.maxKm === null || distanceKm < b.maxKm + 1)) ?? null;

/** The country grouping a given activity's rates use in this table (§1.1). */
export const groupingFor = (table: RateTable, activity: string): CountryGrouping =>
  ['HE-SMS', 'HE-SMP', 'HE-BIP'].includes(activity) ? table.grouping.heStudents : activity.startsWith('HE-') ? table.grouping.heStaff : table.grouping.vetSchoolAdult;

/** A project's choice of country grouping (§1.8 "country groups follow the call year"; the NA's own table). */
export type GroupingChoice = 'old' | 'new';

/**
 * The grouping a mobility's rates use: the project's choice when it made one, else the call year's table
 * (`groupingFor`). Returns whether the choice came from the project, for the breakdown's basis.
 */
export const groupingChosen = (table: RateTable, activity: string, choice: GroupingChoice | undefined): { grouping: CountryGrouping; byProject: boolean } =>
  choice === undefined ? { grouping: groupingFor(table, activity), byProject: false } : { grouping: choice === 'old' ? OLD_GROUPING : NEW_GROUPING, byProject: true };
