import i18next from 'i18next';
import { date, euros, has, tv } from './i18n';

/**
 * What the server names by a stable code and parameters, worded in the user's language from the catalogues
 * (i18n/server-texts.*.ts): validation issues, grant lines by rule id, the organisation's audit changes. The
 * server's English text is the fallback when the catalogue has no entry (an older report, a newer server).
 */
type Params = Record<string, string | number>;
type Values = Record<string, unknown>;

const tk = (key: string, values: Values = {}): string => i18next.t(key, values) as string;

/** Parameters as the reader sees them: `…Cents` as euros, dates in the locale, the rest as sent. */
const shown = (params: Params): Values =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, k.endsWith('Cents') && typeof v === 'number' ? euros(v) : (k === 'from' || k === 'to' || k === 'date') && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? date(v) : v]));

// ---------- validation issues ----------
export interface CodedIssue { message?: string; reason?: string; code?: string; params?: Params }

/** An issue in the user's language: `issue.<code>` or the decider's `refusal.<code>`, else the server's English text. */
export function issueText(i: CodedIssue): { text: string; translated: boolean } {
  const english = i.reason ?? i.message ?? '';
  if (!i.code) return { text: english, translated: false };
  const values = { ...shown(i.params ?? {}), stage: i.params?.stage !== undefined ? tv('stage', String(i.params.stage)) : undefined };
  for (const key of [`issue.${i.code}`, `refusal.${i.code}`]) if (has(key)) return { text: tk(key, values), translated: true };
  return { text: english, translated: false };
}

// ---------- grant lines ----------
export interface ExplainedLine { ruleId: string; item: string; amountCents: number; basis: string; params?: Params | null }

const num = (p: Params, k: string): number => Number(p[k] ?? 0);

/** "131 physical + 2 travel days" in the user's language, from the line's day counts. */
const daysText = (p: Params): string => {
  const parts = [tk('grantDays.physical', { n: num(p, 'physicalDays') })];
  if (num(p, 'virtualDays') > 0) parts.push(tk('grantDays.virtual', { n: num(p, 'virtualDays') }));
  if (num(p, 'interruptedDays') > 0) parts.push(tk('grantDays.interrupted', { n: num(p, 'interruptedDays') }));
  if (num(p, 'zeroGrantDays') > 0) parts.push(tk('grantDays.zeroGrant', { n: num(p, 'zeroGrantDays') }));
  if (num(p, 'travelDays') > 0) parts.push(tk('grantDays.travel', { n: num(p, 'travelDays') }));
  return tk('grantDays.text', { parts: parts.join(' ') });
};

/** Where a rate comes from: the NA's applicable rate or the call table's, for the destination's group. */
const sourceText = (p: Params): string => {
  const place0 = p.group === 'partner' ? tk('grantSource.partner', { country: p.country }) : tk('grantSource.group', { country: p.country, group: p.group, grouping: tv('grantGrouping', String(p.grouping)) });
  const place = num(p, 'groupingByProject') === 1 ? tk('grantSource.byProject', { place: place0 }) : place0;
  return tk(p.rateSource === 'na' ? 'grantSource.na' : 'grantSource.table', { place });
};

const kmText = (n: number | string): string => new Intl.NumberFormat(i18next.language === 'fr' ? 'fr-FR' : 'en-GB').format(Number(n));

/** A grant line's item and basis in the user's language from its rule id and parameters; the server's English without parameters. */
export function grantLineText(l: ExplainedLine): { item: string; basis: string; rule: string | null; translated: boolean } {
  const rule = has(`grantRule.${l.ruleId}`) ? tk(`grantRule.${l.ruleId}`) : null;
  const p = l.params;
  if (!p || !has(`grantBasis.${l.ruleId}`)) return { item: l.item, basis: l.basis, rule, translated: false };
  const variant = typeof p.variant === 'string' ? p.variant : undefined;
  const values: Values = {
    ...shown(p),
    daysText: daysText(p),
    source: p.rateSource !== undefined ? sourceText(p) : '',
    band: p.minKm === undefined ? '' : p.maxKm === '' ? tk('grantBand.open', { min: kmText(p.minKm) }) : tk('grantBand.range', { min: kmText(p.minKm), max: kmText(p.maxKm!) }),
    who: p.who !== undefined ? tk(`grantWho.${p.who}`) : '',
    activity: p.activity !== undefined ? tv('activity', String(p.activity)) : '',
    fromDay: num(p, 'fullRateDays') + 1,
    distanceKm: p.distanceKm !== undefined ? kmText(p.distanceKm) : '',
    ...(variant ? { context: variant } : {}),
  };
  let basis = tk(`grantBasis.${l.ruleId}`, values);
  const travel = l.ruleId.startsWith('GRANT-TRAVEL-');
  if (travel && p.tableCents !== undefined) basis = tk('grantNote.naPrinted', { basis, tableCents: values.tableCents });
  if ((l.ruleId === 'GRANT-TRAVEL-STD' || l.ruleId === 'GRANT-TRAVEL-GREEN') && p.realCostCents !== undefined) {
    basis = tk('grantNote.notExceptional', { basis, coveragePercent: p.coveragePercent, realCostCents: values.realCostCents });
  }
  const item = has(`grantItem.${l.ruleId}`) ? tk(`grantItem.${l.ruleId}`, values) : l.item;
  return { item, basis, rule, translated: true };
}
