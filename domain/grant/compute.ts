import { ACTIVITIES, type ActivityRule, type DurationLimit } from '../activity';
import { eur, formatEur, mulDiv, percentOf, type Cents } from '../money';
import type { ExplainedLine, GrantBreakdown, LineParams } from './breakdown';
import { line, makeBreakdown } from './breakdown-build';
import { actualDays, bmDays } from '../dates';
import { DurationOutOfLimits, GrantRuleError } from './errors';
import { GrantInput } from './input';
import { groupingChosen, groupOf, rateTableFor, travelBandFor, type CountryGrouping, type Group, type RateOverrides, type RateTable } from './rates';
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
  /** An accompanying person of a learner activity, paid at the staff rate (§1.8). */
  readonly accompanying: boolean;
  /** Invited expert, hosted teacher, preparatory visit: their own rules (domain/activity.ts). */
  readonly funding: ActivityRule['funding'];
  /** Hybrid: virtual days outside the physical dates (not counted) and inside them (deducted). */
  readonly virtual: { readonly outside: number; readonly inside: number } | null;
}

/**
 * The grant of one mobility, as traceable lines in exact cents (rounding: half-up on each line's
 * cents, domain/money.ts mulDiv). Throws ZodError on a malformed input and GrantRuleError when a
 * rule is broken (each names the field).
 */
export const computeMobilityGrant = (raw: GrantInput, options: GrantOptions = {}): GrantBreakdown => {
  const e = explainMobilityGrant(raw, options);
  return makeBreakdown(e.callYear, e.days, e.lines);
};

/**
 * The same grant with each line's parameters (the values its basis is made of: breakdown.ts `LineParams`), for a
 * reader that words the basis in its own language. computeMobilityGrant is this without the parameters.
 */
export const explainMobilityGrant = (raw: GrantInput, options: GrantOptions = {}): { callYear: number; days: number; lines: ExplainedLine[] } => {
  const input = GrantInput.parse(raw);
  const table = options.table ?? rateTableFor(input.callYear, options.overrides);
  const facts = establishFacts(input, table);
  if (input.zeroGrant) {
    return { callYear: input.callYear, days: 0, lines: [
      line('GRANT-ZERO-GRANT' satisfies RuleId, 'Zero-grant mobility', 0, `zero-grant mobility: counted for organisational support, no individual or travel support (${facts.call})`, { callYear: input.callYear }),
    ] };
  }
  const lines: ExplainedLine[] = [...individualSupport(facts), ...courseFees(facts), ...travelSupport(facts), ...nationalTopUps(facts), ...inclusionSupport(facts)];
  // A hybrid mobility's virtual component is shown with its 0 € (it is part of the mobility, not funded).
  return { callYear: input.callYear, days: facts.paidDays, lines: [...lines.filter((l) => l.amountCents > 0), ...virtualComponent(facts)] };
};

/** The days a line counts: physical, less virtual (inside the dates), interrupted and zero-grant days, plus funded travel days. */
const dayParams = (f: Facts): LineParams => ({
  callYear: f.input.callYear, physicalDays: f.physicalDays, virtualDays: f.virtual?.inside ?? 0, interruptedDays: f.input.interruptedDays ?? 0,
  zeroGrantDays: f.input.zeroGrantDays ?? 0, travelDays: f.travelDays, paidDays: f.paidDays,
});
/** Where a rate comes from: the NA's applicable rate or the call table's, for a country of a group (null: partner country). */
const sourceParams = (na: boolean, grouping: CountryGrouping, g: Group | null, country: string, byProject: boolean): LineParams => ({
  rateSource: na ? 'na' : 'table', country, group: g === null ? 'partner' : String(g), grouping: grouping.name, groupingByProject: byProject ? 1 : 0,
});

// ————————————————————————————————————————— facts and checks

const establishFacts = (input: GrantInput, table: RateTable): Facts => {
  const rule: ActivityRule = ACTIVITIES[input.activity];
  const accompanying = input.accompanyingPerson ?? false;
  // §1.8: an accompanying person is paid as staff (staff rate, 100 % / 70 % after day 14), plus travel by band.
  const kind: Kind = accompanying ? 'staff' : kindOf(rule);
  const call = `call ${input.callYear}`;
  const longTerm = resolveLongTerm(input, rule);
  const activityLimit = (longTerm ? rule.limits.longTerm : rule.limits.shortTerm)!;
  // [U] an accompanying person may stay for part of the learners' activity: its maximum, a minimum of 1 day.
  const limit: DurationLimit = accompanying ? { ...activityLimit, minDays: 1, source: `${activityLimit.source}; accompanying person: at least 1 day [U]` } : activityLimit;
  const monthly = kind === 'he-student' && longTerm;

  const physicalDays = input.durationDays ?? (monthly ? bmDays(input.startDate!, input.endDate!) : actualDays(input.startDate!, input.endDate!));
  const virtual = virtualDays(input);
  const interrupted = input.interruptedDays ?? 0;
  if (interrupted + (virtual?.inside ?? 0) > physicalDays) throw new GrantRuleError('interruptedDays', `${interrupted} interrupted days exceed the ${physicalDays - (virtual?.inside ?? 0)} days of the mobility`);
  const netDays = physicalDays - interrupted - (virtual?.inside ?? 0);
  checkLimits(input, limit, netDays);

  const blended = input.blended || input.virtualComponent !== undefined;
  if (kind === 'he-student' && !longTerm && input.activity !== 'HE-BIP' && !blended && !input.doctoral) {
    throw new GrantRuleError('blended', 'short-term student mobility must be blended (blended: true) or doctoral (doctoral: true)', rule.limits.shortTerm?.ruleId ?? null);
  }
  const zeroGrantDays = input.zeroGrantDays ?? 0;
  if (zeroGrantDays > netDays) throw new GrantRuleError('zeroGrantDays', `${zeroGrantDays} zero-grant days exceed the ${netDays} days of the mobility`);

  if (input.courseDays !== undefined && input.courseDays > netDays) {
    throw new GrantRuleError('courseDays', `${input.courseDays} course days exceed the ${netDays} days of the activity (course days only, travel days excluded, §1.8)`, 'GRANT-COURSE-FEES');
  }

  const green = input.greenTravel ?? false;
  const prepVisit = rule.funding === 'preparatory-visit';
  if (prepVisit && (input.travelGrant === true || (input.travelDays ?? 0) > 0)) {
    throw new GrantRuleError(input.travelGrant === true ? 'travelGrant' : 'travelDays', 'the unit cost of a preparatory visit includes travel (no travel support, no funded travel days)', 'GRANT-PREP-VISIT');
  }
  const travelSupported = !prepVisit && (input.travelGrant ?? (kind !== 'he-student' || table.travel.heStudents === 'all' || (input.fewerOpportunities ?? false)));
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
  if (virtual !== null && virtual.inside > 0) parts.push(`− ${virtual.inside} virtual`);
  if (interrupted > 0) parts.push(`− ${interrupted} interrupted`);
  if (zeroGrantDays > 0) parts.push(`− ${zeroGrantDays} zero-grant`);
  if (travelDays > 0) parts.push(`+ ${travelDays} travel`);
  return {
    input, table, call, kind, longTerm, physicalDays, netDays, travelDays, travelSupported, green,
    paidDays: netDays - zeroGrantDays + travelDays,
    daysText: `${parts.join(' ')} days`,
    accompanying,
    funding: rule.funding,
    virtual,
  };
};

/**
 * Hybrid (§1.6, §1.7 [U]): the dates are the physical part. Virtual days outside them are neither counted
 * nor paid; virtual days inside them (only known with dates) are deducted like an interruption.
 */
const virtualDays = (input: GrantInput): { outside: number; inside: number } | null => {
  const v = input.virtualComponent;
  if (v === undefined) return null;
  const all = actualDays(v.startDate, v.endDate);
  if (input.startDate === undefined || input.endDate === undefined) return { outside: all, inside: 0 };
  const from = v.startDate > input.startDate ? v.startDate : input.startDate;
  const to = v.endDate < input.endDate ? v.endDate : input.endDate;
  const inside = from <= to ? actualDays(from, to) : 0;
  return { outside: all - inside, inside };
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

const individualSupport = (f: Facts): ExplainedLine[] => {
  if (f.funding === 'preparatory-visit') return preparatoryVisit(f);
  if (f.kind === 'he-student') return f.longTerm ? heLongTerm(f) : heShortTerm(f);
  return dailyTiers(f);
};

const groupText = (grouping: CountryGrouping, g: Group | null, country: string, byProject = false) =>
  (g === null ? `${country}: partner country` : `${country}: group ${g}, ${grouping.name}`) + (byProject ? " (the project's NA grouping)" : '');

/** The rate from day 15: the NA's published figure when the project gives one (§1.8), else the exact percentage. */
const laterDays = (f: Facts, daily: Cents, percent: number, days: number): { cents: Cents; text: string; params: LineParams } => {
  const published = f.input.rates?.dailyFrom15Eur;
  if (published === undefined) return { cents: mulDiv(daily, percent * days, 100), text: `${formatEur(daily)}/day × ${percent} % × ${days} days (${f.call})`, params: { rateCents: daily, percent, days, callYear: f.input.callYear } };
  const rate = eur(published);
  if (rate > daily) throw new GrantRuleError('rates.dailyFrom15Eur', `${formatEur(rate)} from day 15 is above the ${formatEur(daily)}/day of days 1–14`);
  return {
    cents: rate * days, text: `${formatEur(rate)}/day × ${days} days (${f.call}; the NA's published rate from day 15, exact ${percent} % of ${formatEur(daily)} = ${formatEur(mulDiv(daily, percent, 100))}, §1.8)`,
    params: { variant: 'published', rateCents: rate, days, callYear: f.input.callYear, percent, dailyCents: daily, exactCents: mulDiv(daily, percent, 100) },
  };
};

/** Preparatory visit (KA121/KA122): one unit cost per participant, travel and stay included [U]. */
const preparatoryVisit = (f: Facts): ExplainedLine[] => {
  const c = f.table.preparatoryVisitPerParticipant;
  return [line('GRANT-PREP-VISIT' satisfies RuleId, 'Preparatory visit', c,
    `${formatEur(c)} per participant, travel and stay included (${f.call}, ${f.daysText}) [U: not in the reference, PG 2021 as remembered; override preparatoryVisitPerParticipant per project]`,
    { rateCents: c, ...dayParams(f) })];
};

/** Course fees of a staff course (§1.4, §1.8): per course day, travel days excluded, capped per course. */
const courseFees = (f: Facts): ExplainedLine[] => {
  const days = f.input.courseDays;
  if (days === undefined) return [];
  const { perDayCents, capCents } = f.table.courseFees;
  const full = perDayCents * days;
  const basis = full > capCents
    ? `${formatEur(perDayCents)} × ${days} course days = ${formatEur(full)}, capped at ${formatEur(capCents)} per course (${f.call}, §1.8 course fees)`
    : `${formatEur(perDayCents)} × ${days} course days, at most ${formatEur(capCents)} per course (${f.call}, §1.8 course fees; travel days excluded)`;
  return [line('GRANT-COURSE-FEES' satisfies RuleId, 'Course fees', Math.min(full, capCents), basis,
    { ...(full > capCents ? { variant: 'capped' } : {}), perDayCents, courseDays: days, fullCents: full, capCents, callYear: f.input.callYear })];
};

const heLongTerm = (f: Facts): ExplainedLine[] => {
  const { input, table, call, paidDays, daysText } = f;
  // Only the applicable rate is read when both are given (the contract's "monthlyEur and/or dailyEur").
  if (input.rates?.dailyEur !== undefined && input.rates.monthlyEur === undefined) throw new GrantRuleError('rates.dailyEur', 'long-term HE student support is monthly: give rates.monthlyEur');
  const { grouping, byProject } = groupingChosen(table, input.activity, input.rates?.countryGrouping);
  const to = groupOf(grouping, input.receivingCountry);
  let monthly: Cents;
  let source: string;
  if (input.rates?.monthlyEur !== undefined) {
    monthly = eur(input.rates.monthlyEur);
    const problem = monthlyRangeProblem(table, groupOf(grouping, input.sendingCountry), to, monthly);
    if (problem) throw new GrantRuleError('rates.monthlyEur', problem);
    source = `NA applicable rate, ${groupText(grouping, to, input.receivingCountry, byProject)}`;
  } else {
    monthly = to === null ? table.heLongTerm.partnerCountryMonthly : table.heLongTerm.monthlyByGroup[to];
    source = `table default, ${groupText(grouping, to, input.receivingCountry, byProject)}`;
  }
  const perMonth = (rate: Cents) => `${formatEur(rate)}/month × ${paidDays} days ÷ 30 (${call}, BM 30-day months: ${daysText})`;
  const src = sourceParams(input.rates?.monthlyEur !== undefined, grouping, to, input.receivingCountry, byProject);
  const lines = [line('GRANT-HE-LT' satisfies RuleId, 'Individual support (long-term)', mulDiv(monthly, paidDays, 30), `${perMonth(monthly)}; ${source}`, { rateCents: monthly, ...dayParams(f), ...src })];
  const fewer = input.fewerOpportunities ?? false;
  if (fewer) {
    const r = table.heLongTerm.fewerOpportunitiesTopUpMonthly;
    lines.push(line('GRANT-HE-LT-FEWER-OPP' satisfies RuleId, 'Top-up for fewer opportunities', mulDiv(r, paidDays, 30), perMonth(r), { rateCents: r, ...dayParams(f) }));
  }
  if (input.activity === 'HE-SMP' && (!fewer || table.heLongTerm.traineeshipAndFewerOpportunitiesCumulative)) {
    const r = table.heLongTerm.traineeshipTopUpMonthly;
    const who = input.recentGraduate ? 'recent-graduate traineeship' : 'traineeship';
    lines.push(line('GRANT-HE-LT-TRAINEESHIP' satisfies RuleId, `Top-up for ${who}`, mulDiv(r, paidDays, 30), perMonth(r),
      { ...(input.recentGraduate ? { variant: 'recent-graduate' } : {}), rateCents: r, ...dayParams(f) }));
  }
  return lines;
};

const heShortTerm = (f: Facts): ExplainedLine[] => {
  const { input, table, call, paidDays, daysText } = f;
  if (input.rates?.monthlyEur !== undefined && input.rates.dailyEur === undefined) throw new GrantRuleError('rates.monthlyEur', 'short-term student support is daily: give rates.dailyEur');
  const st = table.heShortTerm;
  const first = input.rates?.dailyEur !== undefined ? eur(input.rates.dailyEur) : st.firstDaysDaily;
  const d1 = Math.min(paidDays, st.fullRateDays);
  const d2 = paidDays - d1;
  const published = input.rates?.dailyFrom15Eur;
  if (published !== undefined && eur(published) > first) throw new GrantRuleError('rates.dailyFrom15Eur', `${formatEur(eur(published))} from day 15 is above the ${formatEur(first)}/day of days 1–14`);
  const later = published !== undefined ? eur(published) : st.laterDaysDaily;
  const lines = [
    line('GRANT-HE-ST-DAYS-1-14' satisfies RuleId, `Individual support (short-term), days 1–${st.fullRateDays}`, first * d1,
      `${formatEur(first)}/day × ${d1} days (${call}, actual days: ${daysText})`, { rateCents: first, days: d1, fullRateDays: st.fullRateDays, ...dayParams(f) }),
    line('GRANT-HE-ST-DAYS-15+' satisfies RuleId, `Individual support (short-term), days ${st.fullRateDays + 1}+`, later * d2,
      published !== undefined
        ? `${formatEur(later)}/day × ${d2} days (${call}; the NA's published rate from day 15, table ${formatEur(st.laterDaysDaily)}, §1.8)`
        : `${formatEur(st.laterDaysDaily)}/day × ${d2} days (${call})`,
      { ...(published !== undefined ? { variant: 'published', tableCents: st.laterDaysDaily } : {}), rateCents: published !== undefined ? later : st.laterDaysDaily, days: d2, fullRateDays: st.fullRateDays, callYear: input.callYear }),
  ];
  if (input.fewerOpportunities) {
    const tiers = st.fewerOpportunitiesTopUp;
    const tier = tiers.find((t) => f.netDays <= t.upToDays) ?? tiers[tiers.length - 1]!;
    lines.push(line('GRANT-HE-ST-FEWER-OPP' satisfies RuleId, 'Top-up for fewer opportunities (short-term)', tier.cents,
      `${formatEur(tier.cents)} once per mobility for a ${f.netDays}-day physical mobility (tier up to ${tier.upToDays} days, ${call})`,
      { amountCents: tier.cents, days: f.netDays, upToDays: tier.upToDays, callYear: input.callYear }));
  }
  return lines;
};

/** Staff (all sectors) and VET/school/adult learners: daily rate, full for the first days, reduced after. */
const dailyTiers = (f: Facts): ExplainedLine[] => {
  const { input, table, call, paidDays, daysText, kind } = f;
  if (input.rates?.monthlyEur !== undefined && input.rates.dailyEur === undefined) throw new GrantRuleError('rates.monthlyEur', `${input.activity} is paid per day: give rates.dailyEur`);
  const isHe = input.activity.startsWith('HE-');
  const { grouping, byProject } = groupingChosen(table, input.activity, input.rates?.countryGrouping);
  const g = groupOf(grouping, input.receivingCountry);
  const tiers = kind === 'staff' ? table.staff : table.learners;
  let daily: Cents;
  let source: string;
  if (input.rates?.dailyEur !== undefined) {
    daily = eur(input.rates.dailyEur);
    const problem = kind === 'learner' ? learnerDailyRangeProblem(table, g, daily) : null;
    if (problem) throw new GrantRuleError('rates.dailyEur', problem);
    source = `NA applicable rate, ${groupText(grouping, g, input.receivingCountry, byProject)}`;
  } else {
    if (g === null) throw new GrantRuleError('rates.dailyEur', `no table rate for partner country ${input.receivingCountry}: give the NA's applicable daily rate`);
    daily = kind === 'staff' ? (isHe ? table.staff.heDailyByGroup[g] : table.staff.vetSchoolAdultDailyByGroup[g]) : table.learners.dailyByGroup[g];
    source = `table default, ${groupText(grouping, g, input.receivingCountry, byProject)}`;
  }
  const d1 = Math.min(paidDays, tiers.fullRateDays);
  const d2 = paidDays - d1;
  const later = laterDays(f, daily, tiers.laterDaysPercent, d2);
  const src = sourceParams(input.rates?.dailyEur !== undefined, grouping, g, input.receivingCountry, byProject);
  const tier = { fullRateDays: tiers.fullRateDays };
  if (f.accompanying) {
    // §1.8: an accompanying person is paid at the staff rate of the sector, with the staff split after day 14.
    const of = `accompanying person of ${input.activity}, staff rate (§1.8)`;
    return [
      line('GRANT-ACCOMP-DAYS-1-14' satisfies RuleId, `Individual support, accompanying person, days 1–${tiers.fullRateDays}`, daily * d1,
        `${formatEur(daily)}/day × ${d1} days at 100 % (${call}, actual days: ${daysText}); ${of}; ${source}`, { rateCents: daily, days: d1, activity: input.activity, ...tier, ...dayParams(f), ...src }),
      line('GRANT-ACCOMP-DAYS-15+' satisfies RuleId, `Individual support, accompanying person, days ${tiers.fullRateDays + 1}+`, later.cents, `${later.text}; ${of}`, { ...later.params, activity: input.activity, ...tier }),
    ];
  }
  const who = kind === 'staff' ? 'STAFF' : 'LEARNER';
  const hosted = f.funding === 'invited-expert' || f.funding === 'hosted' ? `; ${f.funding === 'hosted' ? 'hosted teacher or educator in training' : 'invited expert'}, at the staff rate of the beneficiary's country [U]` : '';
  return [
    line(`GRANT-${who}-DAYS-1-14` satisfies RuleId, `Individual support, days 1–${tiers.fullRateDays}`, daily * d1,
      `${formatEur(daily)}/day × ${d1} days at 100 % (${call}, actual days: ${daysText}); ${source}${hosted}`,
      { ...(f.funding === 'invited-expert' || f.funding === 'hosted' ? { variant: f.funding } : {}), rateCents: daily, days: d1, ...tier, ...dayParams(f), ...src }),
    line(`GRANT-${who}-DAYS-15+` satisfies RuleId, `Individual support, days ${tiers.fullRateDays + 1}+`, later.cents, later.text, { ...later.params, ...tier }),
  ];
};

// ————————————————————————————————————————— travel and inclusion

const travelSupport = (f: Facts): ExplainedLine[] => {
  const { input, table, call } = f;
  const greenTopUp = greenTopUpFor(f.kind, f.travelSupported, f.green, table);
  if (greenTopUp) {
    return [line('GRANT-GREEN-TOPUP' satisfies RuleId, 'Green travel top-up (one-off)', greenTopUp.cents,
      `${formatEur(greenTopUp.cents)} once, green travel without travel support, with up to ${greenTopUp.extraDays} extra days of individual support (${call}, pre-2024 HE student rule)`,
      { amountCents: greenTopUp.cents, extraDays: greenTopUp.extraDays, callYear: input.callYear })];
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
  const bands = f.green ? table.travel.green : table.travel.standard;
  checkBandOverrides(f);
  const tableBand = travelBandFor(bands, input.distanceKm);
  if (tableBand === null) return [];
  const printed = input.rates?.travelBandsEur?.[f.green ? 'green' : 'standard']?.[String(tableBand.minKm)];
  const band = printed === undefined ? tableBand : { ...tableBand, cents: eur(printed) };
  const bandText = band.maxKm === null ? `≥ ${thousands(band.minKm)} km` : `${thousands(band.minKm)}–${thousands(band.maxKm)} km`;
  const na = printed === undefined ? '' : `; the NA's printed amount, the call table has ${formatEur(tableBand.cents)} (§1.8)`;
  const unit = `${formatEur(band.cents)} return trip, ${f.green ? 'green' : 'standard'} band ${bandText} for ${input.distanceKm} km one-way (${call}${na})`;
  const bandParams: LineParams = {
    bandCents: band.cents, minKm: band.minKm, maxKm: band.maxKm ?? '', distanceKm: input.distanceKm, callYear: input.callYear,
    ...(printed !== undefined ? { tableCents: tableBand.cents } : {}),
  };
  const ex = table.travel.exceptional;
  if (realCost !== null && band.cents * 100 < realCost * ex.coverageBelowPercent) {
    return [line('GRANT-TRAVEL-EXCEPTIONAL' satisfies RuleId, 'Exceptional costs for expensive travel', percentOf(realCost, ex.reimbursedPercent),
      `${ex.reimbursedPercent} % × ${formatEur(realCost)} real cost, instead of the unit cost ${unit} covering < ${ex.coverageBelowPercent} %`,
      { ...bandParams, percent: ex.reimbursedPercent, realCostCents: realCost, coveragePercent: ex.coverageBelowPercent, green: f.green ? 1 : 0 })];
  }
  const note = realCost !== null ? `; exceptional costs not applicable: the unit cost covers ≥ ${ex.coverageBelowPercent} % of ${formatEur(realCost)}` : '';
  return [line(f.green ? 'GRANT-TRAVEL-GREEN' : 'GRANT-TRAVEL-STD', f.green ? 'Travel support (green travel)' : 'Travel support', band.cents, unit + note,
    { ...bandParams, ...(realCost !== null ? { realCostCents: realCost, coveragePercent: ex.coverageBelowPercent } : {}) })];
};

/** A band amount the NA prints differently must name a band of the call table by its lower bound. */
const checkBandOverrides = (f: Facts): void => {
  for (const kind of ['standard', 'green'] as const) {
    for (const key of Object.keys(f.input.rates?.travelBandsEur?.[kind] ?? {})) {
      if (!f.table.travel[kind].some((b) => String(b.minKm) === key)) {
        throw new GrantRuleError(`rates.travelBandsEur.${kind}.${key}`, `no ${kind} band of ${f.call} starts at ${key} km (bands start at ${f.table.travel[kind].map((b) => b.minKm).join(', ')} km)`);
      }
    }
  }
};

/** National top-ups the beneficiary defines for its project (§1.8): per month (× paid days ÷ 30) or once per mobility. */
const nationalTopUps = (f: Facts): ExplainedLine[] =>
  (f.input.rates?.nationalTopUps ?? [])
    .filter((t) => t.condition === 'all' || (f.input.fewerOpportunities ?? false))
    .map((t) => {
      const c = eur(t.amountEur);
      const who = t.condition === 'all' ? 'every participant' : 'participants with fewer opportunities';
      return t.per === 'month'
        ? line('GRANT-NATIONAL-TOPUP' satisfies RuleId, `National top-up: ${t.name}`, mulDiv(c, f.paidDays, 30),
            `${formatEur(c)}/month × ${f.paidDays} days ÷ 30 (${f.call}; project rule set by the beneficiary for ${who}, §1.8)`,
            { variant: 'month', name: t.name, rateCents: c, paidDays: f.paidDays, callYear: f.input.callYear, who: t.condition === 'all' ? 'all' : 'fewer' })
        : line('GRANT-NATIONAL-TOPUP' satisfies RuleId, `National top-up: ${t.name}`, c,
            `${formatEur(c)} once per mobility (${f.call}; project rule set by the beneficiary for ${who}, §1.8)`,
            { variant: 'mobility', name: t.name, rateCents: c, callYear: f.input.callYear, who: t.condition === 'all' ? 'all' : 'fewer' });
    });

/** Hybrid: the virtual component, shown with 0 € (virtual days are not funded by individual or travel support). */
const virtualComponent = (f: Facts): ExplainedLine[] => {
  const v = f.input.virtualComponent;
  if (v === undefined || f.virtual === null) return [];
  const inside = f.virtual.inside > 0 ? `; ${f.virtual.inside} of them inside the physical dates, deducted from the days paid` : '';
  return [line('GRANT-VIRTUAL-COMPONENT' satisfies RuleId, 'Virtual component (hybrid, not funded)', 0,
    `${f.virtual.outside + f.virtual.inside} virtual days ${v.startDate} – ${v.endDate}, not funded by individual or travel support${inside} (${f.call}, §1.6, §1.7 [U])`,
    { days: f.virtual.outside + f.virtual.inside, from: v.startDate, to: v.endDate, insideDays: f.virtual.inside, callYear: f.input.callYear })];
};

/** 1999 → "1,999" (no locale data: the basis text is the same everywhere). */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const inclusionSupport = (f: Facts): ExplainedLine[] =>
  f.input.inclusionSupportEur === undefined
    ? []
    : [line('GRANT-INCLUSION-REAL-COSTS' satisfies RuleId, 'Inclusion support for participants (real costs)', eur(f.input.inclusionSupportEur),
        `real costs declared: ${formatEur(eur(f.input.inclusionSupportEur))} (${f.call})`, { amountCents: eur(f.input.inclusionSupportEur), callYear: f.input.callYear })];
