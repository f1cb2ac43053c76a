import type { ExplainedLine, GrantBreakdown, LineParams } from '../../domain/grant/breakdown';
import { explainMobilityGrant } from '../../domain/grant/compute';
import { attendedDates, extendedDates, grantInputFor, plannedDates } from '../../domain/mobility/grant';
import { CERTIFIED_STAGES } from '../../domain/mobility/lifecycle';
import { inStage, type MobilityState, type OpenMobility } from '../../domain/mobility/state';
import { projectRatesFor, type Registration } from '../../domain/project/registration';

/**
 * The parameters of a mobility's stored grant lines, for a reader to word each basis in its language by rule id
 * (the console's catalogues). A stored breakdown (in events and histories) has no parameters: they are those of
 * the line the domain computes again now from the mobility's facts and its project's rates — attached only to a
 * stored line it reproduces exactly (same rule, item, amount and English basis), so they can never describe
 * another computation than the one stored. A line not reproduced (rates changed since, facts recorded after)
 * keeps its English basis and no parameters.
 */
export type LineWithParams = GrantBreakdown['lines'][number] & { params: LineParams | null };

const sameLine = (a: GrantBreakdown['lines'][number], b: ExplainedLine) =>
  a.ruleId === b.ruleId && a.item === b.item && a.amountCents === b.amountCents && a.basis === b.basis;

/** The stored lines, each with the parameters of a recomputed line that is the same line. */
export function withParams(stored: GrantBreakdown, candidates: readonly (readonly ExplainedLine[])[]): GrantBreakdown & { lines: LineWithParams[] } {
  return { ...stored, lines: stored.lines.map((l) => ({ ...l, params: candidates.flat().find((c) => sameLine(l, c))?.params ?? null })) };
}

/** Recomputed lines of a mobility between some dates; none when its facts no longer compute (a rule broken since). */
const explained = (s: OpenMobility, terms: Registration['terms'], dates: { startDate: string; endDate: string }): ExplainedLine[] => {
  const rates = projectRatesFor(terms, s.identity.activity, s.plan.receivingCountry, { accompanyingPerson: s.plan.accompanyingPerson ?? false });
  try {
    return explainMobilityGrant(grantInputFor(s, rates, dates)).lines;
  } catch {
    return [];
  }
};

/**
 * The grant view of a mobility (its workflow's grant query) with parameters on the estimated and final lines:
 * the estimate from the planned or extended dates, the final grant from the attended dates.
 */
export function explainGrantView<G extends { estimated: GrantBreakdown | null; final: GrantBreakdown | null }>(state: MobilityState, grant: G, registration: { terms?: Registration['terms'] } | null): G {
  const terms = registration?.terms;
  if (!terms || state.stage === 'none') return grant;
  const s = state as OpenMobility;
  const estimated = grant.estimated ? withParams(grant.estimated, [explained(s, terms, plannedDates(s)), explained(s, terms, extendedDates(s))]) : null;
  const final = grant.final && inStage(s, CERTIFIED_STAGES) ? withParams(grant.final, [explained(s, terms, attendedDates(s.attendance))]) : grant.final;
  return { ...grant, estimated, final };
}
