import type { z } from 'zod';
import { callWindow, type Registration } from '../../domain/project/registration';

/**
 * Validation issues as stable codes and parameters, next to the English message API clients read: the
 * console renders `issue.<code>` (or, for a refusal of the domain's decider, `refusal.<code>`) of its
 * catalogues with the parameters, in the user's language. A parameter named `…Cents` is an amount the
 * console formats as euros; every other parameter is shown as sent (ids, codes, dates, numbers).
 */
export type IssueParams = Record<string, string | number>;
export interface IssueCode { code: string; params: IssueParams }

/** Every code this module and the import's checks send (test/console/i18n.test.ts: each has French and English text). */
export const ISSUE_CODES = [
  // from a zod issue
  'required', 'invalid', 'invalid-date', 'invalid-email', 'invalid-format', 'invalid-option', 'not-a-number', 'not-an-integer',
  'not-a-boolean', 'not-text', 'too-small', 'too-big', 'too-short', 'too-long', 'unrecognized-field',
  // the import's own checks (imports.ts)
  'application-ref-format', 'euro-amount', 'participant-ref-and-personal', 'participant-missing', 'unknown-stage', 'required-with',
  'required-at-stage', 'same-ref-as-row', 'project-owner', 'out-of-scope', 'not-allowed', 'participant-not-registered', 'budget-insufficient',
  // a registered project's rules and the grant's (domain/project/registration.ts, domain/grant)
  'unknown-funder-line', 'activity-not-of-action', 'outside-call-window', 'duration-limit', 'grant-rule',
  // a schema's own check that names its code (refine(…, { params: { code } }), e.g. countries.ts)
  'unknown-country',
] as const;
export type IssueCodeName = (typeof ISSUE_CODES)[number];

const coded = (code: IssueCodeName, params: IssueParams = {}): IssueCode => ({ code, params });

/**
 * The code of a problem the application checks found (submission.ts `applicationCheck`): the decider's refusal code,
 * a registered project's rule, the grant's rule. Used by the single submission's 400 and the import's report.
 */
export function codeOfProblem(
  x: { field: string; rule: string; code?: string },
  project: Pick<Registration, 'lines' | 'terms'> | null,
  app: { funderLineId: string; activity: string; institutionId?: string; plan: { startDate: string; endDate: string } } | null,
): IssueCode {
  if (x.code) return { code: x.code, params: {} };
  if (x.rule === 'PARTICIPANT-REGISTRY' && app?.institutionId) return coded('participant-not-registered', { institutionId: app.institutionId });
  if (project && app) {
    if (x.rule === 'PROJECT-LINE') return coded('unknown-funder-line', { funderLineId: app.funderLineId, lines: project.lines.map((l) => l.lineId).join(', ') });
    if (x.rule === 'PROJECT-ACTION') return coded('activity-not-of-action', { activity: app.activity, action: project.terms.action });
    if (x.rule === 'PROJECT-WINDOW') {
      const w = callWindow(project.terms.callYear);
      return coded('outside-call-window', { date: x.field.endsWith('startDate') ? app.plan.startDate : app.plan.endDate, callYear: project.terms.callYear, from: w.from, to: w.to });
    }
  }
  if (x.rule.startsWith('DUR-')) return coded('duration-limit', { ruleId: x.rule });
  if (x.rule.startsWith('GRANT-') && x.rule !== 'GRANT-INPUT') return coded('grant-rule', { ruleId: x.rule });
  return coded('invalid');
}

/** The value at a path of an input (undefined when absent). */
const at = (input: unknown, path: readonly PropertyKey[]): unknown => {
  let x = input;
  for (const k of path) {
    if (x === null || typeof x !== 'object') return undefined;
    x = (x as Record<PropertyKey, unknown>)[k];
  }
  return x;
};

/**
 * The code and parameters of a zod issue. With the parsed input, a missing value is `required`; without
 * it, an issue that received undefined is. A custom message of a schema (e.g. a regex's) keeps its English
 * text in `message`; the code says what kind of problem it is.
 */
export function codeOfZodIssue(issue: z.core.$ZodIssue, input?: unknown): IssueCode {
  const i = issue as z.core.$ZodIssue & Record<string, unknown>;
  switch (i.code) {
    case 'invalid_type': {
      const missing = input !== undefined ? at(input, i.path) === undefined : /received undefined/.test(i.message);
      if (missing) return coded('required');
      const expected = String(i.expected);
      if (expected === 'int') return coded('not-an-integer');
      if (expected === 'number' || expected === 'bigint') return coded('not-a-number');
      if (expected === 'boolean') return coded('not-a-boolean');
      if (expected === 'string') return coded('not-text');
      return coded('invalid');
    }
    case 'invalid_format': {
      const format = String(i.format ?? '');
      if (format === 'date' || format === 'datetime') return coded('invalid-date');
      if (format === 'email') return coded('invalid-email');
      return coded('invalid-format');
    }
    case 'invalid_value': {
      const values = (i.values as unknown[] | undefined) ?? [];
      return coded('invalid-option', { options: values.map(String).join(', ') });
    }
    case 'too_small': {
      const origin = String(i.origin ?? '');
      const minimum = Number(i.minimum);
      return origin === 'string' || origin === 'array' ? coded('too-short', { minimum }) : coded('too-small', { minimum });
    }
    case 'too_big': {
      const origin = String(i.origin ?? '');
      const maximum = Number(i.maximum);
      return origin === 'string' || origin === 'array' ? coded('too-long', { maximum }) : coded('too-big', { maximum });
    }
    case 'unrecognized_keys':
      return coded('unrecognized-field');
    case 'custom': {
      const named = (i.params as { code?: unknown } | undefined)?.code;
      return typeof named === 'string' && (ISSUE_CODES as readonly string[]).includes(named) ? coded(named as IssueCodeName) : coded('invalid');
    }
    default:
      return coded('invalid');
  }
}
