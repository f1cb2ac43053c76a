import type { GrantLine } from '../grant/breakdown';
import { rateTableFor, travelBandFor } from '../grant/rates';
import type { RuleId } from '../grant/rule-ids';

/**
 * The Beneficiary Module's mobility import file (reference §3), one row per mobility: which columns,
 * in which order, with which codes, and how a mobility's facts and grant lines fill them. Pure: the
 * projection (workers/projections/bm.ts) holds the facts, the API joins the registry's personal
 * fields and writes the file (workers/api/exports.ts).
 *
 * Codes: booleans "Yes"/"No"; dates ISO (YYYY-MM-DD); money in euros with two decimals, printed
 * exactly from integer cents (never through a float); the activity type is the engine's activity
 * code, which is the BM's code for HE (HE-SMS, HE-SMP, HE-STA, HE-STT, HE-BIP) [V §3] and the
 * project's own code elsewhere. Header names follow the BM's field names in §3; the exact header
 * spelling of the BM's 2024 data dictionary was not retrieved [U].
 */

/** The money columns of a row; every grant rule id is put in exactly one (a new rule id is a type error here). */
export type MoneyColumn = 'individualSupport' | 'travel' | 'topUpFewerOpportunities' | 'topUpTraineeship' | 'topUpGreenTravel' | 'courseFees' | 'inclusionSupport' | 'exceptionalCosts' | 'nationalTopUp' | 'none';

/**
 * Which BM money column each grant rule's amount is reported in (§3 "Money"). Organisational lines are
 * not per mobility; a national top-up (§1.8, the beneficiary's own rule) has its own column, outside
 * the Erasmus+ ones, and is in the total like every line of the breakdown.
 */
const COLUMN_OF = {
  'GRANT-TRAVEL-STD': 'travel',
  'GRANT-TRAVEL-GREEN': 'travel',
  'GRANT-TRAVEL-EXCEPTIONAL': 'exceptionalCosts',
  'GRANT-GREEN-TOPUP': 'topUpGreenTravel',
  'GRANT-HE-LT': 'individualSupport',
  'GRANT-HE-LT-FEWER-OPP': 'topUpFewerOpportunities',
  'GRANT-HE-LT-TRAINEESHIP': 'topUpTraineeship',
  'GRANT-HE-ST-DAYS-1-14': 'individualSupport',
  'GRANT-HE-ST-DAYS-15+': 'individualSupport',
  'GRANT-HE-ST-FEWER-OPP': 'topUpFewerOpportunities',
  'GRANT-STAFF-DAYS-1-14': 'individualSupport',
  'GRANT-STAFF-DAYS-15+': 'individualSupport',
  'GRANT-LEARNER-DAYS-1-14': 'individualSupport',
  'GRANT-LEARNER-DAYS-15+': 'individualSupport',
  'GRANT-INCLUSION-REAL-COSTS': 'inclusionSupport',
  'GRANT-ZERO-GRANT': 'none',
  'GRANT-BELOW-MINIMUM': 'none',
  'GRANT-ACCOMP-DAYS-1-14': 'individualSupport',
  'GRANT-ACCOMP-DAYS-15+': 'individualSupport',
  'GRANT-COURSE-FEES': 'courseFees',
  'GRANT-NATIONAL-TOPUP': 'nationalTopUp',
  'GRANT-PREP-VISIT': 'individualSupport',
  'GRANT-VIRTUAL-COMPONENT': 'none',
  'GRANT-INCOMING-NONE': 'none',
  'ORG-KA131': 'none',
  'ORG-KA131-ABOVE-100': 'none',
  'ORG-KA131-BIP': 'none',
  'ORG-KA12X': 'none',
  'ORG-INCLUSION': 'none',
  'ORG-GROUP': 'none',
} as const satisfies Record<string, MoneyColumn>;
/** Every rule id of domain/grant has a column: a new rule id without one is a type error here. */
export const BM_MONEY_COLUMN: Record<RuleId, MoneyColumn> & Readonly<Record<string, MoneyColumn>> = COLUMN_OF;

export class UnknownGrantRule extends Error {
  constructor(readonly ruleId: string, readonly mobilityId: string) {
    super(`grant rule ${ruleId} of ${mobilityId} has no Beneficiary Module column (domain/export/bm.ts BM_MONEY_COLUMN)`);
  }
}

export type MoneyCents = Record<Exclude<MoneyColumn, 'none'>, number> & { totalCents: number };

/** The grant's lines summed per BM money column; the total is the breakdown's (every line counted once). */
export function moneyColumns(mobilityId: string, lines: readonly Pick<GrantLine, 'ruleId' | 'amountCents'>[]): MoneyCents {
  const m: MoneyCents = { individualSupport: 0, travel: 0, topUpFewerOpportunities: 0, topUpTraineeship: 0, topUpGreenTravel: 0, courseFees: 0, inclusionSupport: 0, exceptionalCosts: 0, nationalTopUp: 0, totalCents: 0 };
  for (const l of lines) {
    if (!Object.hasOwn(BM_MONEY_COLUMN, l.ruleId)) throw new UnknownGrantRule(l.ruleId, mobilityId);
    const col = BM_MONEY_COLUMN[l.ruleId]!;
    if (col !== 'none') m[col] += l.amountCents;
    m.totalCents += l.amountCents;
  }
  return m;
}

/** Integer cents as euros with two decimals, exactly ("1234.05", "-3.10"). */
export const euros = (cents: number): string => {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.trunc(a / 100)}.${String(a % 100).padStart(2, '0')}`;
};

/** "1234.05" → 123405, exactly (what a reader of the file does). */
export const centsOf = (eur: string): number => {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(eur.trim());
  if (!m) throw new Error(`not an amount in euros: ${eur}`);
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '0').padEnd(2, '0'));
  return m[1] === '-' ? -cents : cents;
};

/** The BM's distance band for a one-way distance, from the call year's table (§1.2): "500-1999 km". */
export function distanceBand(distanceKm: number | null, callYear: number): string {
  if (distanceKm === null) return '';
  const band = travelBandFor(rateTableFor(callYear).travel.standard, distanceKm);
  if (!band) return distanceKm < 10 ? '0-9 km' : '';
  return band.maxKm === null ? `${band.minKm} km and more` : `${band.minKm}-${band.maxKm} km`;
}

/** What the projection holds of one mobility for the BM (no personal data: the participant is a ref). */
export interface BmMobility {
  mobilityId: string;
  projectId: string;
  institutionId: string;
  participantRef: string;
  activity: string;
  longTerm: boolean;
  fewerOpportunities: boolean;
  greenTravel: boolean;
  sendingCountry: string;
  receivingCountry: string;
  hostOrgId: string;
  distanceKm: number | null;
  startDate: string;
  endDate: string;
  /** Days of the physical activity counted the grant's way, interruptions already subtracted (certificate), or planned. */
  physicalDays: number;
  interruptedDays: number;
  forceMajeure: boolean;
  zeroGrant: boolean;
  certified: boolean;
  grant: { phase: 'estimated' | 'final'; callYear: number; days: number; lines: Pick<GrantLine, 'ruleId' | 'amountCents'>[] };
  report: { invited: boolean; reminders: number; submittedOn: string | null };
}

/** The registry's fields the BM asks for (§3 "Participant"); null when the reader may not see them or they were erased. */
export interface BmPerson {
  givenName: string | null;
  familyName: string | null;
  dateOfBirth: string | null;
  gender: string | null;
  nationality: string | null;
  email: string | null;
}

type Cell = string | number;
interface Column { key: string; header: string; value: (m: BmMobility, p: BmPerson | null, money: MoneyCents) => Cell; money?: boolean }

const yn = (b: boolean) => (b ? 'Yes' : 'No');
const BM_GENDER: Record<string, string> = { female: 'Female', male: 'Male', 'non-binary': 'Undefined', undisclosed: 'Undefined' };
const fundedTravelDays = (m: BmMobility) => (m.zeroGrant ? 0 : Math.max(0, m.grant.days - m.physicalDays));
/** §1.6: the BM's duration = days from start to end, less the interrupted duration, plus funded travel days. */
const duration = (m: BmMobility) => m.physicalDays + fundedTravelDays(m);
const reportStatus = (r: BmMobility['report']) => (r.submittedOn ? 'Submitted' : r.reminders > 0 ? 'Automatic reminder sent' : r.invited ? 'Request sent' : 'Not sent');
const money = (key: keyof MoneyCents, header: string): Column => ({ key, header, money: true, value: (_m, _p, c) => euros(c[key]) });

/** Every column of the file, in order (§3: identity, participant, organisations, dates and duration, travel, money, status). */
export const BM_COLUMNS: readonly Column[] = [
  { key: 'dataType', header: 'Data Type', value: () => 'Mobility' },
  { key: 'grantAgreementNo', header: 'Grant Agreement No.', value: (m) => m.projectId },
  { key: 'mobilityId', header: 'Mobility Activity ID', value: (m) => m.mobilityId },
  { key: 'activityType', header: 'Activity Type', value: (m) => m.activity },
  { key: 'longTerm', header: 'Long-term Mobility', value: (m) => yn(m.longTerm) },
  { key: 'participant', header: 'Participant', value: () => 'Yes' },
  { key: 'accompanyingPerson', header: 'Accompanying Person', value: () => 'No' },
  { key: 'forceMajeure', header: 'Force Majeure', value: (m) => yn(m.forceMajeure) },
  // §3 GDPR: the explanation is special-category data, always blank on export.
  { key: 'forceMajeureExplanations', header: 'Force Majeure Explanations', value: () => '' },
  { key: 'participantId', header: 'Participant ID', value: (m) => m.participantRef },
  { key: 'firstName', header: 'First Name', value: (_m, p) => p?.givenName ?? '' },
  { key: 'lastName', header: 'Last Name', value: (_m, p) => p?.familyName ?? '' },
  { key: 'dateOfBirth', header: 'Date of Birth', value: (_m, p) => p?.dateOfBirth ?? '' },
  { key: 'gender', header: 'Gender', value: (_m, p) => (p?.gender ? BM_GENDER[p.gender] ?? '' : '') },
  { key: 'nationality', header: 'Nationality', value: (_m, p) => p?.nationality ?? '' },
  { key: 'email', header: 'Email', value: (_m, p) => p?.email ?? '' },
  // The BM's flag only, never the criterion behind it.
  { key: 'fewerOpportunities', header: 'Participant with Fewer Opportunities', value: (m) => yn(m.fewerOpportunities) },
  { key: 'sendingOrganisation', header: 'Sending Organisation ID', value: (m) => m.institutionId },
  { key: 'sendingCountry', header: 'Sending Country', value: (m) => m.sendingCountry },
  { key: 'receivingOrganisation', header: 'Receiving Organisation ID', value: (m) => m.hostOrgId },
  { key: 'receivingCountry', header: 'Receiving Country', value: (m) => m.receivingCountry },
  // Not recorded by the engine: left for the BM.
  { key: 'receivingCity', header: 'Receiving City', value: () => '' },
  { key: 'startDate', header: 'Start Date', value: (m) => m.startDate },
  { key: 'endDate', header: 'End Date', value: (m) => m.endDate },
  { key: 'interruptedDuration', header: 'Interrupted Duration (days)', value: (m) => m.interruptedDays },
  { key: 'fundedTravelDays', header: 'Funded Travel Days', value: (m) => fundedTravelDays(m) },
  { key: 'duration', header: 'Duration (days)', value: (m) => duration(m) },
  { key: 'distanceBand', header: 'Distance Band', value: (m) => distanceBand(m.distanceKm, m.grant.callYear) },
  { key: 'greenTravel', header: 'Green Travel', value: (m) => yn(m.greenTravel) },
  { key: 'zeroGrant', header: 'Zero Grant', value: (m) => yn(m.zeroGrant) },
  money('individualSupport', 'Individual Support (EUR)'),
  money('travel', 'Travel (EUR)'),
  money('topUpFewerOpportunities', 'Top-up for Fewer Opportunities (EUR)'),
  money('topUpTraineeship', 'Top-up for Traineeship (EUR)'),
  money('topUpGreenTravel', 'Top-up for Green Travel (EUR)'),
  money('courseFees', 'Course Fees (EUR)'),
  money('inclusionSupport', 'Inclusion Support for Participants (EUR)'),
  money('exceptionalCosts', 'Exceptional Costs (EUR)'),
  money('nationalTopUp', 'National Top-up (EUR)'),
  money('totalCents', 'Total Mobility Grant (EUR)'),
  { key: 'grantBasis', header: 'Grant Basis', value: (m) => (m.grant.phase === 'final' ? 'Final (certificate of attendance)' : 'Estimated') },
  // §3: Complete once the actual dates are certified; a Draft blocks the final report.
  { key: 'status', header: 'Mobility Status', value: (m) => (m.certified ? 'Complete' : 'Draft') },
  { key: 'reportStatus', header: 'Participant Report Status', value: (m) => reportStatus(m.report) },
  { key: 'reportSubmittedOn', header: 'Participant Report Submitted On', value: (m) => m.report.submittedOn ?? '' },
];

export const BM_HEADERS = BM_COLUMNS.map((c) => c.header);
/** Index of each column by key (for readers and tests). */
export const BM_COLUMN_INDEX: Readonly<Record<string, number>> = Object.fromEntries(BM_COLUMNS.map((c, i) => [c.key, i]));

/** One row of the file, in BM_COLUMNS order. */
export function bmRow(m: BmMobility, person: BmPerson | null): Cell[] {
  const c = moneyColumns(m.mobilityId, m.grant.lines);
  return BM_COLUMNS.map((col) => col.value(m, person, c));
}

/** The rows of a project's file, ordered by mobility id (the same state always gives the same file). */
export const bmRows = (ms: readonly BmMobility[], personOf: (m: BmMobility) => BmPerson | null): Cell[][] =>
  [...ms].sort((a, b) => (a.mobilityId < b.mobilityId ? -1 : a.mobilityId > b.mobilityId ? 1 : 0)).map((m) => bmRow(m, personOf(m)));
