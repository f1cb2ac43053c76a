import { z } from 'zod';
import { ActivityCode, activityRule, Sector } from '../activity';
import { percentOf, type Cents } from '../money';
import { CountryCode, OrgId, ProjectId } from '../ids';
import { eur } from '../money';
import { GrantRates, type GrantInput } from '../grant/input';
import { groupingChosen, groupOf, rateTableFor } from '../grant/rates';
import { learnerDailyRangeProblem, monthlyRangeProblem } from '../grant/ranges';
import { Policy, type PolicyOverrides } from '../calendar/policy';

/**
 * The beneficiary's grant agreement with its National Agency: what the project may spend, on what,
 * at which applicable rates (the BM "Applicable rates" screen, reference §1.7, §8).
 */
export const ProjectAction = z.enum(['KA131', 'KA121', 'KA122']);
export type ProjectAction = z.infer<typeof ProjectAction>;

/** A source of money for the project: the Erasmus+ grant itself, or another funder (e.g. a regional grant). */
export const FunderLine = z.strictObject({
  funderLineId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'funder line id: letters, digits, dots, dashes'),
  funder: z.string().min(1).max(200).describe("'ERASMUS+' or another funder's name"),
  allocatedCents: z.int().nonnegative(),
  allocatedMobilities: z.int().nonnegative(),
});
export type FunderLine = z.infer<typeof FunderLine>;

const Euros = z.number().positive().refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, 'at most two decimals (euro cents)');

/**
 * One applicable rate: monthly (HE long-term students) or daily (everyone else); with daily rates, the
 * NA's published rate from day 15 where it prints one (§1.8, e.g. FRSE 56 → 39).
 */
export const ApplicableRate = z
  .strictObject({ monthlyEur: Euros.optional(), dailyEur: Euros.optional(), dailyFrom15Eur: Euros.optional() })
  .refine((r) => r.monthlyEur !== undefined || r.dailyEur !== undefined, 'give monthlyEur or dailyEur')
  .refine((r) => r.dailyFrom15Eur === undefined || (r.dailyEur !== undefined && r.dailyFrom15Eur <= r.dailyEur), {
    message: 'dailyFrom15Eur needs dailyEur and may not exceed it', path: ['dailyFrom15Eur'],
  });
export type ApplicableRate = z.infer<typeof ApplicableRate>;

/** Receiving-country group ("1", "2", "3") or "partner" for partner countries. */
export const RateGroupKey = z.enum(['1', '2', '3', 'partner']);
export type RateGroupKey = z.infer<typeof RateGroupKey>;

const HE_STUDENT_CODES: readonly string[] = ['HE-SMS', 'HE-SMP', 'HE-BIP'];
const MONTHLY_CODES: readonly string[] = ['HE-SMS', 'HE-SMP'];

/**
 * The NA-specific rules of a project (§1.8), each with the call year's table as its default when absent:
 * how the NA rounds the rate from day 15, the country grouping it uses per sector, the band amounts it prints
 * differently, and the national top-ups the beneficiary defines. They reach every mobility's grant through
 * its rates (`projectRatesFor`), and each shows in the breakdown's basis.
 */
export const NaRules = z.strictObject({
  rateFrom15: z.enum(['exact', 'whole-euro-half-up', 'whole-euro-down']).optional()
    .describe('the rate from day 15: exact 70 % (default), or 70 % rounded to whole euros as the NA prints it (FRSE half-up 56 → 39; floor 148 → 103)'),
  countryGrouping: z.partialRecord(Sector, z.enum(['old', 'new'])).optional().describe('the grouping the NA uses per sector (§1.1, §1.8); default: the call year\'s table'),
  travelBandsEur: GrantRates.shape.travelBandsEur,
  nationalTopUps: GrantRates.shape.nationalTopUps,
});
export type NaRules = z.infer<typeof NaRules>;

/**
 * The country grouping of a project's mobilities of one activity: the project's choice for the sector, else for
 * VET/school/adult the call year's default for projects (§1.8: old up to call 2023, new from 2024); undefined
 * when that is the table's own grouping (nothing to tell the calculator).
 */
export const groupingChoiceOf = (terms: { readonly callYear: number; readonly naRules?: NaRules | undefined }, activity: ActivityCode): 'old' | 'new' | undefined => {
  const sector = activityRule(activity).sector;
  const chosen = terms.naRules?.countryGrouping?.[sector];
  if (chosen !== undefined) return chosen;
  if (sector === 'HE') return undefined;
  const table = rateTableFor(terms.callYear);
  const byDefault = table.projectDefaultVetSchoolAdultGrouping;
  return JSON.stringify(groupingChosen(table, activity, byDefault).grouping.groups) === JSON.stringify(table.grouping.vetSchoolAdult.groups) ? undefined : byDefault;
};

/** What the grant agreement fixes for every mobility of the project (the rate table of its NA, the pre-financing rate). */
/**
 * The project's deadline policy for its mobilities: overrides of the reference defaults of
 * domain/calendar/policy.ts (e.g. a proof required before an action, the reminder lead days), checked
 * by the Policy itself, its errors named under their field. The pre-financing rate is the terms' own.
 */
export const DeadlinePolicy = z.record(z.string(), z.unknown()).superRefine((p, ctx) => {
  const r = Policy.safeParse(p);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: i.path as (string | number)[], message: i.message });
  if ('prefinancingPercent' in p) ctx.addIssue({ code: 'custom', path: ['prefinancingPercent'], message: "the project's pre-financing rate is its terms' prefinancingPercent" });
}).transform((p) => p as PolicyOverrides);

const TERMS = {
  action: ProjectAction,
  callYear: z.int().min(2021).max(2100),
  /** Country of the beneficiary (its NA): the sending side of the EU range flows. */
  country: CountryCode,
  prefinancingPercent: z.int().min(70).max(100).describe('participant pre-financing, 70–100 % (§2 [V S16])'),
  /** Call 2024+: whether the NA pays travel support to HE students (§1.7); passed as GrantInput.travelGrant. */
  heStudentTravelSupport: z.boolean().optional(),
  applicableRates: z.partialRecord(ActivityCode, z.partialRecord(RateGroupKey, ApplicableRate)).default({}),
  naRules: NaRules.optional(),
  deadlinePolicy: DeadlinePolicy.optional().describe('overrides of the deadline policy for the mobilities of the project (domain/calendar/policy.ts), e.g. requiredProofs'),
};
type Terms = { action: ProjectAction; callYear: number; country: string; applicableRates: Partial<Record<string, Partial<Record<RateGroupKey, ApplicableRate>>>>; naRules?: NaRules | undefined };

/**
 * Where the EU has published no range for the call (HE long-term from call 2024, staff; reference §1.3
 * [U]), an NA rate must still be plausible: within the span of every rate the reference cites.
 */
const PLAUSIBLE = { monthlyEur: { min: 100, max: 1_000 }, dailyEur: { min: 10, max: 500 } } as const;
const plausible = (v: number, r: { min: number; max: number }, per: string): string | null =>
  v < r.min || v > r.max ? `${v} €/${per} is outside the plausible ${r.min}–${r.max} €/${per} (no EU range is published for this call; rule RATE-PLAUSIBLE)` : null;

/** The NA's applicable rates must be rates of the project's action and lie within the EU ranges of its call (§1.7). */
const checkRates = (a: Terms, ctx: z.RefinementCtx, at: (string | number)[] = []) => {
  const table = rateTableFor(a.callYear);
  for (const [code, byGroup] of Object.entries(a.applicableRates)) {
    if ((a.action === 'KA131') !== code.startsWith('HE-')) {
      ctx.addIssue({ code: 'custom', path: [...at, 'applicableRates', code], message: `${code} is not an activity of ${a.action}` });
      continue;
    }
    const { grouping } = groupingChosen(table, code, groupingChoiceOf(a, code as ActivityCode));
    for (const [key, rate] of Object.entries(byGroup ?? {})) {
      const path = [...at, 'applicableRates', code, key];
      const to = key === 'partner' ? null : (Number(key) as 1 | 2 | 3);
      if (rate?.monthlyEur !== undefined) {
        if (!MONTHLY_CODES.includes(code)) ctx.addIssue({ code: 'custom', path: [...path, 'monthlyEur'], message: `${code} is paid per day: give dailyEur` });
        else {
          const problem = monthlyRangeProblem(table, groupOf(grouping, a.country), to, eur(rate.monthlyEur)) ?? plausible(rate.monthlyEur, PLAUSIBLE.monthlyEur, 'month');
          if (problem) ctx.addIssue({ code: 'custom', path: [...path, 'monthlyEur'], message: problem });
        }
      }
      if (rate?.dailyEur !== undefined) {
        const learner = !HE_STUDENT_CODES.includes(code) && !code.includes('STAFF');
        const problem = (learner ? learnerDailyRangeProblem(table, to, eur(rate.dailyEur)) : null) ?? plausible(rate.dailyEur, PLAUSIBLE.dailyEur, 'day');
        if (problem) ctx.addIssue({ code: 'custom', path: [...path, 'dailyEur'], message: problem });
      }
    }
  }
};

/** The project's terms as registered with its budget guard: one rate table for all its mobilities. */
export const ProjectTerms = z.strictObject(TERMS).superRefine((t, ctx) => checkRates(t, ctx));
export type ProjectTerms = z.infer<typeof ProjectTerms>;

export const GrantAgreement = z
  .strictObject({
    projectId: ProjectId,
    ...TERMS,
    institutionId: OrgId.describe('sending institution, or the consortium coordinator'),
    consortiumId: OrgId.nullable(),
    funderLines: z.array(FunderLine).min(1),
  })
  .superRefine((a, ctx) => {
    const ids = new Set<string>();
    a.funderLines.forEach((l, i) => {
      if (ids.has(l.funderLineId)) ctx.addIssue({ code: 'custom', path: ['funderLines', i, 'funderLineId'], message: `duplicate funder line id ${l.funderLineId}` });
      ids.add(l.funderLineId);
    });
    if (!a.funderLines.some((l) => l.funder === 'ERASMUS+')) {
      ctx.addIssue({ code: 'custom', path: ['funderLines'], message: "an agreement needs one 'ERASMUS+' funder line" });
    }
    checkRates(a, ctx);
  });
export type GrantAgreement = z.infer<typeof GrantAgreement>;

/**
 * The NA's applicable rate for one mobility, ready for GrantInput.rates; undefined when the
 * agreement sets none for that activity and group (the table default then applies).
 */
export const applicableRatesFor = (
  agreement: Pick<GrantAgreement, 'callYear' | 'applicableRates'> & { readonly naRules?: NaRules | undefined },
  activity: ActivityCode,
  receivingCountry: string,
): GrantInput['rates'] => {
  const g = groupOf(groupingChosen(rateTableFor(agreement.callYear), activity, groupingChoiceOf(agreement, activity)).grouping, receivingCountry);
  const rate = agreement.applicableRates[activity]?.[g === null ? 'partner' : (String(g) as RateGroupKey)];
  return rate ? { ...rate } : undefined;
};

/** The participant pre-financing of a grant under this agreement (percent of the total, half-up to the cent). */
export const prefinancingCents = (agreement: Pick<GrantAgreement, 'prefinancingPercent'>, grantTotalCents: Cents): Cents => percentOf(grantTotalCents, agreement.prefinancingPercent);
