import { z } from 'zod';
import type { GrantBreakdown } from '../grant/breakdown';
import { computeMobilityGrant } from '../grant/compute';
import { GrantRates, type GrantInput } from '../grant/input';
import { coFundedGrant, coFundingComponents, type FundingShare, fundingSharesOf, type MobilityCoFunding } from '../funding';
import { inStage, type OpenMobility } from './state';

/** The project's applicable rates for the grant calculator (call year + NA rate for this mobility's group). */
export const ProjectRates = z.strictObject({
  callYear: z.int().min(2021).max(2100),
  /** The NA's rates and the project's NA-specific rules for this mobility (domain/project/registration.ts `projectRatesFor`). */
  rates: GrantRates.optional(),
  travelDays: z.int().nonnegative().max(10).optional(),
  /** The NA's travel support switch (HE short-term students, call 2024+). */
  travelGrant: z.boolean().optional(),
});
export type ProjectRates = z.infer<typeof ProjectRates>;

/**
 * The grant of a mobility from its facts and the project's applicable rates, through the pure
 * domain calculator (safe inside workflow code: no clock, no I/O). Estimated at selection and
 * on an approved extension from the planned dates; final at the certificate of attendance from
 * the actual dates, less interruptions. A rate-table correction that would change a past result
 * goes behind patched() like any other behaviour change.
 */
export function grantFor(s: OpenMobility, rates: ProjectRates, dates: { startDate: string; endDate: string }): GrantBreakdown {
  return computeMobilityGrant(grantInputFor(s, rates, dates));
}

/** The grant calculator's input for a mobility's facts between two dates. */
export function grantInputFor(s: OpenMobility, rates: ProjectRates, dates: { startDate: string; endDate: string }): GrantInput {
  const p = s.plan;
  const interrupted = s.interruptions.reduce((n, i) => n + i.days, 0);
  const input: GrantInput = {
    callYear: rates.callYear,
    activity: s.identity.activity,
    longTerm: p.longTerm,
    blended: p.blended || undefined,
    doctoral: p.doctoral || undefined,
    sendingCountry: p.sendingCountry,
    receivingCountry: p.receivingCountry,
    startDate: dates.startDate,
    endDate: dates.endDate,
    interruptedDays: interrupted || undefined,
    distanceKm: p.distanceKm ?? undefined,
    greenTravel: p.greenTravel,
    fewerOpportunities: p.fewerOpportunities,
    recentGraduate: s.identity.activity === 'HE-SMP' ? p.recentGraduate : undefined,
    rates: rates.rates,
    travelDays: rates.travelDays,
    travelGrant: rates.travelGrant,
    forceMajeure: s.forceMajeure ? true : undefined,
    // Group and staff-course facts of the application (ApplicationSubmitted v2; absent before: the grant is unchanged).
    accompanyingPerson: p.accompanyingPerson || undefined,
    courseDays: p.courseDays ?? undefined,
    virtualComponent: p.virtualComponent ?? undefined,
    ...conditionsInput(s.grantConditions),
  };
  return input;
}

/** The staff-recorded switches as grant inputs (euros from cents). */
const conditionsInput = (g: OpenMobility['grantConditions']): Partial<GrantInput> => ({
  ...(g.travelSupport !== null ? { travelGrant: g.travelSupport } : {}),
  ...(g.inclusionSupportCents > 0 ? { inclusionSupportEur: g.inclusionSupportCents / 100 } : {}),
  ...(g.exceptionalTravelCostCents !== null ? { exceptionalTravelCostEur: g.exceptionalTravelCostCents / 100 } : {}),
  ...(g.zeroGrant ? { zeroGrant: true } : {}),
});

/** The grant estimated at selection (or promotion): from the planned dates. */
export const plannedGrant = (s: OpenMobility, rates: ProjectRates): GrantBreakdown => grantFor(s, rates, { startDate: s.plan.startDate, endDate: s.plan.endDate });

/** The grant re-estimated when an extension is approved: from the actual start to the requested end. */
export const extendedGrant = (s: OpenMobility, rates: ProjectRates): GrantBreakdown => {
  const end = s.extension.status === 'requested' ? s.extension.newEndDate : s.plan.endDate;
  return grantFor(s, rates, { startDate: inStage(s, ['departed']) ? s.departure.actualStartDate : s.plan.startDate, endDate: end });
};

/** The final grant at the certificate of attendance: from the attended dates, interruptions deducted. */
export const finalGrant = (s: OpenMobility, rates: ProjectRates, attended: { actualStartDate: string; actualEndDate: string }): GrantBreakdown =>
  grantFor(s, rates, { startDate: attended.actualStartDate, endDate: attended.actualEndDate });

/**
 * The co-funded shares of a mobility between two dates (domain/funding `coFundedGrant`): the Erasmus+ grant on its
 * own line (the same amount as `grantFor`), then each co-funding line's share by its rule. [] when not co-funded.
 */
export const fundingFor = (s: OpenMobility, rates: ProjectRates, dates: { startDate: string; endDate: string }, coFunding: MobilityCoFunding | null | undefined): FundingShare[] =>
  coFunding ? fundingSharesOf(coFundedGrant(grantInputFor(s, rates, dates), coFundingComponents(s.identity.funderLineId, coFunding))) : [];

/** The dates each grant is computed between: planned (selection), extended (approval), attended (certificate). */
export const plannedDates = (s: OpenMobility) => ({ startDate: s.plan.startDate, endDate: s.plan.endDate });
export const extendedDates = (s: OpenMobility) => ({
  startDate: inStage(s, ['departed']) ? s.departure.actualStartDate : s.plan.startDate,
  endDate: s.extension.status === 'requested' ? s.extension.newEndDate : s.plan.endDate,
});
export const attendedDates = (attended: { actualStartDate: string; actualEndDate: string }) => ({ startDate: attended.actualStartDate, endDate: attended.actualEndDate });

/** What each line pays of a grant: the Erasmus+ share on the mobility's own line, the rest per co-funding line. */
export const sharesByLine = (shares: readonly FundingShare[]): { lineId: string; amountCents: number }[] => {
  const out = new Map<string, number>();
  for (const x of shares) out.set(x.lineId, (out.get(x.lineId) ?? 0) + x.amountCents);
  return [...out].map(([lineId, amountCents]) => ({ lineId, amountCents }));
};
