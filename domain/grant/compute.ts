import { ACTIVITIES, type ActivityRule, type DurationLimit } from '../activity';
import { eur, formatEur, mulDiv, percentOf, type Cents } from '../money';
import type { GrantBreakdown, GrantLine } from './breakdown';
import { line, makeBreakdown } from './breakdown-build';
import { actualDays, bmDays } from '../dates';
import { DurationOutOfLimits, GrantRuleError } from './errors';
import { GrantInput } from './input';
import { groupingFor, groupOf, rateTableFor, travelBandFor, type CountryGrouping, type Group, type RateOverrides, type RateTable } from './rates';
import { learnerDailyRangeProblem, monthlyRangeProblem } from './ranges';
import type { RuleId } from './rule-ids';

export interface GrantOptions {
  /** A complete table to use instead of the call year's (e.g. a project's table). */
  readonly table?: RateTable;
  /** Per-project overrides applied on the call year's table (ignored when `table` is given). */
  readonly overrides?: RateOverrides;
}

/** Who the mobility pays, which decides the rules that apply. */
type Kind = 'he-student' | 'staff' | 'learner';

const HE_STUDENT_CODES: readonly string[] = ['HE-SMS', 'HE-SMP', 'HE-BIP'];

const kindOf = (rule: ActivityRule): Kind => (rule.participant === 'staff' ? 'staff' : HE_STUDENT_CODES.includes(rule.code) ? 'he-student' : 'learner');

/** The mobility's counted facts: duration, travel, flags, after every rule check. */
interface Facts {
  readonly input: GrantInput;
  readonly table: RateTable;
  readonly call: string;
  readonly kind: Kind;
  readonly longTerm: boolean;
  readonly physicalDays: number;
  /** Physical days − interrupted days: the duration the limits and short-term tiers look at. */
  readonly netDays: number;
  readonly travelDays: number;
  readonly travelSupported: boolean;
  readonly green: boolean;
  /** Days paid: net − zero-grant days + funded travel days. */
  readonly paidDays: number;
  /** "131 physical + 2 travel days" */
  readonly daysText: string;
}

/**
 * The grant of one mobility, as traceable lines in exact cents (rounding: half-up on each line's
 * cents, domain/money.ts mulDiv). Throws ZodError on a malformed input and GrantRuleError when a
 * rule is broken (each names the field).
 */
export const computeMobilityGrant = (raw: GrantInput, options: GrantOptions = {}): GrantBreakdown => {
  const input = GrantInput.parse(raw);
  const table = options.table ?? rateTableFor(input.callYear, options.overrides);
  const facts = establishFacts(input, table);
  if (input.zeroGrant) {
    return makeBreakdown(input.callYear, 0, [
      line('GRANT-ZERO-GRANT' satisfies RuleId, 'Zero-grant mobility', 0, `zero-grant mobility: counted for organisational support, no individual or travel support (${facts.call})`),
    ]);
  }
  const lines: GrantLine[] = [...individualSupport(facts), ...travelSupport(facts), ...inclusionSupport(facts)];
  return makeBreakdown(input.callYear, facts.paidDays, lines.filter((l) => l.amountCents > 0));
};

// ————————————————————————————————————————— facts and checks

const establishFacts = (input: GrantInput, table: RateTable): Facts => {
  const rule: ActivityRule = ACTIVITIES[input.activity];
  const kind = kindOf(rule);
  const call = `call ${input.callYear}`;
  const longTerm = resolveLongTerm(input, rule);
  const limit = (longTerm ? rule.limits.longTerm : rule.limits.shortTerm)!;
  const monthly = kind === 'he-student' && longTerm;

  const physicalDays = input.durationDays ?? (monthly ? bmDays(input.startDate!, input.endDate!) : actualDays(input.startDate!, input.endDate!));
  const interrupted = input.interruptedDays ?? 0;
  if (interrupted > physicalDays) throw new GrantRuleError('interruptedDays', `${interrupted} interrupted days exceed the ${physicalDays} days of the mobility`);
  const netDays = physicalDays - interrupted;
  checkLimits(input, limit, netDays);

  if (kind === 'he-student' && !longTerm && input.activity !== 'HE-BIP' && !input.blended && !input.doctoral) {
    throw new GrantRuleError('blended', 'short-term student mobility must be blended (blended: true) or doctoral (doctoral: true)', rule.limits.shortTerm?.ruleId ?? null);
  }
  const zeroGrantDays = input.zeroGrantDays ?? 0;
  if (zeroGrantDays > netDays) throw new GrantRuleError('zeroGrantDays', `${zeroGrantDays} zero-grant days exceed the ${netDays} days of the mobility`);

  const green = input.greenTravel ?? false;
  const travelSupported = input.travelGrant ?? (kind !== 'he-student' || table.travel.heStudents === 'all' || (input.fewerOpportunities ?? false));
  const greenTopUp = greenTopUpFor(kind, travelSupported, green, table);
  // §1.2 [V S8]: the pre-2024 green top-up (students without travel support) comes with "up to 4 extra
  // days", not the 6 days of green travel with travel support.
  const maxTravelDays = greenTopUp ? greenTopUp.extraDays : green ? table.travel.fundedDays.green : table.travel.fundedDays.standard;
  const defaultTravelDays = travelSupported ? maxTravelDays : (greenTopUp?.extraDays ?? 0);
  const travelDays = input.travelDays ?? defaultTravelDays;
  if (travelDays > maxTravelDays) {
    const what = greenTopUp ? 'with the green top-up for students without travel support' : `with ${green ? 'green' : 'standard'} travel`;
    throw new GrantRuleError('travelDays', `at most ${maxTravelDays} funded travel days ${what} (${call}, §1.2)`);
  }

  const parts = [`${physicalDays} physical`];
  if (interrupted > 0) parts.push(`− ${interrupted} interrupted`);
  if (zeroGrantDays > 0) parts.push(`− ${zeroGrantDays} zero-grant`);
  if (travelDays > 0) parts.push(`+ ${travelDays} travel`);
  return {
    input, table, call, kind, longTerm, physicalDays, netDays, travelDays, travelSupported, green,
    paidDays: netDays - zeroGrantDays + travelDays,
    daysText: `${parts.join(' ')} days`,
  };
};

const resolveLongTerm = (input: GrantInput, rule: ActivityRule): boolean => {
  const { longTerm: lt, shortTerm: st } = rule.limits;
  if (lt && st) {
    if (input.longTerm !== undefined) return input.longTerm;
    // Derived: longer than the short-term maximum means long-term (§1.6: short 5–30 days, long 2–12 months).
    const days = input.durationDays ?? actualDays(input.startDate!, input.endDate!);
    return days - (input.interruptedDays ?? 0) > st.maxDays;
  }
  if (input.longTerm === true && !lt) throw new GrantRuleError('longTerm', `${rule.code} has no long-term form`);
  if (input.longTerm === false && !st) throw new GrantRuleError('longTerm', `${rule.code} has no short-term form`);
  return lt !== undefined;
};

const checkLimits = (input: GrantInput, limit: DurationLimit, days: number): void => {
  const field = input.durationDays !== undefined ? 'durationDays' : 'endDate';
  const what = `${days} days (physical − interrupted)`;
  if (days > limit.maxDays) {
    throw new DurationOutOfLimits(field, `${what} is above the maximum ${limit.maxDays} days of ${limit.ruleId} (${limit.source})`, limit.ruleId, 'max');
  }
  if (days < limit.minDays && !input.forceMajeure) {
    throw new DurationOutOfLimits(field, `${what} is below the minimum ${limit.minDays} days of ${limit.ruleId} (${limit.source}); lifted only under forceMajeure`, limit.ruleId, 'min');
  }
};

const greenTopUpFor = (kind: Kind, travelSupported: boolean, green: boolean, table: RateTable) =>
  kind === 'he-student' && !travelSupported && green ? table.travel.greenTopUpWithoutTravelGrant : null;

// ————————————————————————————————————————— individual support

const individualSupport = (f: Facts): GrantLine[] => {
  if (f.kind === 'he-student') return f.longTerm ? heLongTerm(f) : heShortTerm(f);
  return dailyTiers(f);
};

const groupText = (grouping: CountryGrouping, g: Group | null, country: string) => (g === null ? `${country}: partner country` : `${country}: group ${g}, ${grouping.name}`);

const heLongTerm = (f: Facts): GrantLine[] => {
  const { input, table, call, paidDays, daysText } = f;
  // Only the applicable rate is read when both are given (the contract's "monthlyEur and/or dailyEur").
  if (input.rates?.dailyEur !== undefined && input.rates.monthlyEur === undefined) throw new GrantRuleError('rates.dailyEur', 'long-term HE student support is monthly: give rates.monthlyEur');
  const grouping = groupingFor(table, input.activity);
  const to = groupOf(grouping, input.receivingCountry);
  let monthly: Cents;
  let source: string;
  if (input.rates?.monthlyEur !== undefined) {
    monthly = eur(input.rates.monthlyEur);
    const problem = monthlyRangeProblem(table, groupOf(grouping, input.sendingCountry), to, monthly);
    if (problem) throw new GrantRuleError('rates.monthlyEur', problem);
    source = `NA applicable rate, ${groupText(grouping, to, input.receivingCountry)}`;
  } else {
    monthly = to === null ? table.heLongTerm.partnerCountryMonthly : table.heLongTerm.monthlyByGroup[to];
    source = `table default, ${groupText(grouping, to, input.receivingCountry)}`;
  }
  const perMonth = (rate: Cents) => `${formatEur(rate)}/month × ${paidDays} days ÷ 30 (${call}, BM 30-day months: ${daysText})`;
  const lines = [line('GRANT-HE-LT' satisfies RuleId, 'Individual support (long-term)', mulDiv(monthly, paidDays, 30), `${perMonth(monthly)}; ${source}`)];
  const fewer = input.fewerOpportunities ?? false;
  if (fewer) {
    const r = table.heLongTerm.fewerOpportunitiesTopUpMonthly;
    lines.push(line('GRANT-HE-LT-FEWER-OPP' satisfies RuleId, 'Top-up for fewer opportunities', mulDiv(r, paidDays, 30), perMonth(r)));
  }
  if (input.activity === 'HE-SMP' && (!fewer || table.heLongTerm.traineeshipAndFewerOpportunitiesCumulative)) {
    const r = table.heLongTerm.traineeshipTopUpMonthly;
    const who = input.recentGraduate ? 'recent-graduate traineeship' : 'traineeship';
    lines.push(line('GRANT-HE-LT-TRAINEESHIP' satisfies RuleId, `Top-up for ${who}`, mulDiv(r, paidDays, 30), perMonth(r)));
  }
  return lines;
};

const heShortTerm = (f: Facts): GrantLine[] => {
  const { input, table, call, paidDays, daysText } = f;
  if (input.rates?.monthlyEur !== undefined && input.rates.dailyEur === undefined) throw new GrantRuleError('rates.monthlyEur', 'short-term student support is daily: give rates.dailyEur');
  const st = table.heShortTerm;
  const first = input.rates?.dailyEur !== undefined ? eur(input.rates.dailyEur) : st.firstDaysDaily;
  const d1 = Math.min(paidDays, st.fullRateDays);
  const d2 = paidDays - d1;
  const lines = [
    line('GRANT-HE-ST-DAYS-1-14' satisfies RuleId, `Individual support (short-term), days 1–${st.fullRateDays}`, first * d1,
      `${formatEur(first)}/day × ${d1} days (${call}, actual days: ${daysText})`),
    line('GRANT-HE-ST-DAYS-15+' satisfies RuleId, `Individual support (short-term), days ${st.fullRateDays + 1}+`, st.laterDaysDaily * d2,
      `${formatEur(st.laterDaysDaily)}/day × ${d2} days (${call})`),
  ];
  if (input.fewerOpportunities) {
    const tiers = st.fewerOpportunitiesTopUp;
    const tier = tiers.find((t) => f.netDays <= t.upToDays) ?? tiers[tiers.length - 1]!;
    lines.push(line('GRANT-HE-ST-FEWER-OPP' satisfies RuleId, 'Top-up for fewer opportunities (short-term)', tier.cents,
      `${formatEur(tier.cents)} once per mobility for a ${f.netDays}-day physical mobility (tier up to ${tier.upToDays} days, ${call})`));
  }
  return lines;
};

/** Staff (all sectors) and VET/school/adult learners: daily rate, full for the first days, reduced after. */
const dailyTiers = (f: Facts): GrantLine[] => {
  const { input, table, call, paidDays, daysText, kind } = f;
  if (input.rates?.monthlyEur !== undefined && input.rates.dailyEur === undefined) throw new GrantRuleError('rates.monthlyEur', `${input.activity} is paid per day: give rates.dailyEur`);
  const isHe = input.activity.startsWith('HE-');
  const grouping = groupingFor(table, input.activity);
  const g = groupOf(grouping, input.receivingCountry);
  const tiers = kind === 'staff' ? table.staff : table.learners;
  let daily: Cents;
  let source: string;
  if (input.rates?.dailyEur !== undefined) {
    daily = eur(input.rates.dailyEur);
    const problem = kind === 'learner' ? learnerDailyRangeProblem(table, g, daily) : null;
    if (problem) throw new GrantRuleError('rates.dailyEur', problem);
    source = `NA applicable rate, ${groupText(grouping, g, input.receivingCountry)}`;
  } else {
    if (g === null) throw new GrantRuleError('rates.dailyEur', `no table rate for partner country ${input.receivingCountry}: give the NA's applicable daily rate`);
    daily = kind === 'staff' ? (isHe ? table.staff.heDailyByGroup[g] : table.staff.vetSchoolAdultDailyByGroup[g]) : table.learners.dailyByGroup[g];
    source = `table default, ${groupText(grouping, g, input.receivingCountry)}`;
  }
  const d1 = Math.min(paidDays, tiers.fullRateDays);
  const d2 = paidDays - d1;
  const who = kind === 'staff' ? 'STAFF' : 'LEARNER';
  return [
    line(`GRANT-${who}-DAYS-1-14` satisfies RuleId, `Individual support, days 1–${tiers.fullRateDays}`, daily * d1,
      `${formatEur(daily)}/day × ${d1} days at 100 % (${call}, actual days: ${daysText}); ${source}`),
    line(`GRANT-${who}-DAYS-15+` satisfies RuleId, `Individual support, days ${tiers.fullRateDays + 1}+`, mulDiv(daily, tiers.laterDaysPercent * d2, 100),
      `${formatEur(daily)}/day × ${tiers.laterDaysPercent} % × ${d2} days (${call})`),
  ];
};

// ————————————————————————————————————————— travel and inclusion

const travelSupport = (f: Facts): GrantLine[] => {
  const { input, table, call } = f;
  const greenTopUp = greenTopUpFor(f.kind, f.travelSupported, f.green, table);
  if (greenTopUp) {
    return [line('GRANT-GREEN-TOPUP' satisfies RuleId, 'Green travel top-up (one-off)', greenTopUp.cents,
      `${formatEur(greenTopUp.cents)} once, green travel without travel support, with up to ${greenTopUp.extraDays} extra days of individual support (${call}, pre-2024 HE student rule)`)];
  }
  const realCost = input.exceptionalTravelCostEur !== undefined ? eur(input.exceptionalTravelCostEur) : null;
  if (!f.travelSupported) {
    if (realCost !== null) throw new GrantRuleError('exceptionalTravelCostEur', 'this mobility has no travel support (travelGrant)');
    return [];
  }
  if (input.distanceKm === undefined) {
    if (realCost !== null) throw new GrantRuleError('distanceKm', 'the distance is needed to compare exceptional travel costs with the unit cost');
    return [];
  }
  const band = travelBandFor(f.green ? table.travel.green : table.travel.standard, input.distanceKm);
  if (band === null) return [];
  const bandText = band.maxKm === null ? `≥ ${thousands(band.minKm)} km` : `${thousands(band.minKm)}–${thousands(band.maxKm)} km`;
  const unit = `${formatEur(band.cents)} return trip, ${f.green ? 'green' : 'standard'} band ${bandText} for ${input.distanceKm} km one-way (${call})`;
  const ex = table.travel.exceptional;
  if (realCost !== null && band.cents * 100 < realCost * ex.coverageBelowPercent) {
    return [line('GRANT-TRAVEL-EXCEPTIONAL' satisfies RuleId, 'Exceptional costs for expensive travel', percentOf(realCost, ex.reimbursedPercent),
      `${ex.reimbursedPercent} % × ${formatEur(realCost)} real cost, instead of the unit cost ${unit} covering < ${ex.coverageBelowPercent} %`)];
  }
  const note = realCost !== null ? `; exceptional costs not applicable: the unit cost covers ≥ ${ex.coverageBelowPercent} % of ${formatEur(realCost)}` : '';
  return [line(f.green ? 'GRANT-TRAVEL-GREEN' : 'GRANT-TRAVEL-STD', f.green ? 'Travel support (green travel)' : 'Travel support', band.cents, unit + note)];
};

/** 1999 → "1,999" (no locale data: the basis text is the same everywhere). */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const inclusionSupport = (f: Facts): GrantLine[] =>
  f.input.inclusionSupportEur === undefined
    ? []
    : [line('GRANT-INCLUSION-REAL-COSTS' satisfies RuleId, 'Inclusion support for participants (real costs)', eur(f.input.inclusionSupportEur),
        `real costs declared: ${formatEur(eur(f.input.inclusionSupportEur))} (${f.call})`)];
