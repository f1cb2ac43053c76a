import { z } from 'zod';
import { ActivityCode } from '../activity';
import { CountryCode, IsoDate } from '../ids';

/** A euro amount with at most two decimals (converted to cents at the edge). */
const Euros = (what: string) =>
  z
    .number()
    .nonnegative()
    .max(10_000_000)
    .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, { message: `${what}: at most two decimals (euro cents)` });

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
    rates: z
      .strictObject({
        monthlyEur: Euros('rates.monthlyEur').refine((v) => v > 0, 'rates.monthlyEur must be positive').optional(),
        dailyEur: Euros('rates.dailyEur').refine((v) => v > 0, 'rates.dailyEur must be positive').optional(),
      })
      .optional()
      .describe("the NA's applicable base rate for this mobility's country group, before top-ups"),
    inclusionSupportEur: Euros('inclusionSupportEur').optional().describe('inclusion support for the participant, real costs'),
    exceptionalTravelCostEur: Euros('exceptionalTravelCostEur').optional().describe('real cost of an expensive return trip'),
    forceMajeure: z.boolean().optional().describe('lifts the minimum-duration check'),
    zeroGrant: z.boolean().optional().describe('zero-grant mobility: recorded, counted for organisational support, paid nothing'),
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
