import { sumCents, type Cents } from '../money';
import type { ExplainedLine, GrantBreakdown, GrantLine, LineParams } from './breakdown';

/** Assembles a breakdown whose total is, by construction, the sum of its lines (fixed key order). */
export const makeBreakdown = (callYear: number, days: number, lines: readonly GrantLine[]): GrantBreakdown => ({
  totalCents: sumCents(lines.map((l) => l.amountCents)),
  currency: 'EUR',
  callYear,
  days,
  lines: lines.map((l) => ({ ruleId: l.ruleId, item: l.item, amountCents: l.amountCents, basis: l.basis })),
});

/** A line with the values its basis is made of (dropped by makeBreakdown: a stored breakdown has four fields a line). */
export const line = (ruleId: string, item: string, amountCents: Cents, basis: string, params: LineParams = {}): ExplainedLine => ({ ruleId, item, amountCents, basis, params });
