import { NEW_GROUPING, OLD_HE_STAFF_GROUPING, OLD_HE_STUDENT_GROUPING } from './groups';
import type { RateTable } from './types';

/**
 * Call 2021, the first call of Erasmus+ 2021–27. The base every later table is derived from.
 * Tags: [V] confirmed, [S] secondary source, [U] uncertain/chosen; S-numbers are the reference's sources
 * (/work/shared/domain/erasmus-ka1.md). Every figure can be overridden per project (./index.ts).
 */
export const CALL_2021: RateTable = {
  fromCallYear: 2021,
  label: 'call 2021',

  grouping: {
    heStudents: OLD_HE_STUDENT_GROUPING, // §1.1 [V S9]
    heStaff: OLD_HE_STAFF_GROUPING, // §1.3 old-group staff rates ≤ 2023 [V S14]
    vetSchoolAdult: NEW_GROUPING, // §1.1 [S S3, S15] — [U] assumed the same since 2021
  },

  travel: {
    // §1.2 "Standard 2021–23" [S S1, S14]; 10–99 km was 20 € in call 2021.
    standard: [
      { minKm: 10, maxKm: 99, cents: 2000 },
      { minKm: 100, maxKm: 499, cents: 18000 },
      { minKm: 500, maxKm: 1999, cents: 27500 },
      { minKm: 2000, maxKm: 2999, cents: 36000 },
      { minKm: 3000, maxKm: 3999, cents: 53000 },
      { minKm: 4000, maxKm: 7999, cents: 82000 },
      { minKm: 8000, maxKm: null, cents: 150000 },
    ],
    // §1.2 "Green 2021–23" [S S1, S14]; bands without a green amount ("–") pay the standard amount.
    green: [
      { minKm: 10, maxKm: 99, cents: 2000 },
      { minKm: 100, maxKm: 499, cents: 21000 },
      { minKm: 500, maxKm: 1999, cents: 32000 },
      { minKm: 2000, maxKm: 2999, cents: 41000 },
      { minKm: 3000, maxKm: 3999, cents: 61000 },
      { minKm: 4000, maxKm: 7999, cents: 82000 },
      { minKm: 8000, maxKm: null, cents: 150000 },
    ],
    // §1.2 [V S4]: up to 2 travel days standard; green = up to 4 extra days (2 + 4 = 6) [V S8 for the +4].
    fundedDays: { standard: 2, green: 6 },
    // §1.2 [V S8]: before call 2024 HE students got travel support only with fewer opportunities
    // (or from outermost regions: pass travelGrant: true explicitly).
    heStudents: 'fewer-opportunities-only',
    // §1.2 [V S8]: green travel without travel support = one-off 50 € + up to 4 extra days.
    greenTopUpWithoutTravelGrant: { cents: 5000, extraDays: 4 },
    // §3 [V S22]: exceptional costs up to 80 % of the real cost when the unit cost covers < 70 % of it.
    exceptional: { coverageBelowPercent: 70, reimbursedPercent: 80 },
  },

  heLongTerm: {
    // [U] defaults = DE call 2024 rates (600/540/490 [V S9]), which equal the 2022–23 range maxima [S S12].
    // No call-2021 figure was found: the NA's applicable rates must be set on the project.
    monthlyByGroup: { 1: 60000, 2: 54000, 3: 49000 },
    partnerCountryMonthly: 70000, // [V S9] DE, third countries (Regions 1–12) — [U] for 2021
    euRanges: null, // [U] call-2021 EU ranges not found: no range check
    traineeshipTopUpMonthly: 15000, // §1.3 [S S12, S23]
    fewerOpportunitiesTopUpMonthly: 25000, // §1.3 [V S8, S9]
    // [U] chosen: a trainee with fewer opportunities receives both top-ups (2021–27 guide wording as remembered).
    traineeshipAndFewerOpportunitiesCumulative: true,
  },

  heShortTerm: {
    fullRateDays: 14,
    // §1.3 [V S8] 70 € days 1–14, 50 € days 15–30 for 2022–23; [U] assumed the same for call 2021.
    firstDaysDaily: 7000,
    laterDaysDaily: 5000,
    // §1.3 [V S7] (call 2024); [U] assumed unchanged since 2021. Once per mobility.
    fewerOpportunitiesTopUp: [
      { upToDays: 14, cents: 10000 },
      { upToDays: 30, cents: 15000 },
    ],
  },

  staff: {
    fullRateDays: 14, // §1.3 [V S14]: days 1–14 at 100 %,
    laterDaysPercent: 70, // days 15–60 at 70 %
    heDailyByGroup: { 1: 18000, 2: 16000, 3: 14000 }, // §1.3 old groups ≤ 2023 [V S14]
    // [U] VET/school/adult staff EU ranges not retrieved (§1.4): NL new-group example 120/110/100 [S S2].
    vetSchoolAdultDailyByGroup: { 1: 12000, 2: 11000, 3: 10000 },
  },

  learners: {
    // [U] §1.4 "reduced after day 14 (70 %) for long learner stays": same two tiers as staff.
    fullRateDays: 14,
    laterDaysPercent: 70,
    // [U] midpoints of the S3 ranges G1 48–85, G2 41–74, G3 36–64 €/day (PG 2026 / PAD Anhang 3).
    dailyByGroup: { 1: 6650, 2: 5750, 3: 5000 },
    euRanges: null, // ranges only known for PG 2026 (see call2026.ts)
  },

  organisational: {
    // §1.5 [V S5] (PG 2024 p.67): 400 € per participant up to the 100th, 230 € above; BIP 400 €.
    // [U] assumed unchanged since 2021.
    ka131PerParticipant: 40000,
    ka131Threshold: 100,
    ka131AboveThreshold: 23000,
    bipPerParticipant: 40000,
    // [U] KA121/KA122 organisational support not retrieved (§1.5): 100 € per participant (PG 2021 as remembered).
    ka12xPerParticipant: 10000,
  },

  // §1.5 [V S6; S iky.gr]: 100 € per participant before 2024.
  inclusionSupportPerOrganisationParticipant: 10000,

  // §1.4, §1.8 [S: four course providers agree]: 80 € per course day, at most 800 € per course, from call 2021
  // (70 €/day capped at 700 € was the 2014–20 rule: no table here is older than call 2021).
  courseFees: { perDayCents: 8000, capCents: 80000 },

  // §1.8 [S: FRSE, an Icelandic school; switch year inferred]: VET/school/adult on the old grouping up to call 2023.
  // Given to new mobilities through the project's terms (domain/project); `grouping.vetSchoolAdult` above keeps the
  // new grouping for grants computed without it (recorded workflow histories), [U] as before.
  projectDefaultVetSchoolAdultGrouping: 'old',

  // [U] not in the reference: 575 € per participant (travel and stay included), PG 2021 as remembered.
  // Override per project (preparatoryVisitPerParticipant).
  preparatoryVisitPerParticipant: 57500,
};
