/** Erasmus+ KA1 grant calculator: pure, exact in cents, every line traceable to a rule. */
export { GrantBreakdown, GrantLine, type ExplainedLine, type LineParams } from './breakdown';
export { computeMobilityGrant, explainMobilityGrant, type GrantOptions } from './compute';
export { actualDays, addDays, bmDays } from '../dates';
export { DurationOutOfLimits, GrantRuleError } from './errors';
export { COURSE_ACTIVITIES, describeIssues, GrantInput, GrantRates, NationalTopUp } from './input';
export { fundingKeyOf, groupGrant, type GroupGrant, type GroupMemberGrantInput } from './group';
export { incomingGrant } from './incoming';
export { mergeActual, recalculateFromActual, type ActualFacts, type Recalculation } from './recalculate';
export { RULES, type RuleId } from './rule-ids';
export { groupingFor, groupOf, rateTableFor, RATE_TABLES, travelBandFor, withOverrides, type Group, type RateOverrides, type RateTable } from './rates';
export { learnerDailyRangeProblem, monthlyRangeProblem } from './ranges';
