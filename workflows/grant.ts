import type { GrantBreakdown } from '../domain/grant/breakdown';
import { computeMobilityGrant } from '../domain/grant/compute';
import type { GrantInput } from '../domain/grant/input';
import type { Common } from '../domain/mobility/state';
import type { ProjectRates } from './messages';

/**
 * The grant of a mobility from its facts and the project's applicable rates, through the pure
 * domain calculator (safe inside workflow code: no clock, no I/O). Estimated at selection and
 * on an approved extension from the planned dates; final at the certificate of attendance from
 * the actual dates, less interruptions. A rate-table correction that would change a past result
 * goes behind patched() like any other behaviour change.
 */
export function grantFor(s: Common, rates: ProjectRates, dates: { startDate: string; endDate: string }): GrantBreakdown {
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
    forceMajeure: s.forceMajeure ? true : undefined,
  };
  return computeMobilityGrant(input);
}
