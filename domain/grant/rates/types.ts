import type { Cents } from '../../money';

/**
 * One call year's rate table. Every amount is in euro cents. Logic never holds a figure:
 * it reads one of these tables (see ./index.ts for the versioning by call year and the per-project
 * overrides). Each figure carries its reference tag in a comment where it is defined.
 */
export type Group = 1 | 2 | 3;
export const GROUPS: readonly Group[] = [1, 2, 3];

export interface CountryGrouping {
  /** Short name printed in a grant line basis, e.g. "old HE student grouping". */
  readonly name: string;
  readonly groups: Readonly<Record<Group, readonly string[]>>;
}

/** Return-trip amount for a one-way distance band [minKm, maxKm]; maxKm null = no upper bound. */
export interface TravelBand {
  readonly minKm: number;
  readonly maxKm: number | null;
  readonly cents: Cents;
}

export interface EuRange {
  readonly minCents: Cents;
  readonly maxCents: Cents;
}

/** "Higher / medium / lower" EU range, chosen by the flow: to a dearer, similar or cheaper group. */
export type Flow = 'higher' | 'medium' | 'lower';

export interface DailyTiers {
  /** Days 1..fullRateDays are paid at the full daily rate. */
  readonly fullRateDays: number;
  /** Later days are paid at this percentage of the daily rate. */
  readonly laterDaysPercent: number;
}

export interface RateTable {
  /** First call year this table applies to (it applies until the next table's year). */
  readonly fromCallYear: number;
  /** What the table is, and what it is based on. */
  readonly label: string;

  readonly grouping: {
    readonly heStudents: CountryGrouping;
    readonly heStaff: CountryGrouping;
    /** VET, school and adult education learners and staff. */
    readonly vetSchoolAdult: CountryGrouping;
  };

  readonly travel: {
    readonly standard: readonly TravelBand[];
    readonly green: readonly TravelBand[];
    /** Maximum (and default) funded travel days, standard and green travel. */
    readonly fundedDays: { readonly standard: number; readonly green: number };
    /** Whether HE students (long- and short-term, BIP) get travel support by default. */
    readonly heStudents: 'all' | 'fewer-opportunities-only';
    /** Pre-2024 green top-up for HE students without travel support: one-off amount + extra days. */
    readonly greenTopUpWithoutTravelGrant: { readonly cents: Cents; readonly extraDays: number } | null;
    /** Exceptional costs for expensive travel (§3). */
    readonly exceptional: { readonly coverageBelowPercent: number; readonly reimbursedPercent: number };
  };

  readonly heLongTerm: {
    /** Default monthly rate by receiving group (the NA sets the real one: per-project override). */
    readonly monthlyByGroup: Readonly<Record<Group, Cents>>;
    /** Default monthly rate to partner (non-associated third) countries, Regions 1–12. */
    readonly partnerCountryMonthly: Cents;
    /** EU ranges by flow, when the reference has them. */
    readonly euRanges: Readonly<Record<Flow, EuRange>> | null;
    readonly traineeshipTopUpMonthly: Cents;
    readonly fewerOpportunitiesTopUpMonthly: Cents;
    /** Whether a fewer-opportunities trainee gets both monthly top-ups. */
    readonly traineeshipAndFewerOpportunitiesCumulative: boolean;
  };

  readonly heShortTerm: {
    readonly fullRateDays: number;
    readonly firstDaysDaily: Cents;
    readonly laterDaysDaily: Cents;
    /** Once per mobility, by physical duration: the first tier whose upToDays ≥ duration. */
    readonly fewerOpportunitiesTopUp: readonly { readonly upToDays: number; readonly cents: Cents }[];
  };

  readonly staff: DailyTiers & {
    readonly heDailyByGroup: Readonly<Record<Group, Cents>>;
    readonly vetSchoolAdultDailyByGroup: Readonly<Record<Group, Cents>>;
  };

  readonly learners: DailyTiers & {
    readonly dailyByGroup: Readonly<Record<Group, Cents>>;
    readonly euRanges: Readonly<Record<Group, EuRange>> | null;
  };

  readonly organisational: {
    readonly ka131PerParticipant: Cents;
    readonly ka131Threshold: number;
    readonly ka131AboveThreshold: Cents;
    readonly bipPerParticipant: Cents;
    readonly ka12xPerParticipant: Cents;
  };

  readonly inclusionSupportPerOrganisationParticipant: Cents;

  /** Course fees of staff courses (§1.8): per course day, capped per course. */
  readonly courseFees: { readonly perDayCents: Cents; readonly capCents: Cents };

  /**
   * The country grouping a project's terms give its NEW VET/school/adult mobilities (§1.8: old up to call 2023,
   * new from 2024). `grouping.vetSchoolAdult` stays what mobilities computed without a project choice used.
   */
  readonly projectDefaultVetSchoolAdultGrouping: 'old' | 'new';

  /** Preparatory visits (KA121/KA122): one unit cost per participant, travel and stay included. */
  readonly preparatoryVisitPerParticipant: Cents;
}

/** A per-project override: any part of a table, nested. */
export type RateOverrides = DeepPartial<RateTable>;
type DeepPartial<T> = T extends readonly (infer _U)[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;
