import { activityRule, staffActivitiesOf, type ActivityCode } from '../activity';
import type { GrantRates } from '../grant/input';
import type { PolicyOverrides } from '../calendar/policy';
import { groupingChosen, groupOf, rateTableFor } from '../grant/rates';
import { mulDiv } from '../money';
import type { FunderLine } from '../budget/events';
import type { FunderRule, MobilityCoFunding } from '../funding';
import type { ProjectRates } from '../mobility/grant';
import { applicableRatesFor, groupingChoiceOf, type ProjectTerms } from './agreement';

/**
 * A project as its beneficiary registered it: who owns it (an institution, or a consortium through
 * its coordinating institution), its funder lines and its terms (call year, action, NA rates).
 * Every mobility of the project is checked against it, and its grant is computed from its terms:
 * no rate ever comes from a request.
 */
export interface Registration {
  readonly projectId: string;
  readonly institutionId: string;
  readonly consortiumId: string | null;
  /** Each line with its rule (null: none; absent: a registration read before co-funding, the default rule applies). */
  readonly lines: readonly (FunderLine & { readonly rule?: FunderRule | null })[];
  readonly terms: ProjectTerms;
}

export interface Problem {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

const RULE = {
  id: 'PROJECT-ID',
  window: 'PROJECT-WINDOW',
  line: 'PROJECT-LINE',
  coFunding: 'PROJECT-CO-FUNDING',
  action: 'PROJECT-ACTION',
} as const;

/**
 * The Erasmus+ project number names its call year, its NA (country and number) and its action:
 * 2024-1-FR01-KA131-HED-000123. A registration must agree with it.
 */
export const projectIdProblems = (projectId: string, terms: Pick<ProjectTerms, 'callYear' | 'action' | 'country'>): Problem[] => {
  const m = /^(\d{4})-\d-([A-Z]{2})\d{2}-(KA\d{3})-/.exec(projectId);
  if (!m) return [{ field: 'projectId', rule: RULE.id, message: 'not an Erasmus+ project number (e.g. 2024-1-FR01-KA131-HED-000123)' }];
  const out: Problem[] = [];
  if (Number(m[1]) !== terms.callYear) out.push({ field: 'terms.callYear', rule: RULE.id, message: `the project number is of call ${m[1]}, not ${terms.callYear}` });
  if (m[2] !== terms.country) out.push({ field: 'terms.country', rule: RULE.id, message: `the project number is of the ${m[2]} National Agency, not ${terms.country}` });
  if (m[3] !== terms.action) out.push({ field: 'terms.action', rule: RULE.id, message: `the project number is of action ${m[3]}, not ${terms.action}` });
  return out;
};

/**
 * The co-funding of an application: its own line pays the Erasmus+ grant (rule erasmus-plus), and each line it names
 * in `coFundingLineIds` is another line of the project with a flat rule, named once. Returns the problems, field by
 * field, or the mobility's co-funding with each line's rule as the workflow computes the shares from it (null: none).
 */
export const coFundingOf = (
  project: Pick<Registration, 'projectId' | 'lines'>,
  app: { funderLineId: string; coFundingLineIds?: readonly string[] | undefined },
): { problems: Problem[]; coFunding: MobilityCoFunding | null } => {
  const ids = app.coFundingLineIds ?? [];
  if (ids.length === 0) return { problems: [], coFunding: null };
  const problems: Problem[] = [];
  const own = project.lines.find((l) => l.lineId === app.funderLineId);
  const ruleOf = (l: (typeof project.lines)[number]) => (l.rule !== undefined ? l.rule : l.funder === 'ERASMUS+' ? { kind: 'erasmus-plus' as const } : null);
  if (own && ruleOf(own)?.kind !== 'erasmus-plus') {
    problems.push({ field: 'funderLineId', rule: RULE.coFunding, message: `a co-funded mobility's own line pays the Erasmus+ grant: line ${own.lineId} (${own.funder}) has no erasmus-plus rule` });
  }
  const lines: MobilityCoFunding['lines'][number][] = [];
  ids.forEach((id, i) => {
    const field = `coFundingLineIds.${i}`;
    const line = project.lines.find((l) => l.lineId === id);
    const rule = line ? ruleOf(line) : null;
    if (!line) problems.push({ field, rule: RULE.line, message: `project ${project.projectId} has no funder line ${id} (lines: ${project.lines.map((l) => l.lineId).join(', ')})` });
    else if (id === app.funderLineId) problems.push({ field, rule: RULE.coFunding, message: `line ${id} is the mobility's own line (funderLineId): a co-funding line is another line` });
    else if (ids.indexOf(id) !== i) problems.push({ field, rule: RULE.coFunding, message: `line ${id} is named twice` });
    else if (rule === null || rule.kind !== 'flat') problems.push({ field, rule: RULE.coFunding, message: `line ${id} (${line.funder}) has ${rule === null ? 'no rule' : 'the erasmus-plus rule'}: a co-funding line needs a flat rule (per month abroad or per mobility), set at the project's registration` });
    else lines.push({ lineId: line.lineId, funder: line.funder, rule });
  });
  if (problems.length > 0 || !own) return { problems, coFunding: null };
  return { problems: [], coFunding: { erasmusPlusFunder: own.funder, lines } };
};

/**
 * Plausibility window of a project's mobilities: from 1 January of its call year to 31 December
 * three years later (the longest KA1 projects run 38 months from June of the call year).
 */
export const callWindow = (callYear: number): { from: string; to: string } => ({ from: `${callYear}-01-01`, to: `${callYear + 3}-12-31` });

/** Higher education belongs to KA131; vocational, school and adult education to the accredited KA121 or short-term KA122. */
const actionAllows = (action: ProjectTerms['action'], activity: ActivityCode): boolean => (activityRule(activity).sector === 'HE') === (action === 'KA131');

/**
 * The line a mobility (or a group) is funded from: a line of the project, and not a line with a flat rule. A flat
 * line only co-funds a share beside the Erasmus+ grant (coFundingLineIds); charged as the own line it would be
 * asked for the whole Erasmus+ grant.
 */
export const ownLineProblems = (project: Pick<Registration, 'projectId' | 'lines'>, funderLineId: string): Problem[] => {
  const line = project.lines.find((l) => l.lineId === funderLineId);
  if (!line) return [{ field: 'funderLineId', rule: RULE.line, message: `project ${project.projectId} has no funder line ${funderLineId} (lines: ${project.lines.map((l) => l.lineId).join(', ')})` }];
  if (line.rule?.kind === 'flat') return [{ field: 'funderLineId', rule: RULE.coFunding, message: `line ${funderLineId} (${line.funder}) has a flat rule: it co-funds a share (name it in coFundingLineIds), it does not pay the Erasmus+ grant` }];
  return [];
};

/** What a registered project refuses of an application: an unknown funder line, an activity of another action, dates outside the project. */
export const applicationProblems = (
  project: Registration,
  app: { activity: ActivityCode; funderLineId: string; coFundingLineIds?: readonly string[] | undefined; plan: { startDate: string; endDate: string } },
): Problem[] => {
  const out: Problem[] = [...ownLineProblems(project, app.funderLineId)];
  out.push(...coFundingOf(project, app).problems);
  if (!actionAllows(project.terms.action, app.activity)) {
    out.push({ field: 'activity', rule: RULE.action, message: `${app.activity} is not an activity of a ${project.terms.action} project` });
  }
  const w = callWindow(project.terms.callYear);
  for (const k of ['startDate', 'endDate'] as const) {
    const d = app.plan[k];
    if (d < w.from || d > w.to) out.push({ field: `plan.${k}`, rule: RULE.window, message: `${d} is outside the period of a call ${project.terms.callYear} project (${w.from} – ${w.to})` });
  }
  return out;
};

/**
 * The rates a mobility's grant is computed with: the project's call year, its NA's rate for the activity and
 * destination, and the project's NA-specific rules (§1.8), each only when the project sets it (absent, the call
 * year's table applies). An accompanying person (§1.8) is paid at the NA's staff rate of the learners' sector.
 */
export const projectRatesFor = (terms: ProjectTerms, activity: ActivityCode, receivingCountry: string, options: { accompanyingPerson?: boolean } = {}): ProjectRates => {
  const rates = naRatesFor(terms, activity, receivingCountry, options.accompanyingPerson ?? false);
  return { callYear: terms.callYear, ...(rates ? { rates } : {}), ...(terms.heStudentTravelSupport !== undefined ? { travelGrant: terms.heStudentTravelSupport } : {}) };
};

/**
 * The GrantInput.rates of one mobility under the project's terms. Widened `ProjectRates.rates`
 * (domain/mobility/grant.ts) must accept `GrantRates` for the NA rules to reach a workflow's grant.
 */
export const naRatesFor = (terms: ProjectTerms, activity: ActivityCode, receivingCountry: string, accompanyingPerson = false): GrantRates | undefined => {
  const sector = activityRule(activity).sector;
  // §1.8: staff and accompanying persons share one NA rate (FRSE prints them on one row): the sector's first staff activity with a rate.
  const rateActivity = accompanyingPerson ? (staffActivitiesOf(sector).find((c) => applicableRatesFor(terms, c, receivingCountry) !== undefined) ?? activity) : activity;
  const applicable = accompanyingPerson && rateActivity === activity ? undefined : applicableRatesFor(terms, rateActivity, receivingCountry);
  const na = terms.naRules;
  const out: GrantRates = { ...applicable };
  // HE students' days 15–30 have their own figure (§1.3: 56 €), not a percentage: no rounding rule applies to them.
  const heStudent = sector === 'HE' && activityRule(activity).participant === 'learner' && !accompanyingPerson;
  if (out.dailyFrom15Eur === undefined && na?.rateFrom15 !== undefined && na.rateFrom15 !== 'exact' && !heStudent) {
    const daily = out.dailyEur !== undefined ? Math.round(out.dailyEur * 100) : tableDaily(terms, activity, receivingCountry, accompanyingPerson);
    if (daily !== null) {
      const percent = rateTableFor(terms.callYear).staff.laterDaysPercent;
      // Whole euros of percent × daily (cents): half-up (FRSE 56 → 39, 104 → 73) or down (148 → 103).
      out.dailyFrom15Eur = na.rateFrom15 === 'whole-euro-half-up' ? mulDiv(daily, percent, 10_000) : Math.floor((daily * percent) / 10_000);
    }
  }
  const grouping = groupingChoiceOf(terms, activity);
  if (grouping !== undefined) out.countryGrouping = grouping;
  if (na?.travelBandsEur !== undefined) out.travelBandsEur = na.travelBandsEur;
  if (na?.nationalTopUps !== undefined && na.nationalTopUps.length > 0) out.nationalTopUps = na.nationalTopUps;
  return Object.keys(out).length > 0 ? out : undefined;
};

/** The call table's daily rate (cents) of a staff member, accompanying person or VET/school/adult learner; null for HE students or a partner country. */
const tableDaily = (terms: ProjectTerms, activity: ActivityCode, receivingCountry: string, accompanyingPerson: boolean): number | null => {
  const rule = activityRule(activity);
  const table = rateTableFor(terms.callYear);
  const g = groupOf(groupingChosen(table, activity, groupingChoiceOf(terms, activity)).grouping, receivingCountry);
  if (g === null) return null;
  if (rule.participant === 'staff' || accompanyingPerson) return rule.sector === 'HE' ? table.staff.heDailyByGroup[g] : table.staff.vetSchoolAdultDailyByGroup[g];
  return rule.sector === 'HE' ? null : table.learners.dailyByGroup[g];
};

/** The fields in which a second registration of the same project differs from the first (empty: the same content). */
export const registrationDifferences = (a: Omit<Registration, 'terms'> & { terms?: ProjectTerms }, b: Omit<Registration, 'terms'> & { terms?: ProjectTerms }): string[] => {
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (a.institutionId !== b.institutionId) out.push('institutionId');
  if (a.consortiumId !== b.consortiumId) out.push('consortiumId');
  const lines = (r: typeof a) => [...r.lines].sort((x, y) => x.lineId.localeCompare(y.lineId));
  if (!same(lines(a), lines(b))) out.push('lines');
  for (const k of new Set([...Object.keys(a.terms ?? {}), ...Object.keys(b.terms ?? {})])) {
    if (!same((a.terms as Record<string, unknown> | undefined)?.[k], (b.terms as Record<string, unknown> | undefined)?.[k])) out.push(`terms.${k}`);
  }
  return out;
};

/** The deadline policy a mobility of the project runs under: the project's overrides and its pre-financing rate. */
export const mobilityPolicyFor = (terms: { prefinancingPercent: number; deadlinePolicy?: PolicyOverrides | undefined }): PolicyOverrides =>
  ({ ...(terms.deadlinePolicy ?? {}), prefinancingPercent: terms.prefinancingPercent });
