import { z } from 'zod';
import { ActivityCode, activityRule } from '../activity';
import { CountryCode, IsoDate } from '../ids';

/** A euro amount with at most two decimals (converted to cents at the edge). */
const Euros = (what: string) =>
  z
    .number()
    .nonnegative()
    .max(10_000_000)
    .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, { message: `${what}: at most two decimals (euro cents)` });

const PositiveEuros = (what: string) => Euros(what).refine((v) => v > 0, `${what} must be positive`);

/** A national top-up the beneficiary defines for its project (§1.8: its name, amount and condition entered by the beneficiary). */
export const NationalTopUp = z.strictObject({
  name: z.string().min(1).max(120),
  amountEur: PositiveEuros('amountEur'),
  per: z.enum(['month', 'mobility']).describe('per month (× paid days ÷ 30) or once per mobility'),
  condition: z.enum(['all', 'fewer-opportunities']).describe('who receives it'),
});
export type NationalTopUp = z.infer<typeof NationalTopUp>;

/** The NA's amount for a distance band, keyed by the band's lower bound in km ("4000" for 4,000–7,999 km). */
const BandAmounts = z.record(z.string().regex(/^\d{1,5}$/, 'a band is named by its lower bound in km, e.g. "4000"'), PositiveEuros('band amount'));

/**
 * The rates and NA-specific rules of the project for this mobility (what the project's terms give it):
 * the NA's base rate, and every per-project rule, each with the call year's table as its default.
 */
export const GrantRates = z.strictObject({
  monthlyEur: PositiveEuros('rates.monthlyEur').optional(),
  dailyEur: PositiveEuros('rates.dailyEur').optional(),
  dailyFrom15Eur: PositiveEuros('rates.dailyFrom15Eur').optional().describe("the NA's published rate from day 15, replacing 70 % of dailyEur (§1.8)"),
  countryGrouping: z.enum(['old', 'new']).optional().describe("the country grouping the NA uses for this project's sector (§1.1, §1.8); default: the call year's table"),
  travelBandsEur: z
    .strictObject({ standard: BandAmounts.optional(), green: BandAmounts.optional() })
    .optional()
    .describe('band amounts the NA prints differently from the call table, e.g. { "standard": { "4000": 1180 } } (§1.8)'),
  nationalTopUps: z.array(NationalTopUp).max(5).optional().describe('national top-ups defined by the beneficiary (§1.8)'),
});
export type GrantRates = z.infer<typeof GrantRates>;

/** Staff courses: the activities with a course-fee line (§1.4, §1.8 "staff courses, all sectors"). */
export const COURSE_ACTIVITIES: readonly string[] = ['VET-STAFF-CO', 'SCH-STAFF-CO', 'ADU-STAFF-CO', 'HE-STT'];

/**
 * One mobility's grant input (the CLI's JSON). Strict: an unknown key is an error naming it.
 * Dates are the physical activity, both days included, travel excluded; or durationDays if the
 * physical duration is already counted. See domain/grant/README.md for every field.
 */
export const GrantInput = z
  .strictObject({
    callYear: z.int().min(2021).max(2100).describe('call year of the grant agreement'),
    activity: ActivityCode,
    longTerm: z.boolean().optional().describe('HE students: derived from the duration when absent'),
    blended: z.boolean().optional(),
    doctoral: z.boolean().optional(),
    sendingCountry: CountryCode,
    receivingCountry: CountryCode,
    startDate: IsoDate.optional(),
    endDate: IsoDate.optional(),
    durationDays: z.int().positive().max(1000).optional().describe('physical duration already counted'),
    travelDays: z.int().nonnegative().max(10).optional().describe('funded travel days; rule default when absent'),
    interruptedDays: z.int().nonnegative().optional(),
    zeroGrantDays: z.int().nonnegative().optional().describe('days inside the period that are not funded'),
    distanceKm: z.number().nonnegative().max(40_100).optional().describe('one-way, EC distance calculator'),
    travelGrant: z.boolean().optional().describe('travel support; default per rule and call'),
    greenTravel: z.boolean().optional(),
    fewerOpportunities: z.boolean().optional(),
    recentGraduate: z.boolean().optional(),
    rates: GrantRates.optional().describe("the NA's applicable base rate for this mobility's country group, before top-ups, and the project's NA-specific rules"),
    inclusionSupportEur: Euros('inclusionSupportEur').optional().describe('inclusion support for the participant, real costs'),
    exceptionalTravelCostEur: Euros('exceptionalTravelCostEur').optional().describe('real cost of an expensive return trip'),
    forceMajeure: z.boolean().optional().describe('lifts the minimum-duration check'),
    zeroGrant: z.boolean().optional().describe('zero-grant mobility: recorded, counted for organisational support, paid nothing'),
    accompanyingPerson: z.boolean().optional().describe('an accompanying person of the learner activity given in activity, paid at the staff rate (§1.8)'),
    courseDays: z.int().nonnegative().max(365).optional().describe('course days of a staff course: adds the course-fee line (§1.8)'),
    virtualComponent: z
      .strictObject({ startDate: IsoDate, endDate: IsoDate })
      .optional()
      .describe('hybrid mobility: the virtual component, outside the physical dates; not funded by individual support'),
  })
  .superRefine((v, ctx) => {
    const hasDates = v.startDate !== undefined || v.endDate !== undefined;
    if (hasDates && v.durationDays !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['durationDays'], message: 'give either startDate and endDate, or durationDays, not both' });
    } else if (hasDates) {
      if (v.startDate === undefined) ctx.addIssue({ code: 'custom', path: ['startDate'], message: 'startDate is required with endDate' });
      if (v.endDate === undefined) ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'endDate is required with startDate' });
      if (v.startDate !== undefined && v.endDate !== undefined && v.endDate < v.startDate) {
        ctx.addIssue({ code: 'custom', path: ['endDate'], message: `endDate ${v.endDate} is before startDate ${v.startDate}` });
      }
    } else if (v.durationDays === undefined) {
      ctx.addIssue({ code: 'custom', path: ['durationDays'], message: 'give startDate and endDate, or durationDays' });
    }
    if (v.sendingCountry === v.receivingCountry) {
      ctx.addIssue({ code: 'custom', path: ['receivingCountry'], message: 'receivingCountry must differ from sendingCountry (mobility abroad)' });
    }
    if (v.recentGraduate && v.activity !== 'HE-SMP') {
      ctx.addIssue({ code: 'custom', path: ['recentGraduate'], message: 'recentGraduate applies to traineeships (HE-SMP) only' });
    }
    if (v.accompanyingPerson) {
      const rule = activityRule(v.activity);
      if (rule.participant !== 'learner' || rule.sector === 'HE' || rule.funding !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['accompanyingPerson'], message: `an accompanying person accompanies a VET, school or adult learner activity, not ${v.activity} (§1.8)` });
      }
      if (v.fewerOpportunities) {
        ctx.addIssue({ code: 'custom', path: ['fewerOpportunities'], message: 'an accompanying person cannot also be flagged as a fewer-opportunities participant (§1.8)' });
      }
    }
    if (v.courseDays !== undefined && !COURSE_ACTIVITIES.includes(v.activity)) {
      ctx.addIssue({ code: 'custom', path: ['courseDays'], message: `course fees apply to staff courses (${COURSE_ACTIVITIES.join(', ')}), not ${v.activity} (§1.8)` });
    }
    if (v.virtualComponent !== undefined && v.virtualComponent.endDate < v.virtualComponent.startDate) {
      ctx.addIssue({ code: 'custom', path: ['virtualComponent', 'endDate'], message: `endDate ${v.virtualComponent.endDate} is before startDate ${v.virtualComponent.startDate}` });
    }
  });
export type GrantInput = z.infer<typeof GrantInput>;

/** Readable one-line-per-issue text naming each field, e.g. "distanceKm: Too small: expected number to be >=0". */
export const describeIssues = (error: z.ZodError): string =>
  error.issues
    .flatMap((i) => {
      const path = i.path.map(String).join('.');
      const prefix = path ? `${path}.` : '';
      if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${prefix}${k}: unknown field`);
      return [`${path || '(input)'}: ${i.message}`];
    })
    .join('\n');
