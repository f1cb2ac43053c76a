import { z } from 'zod';
import type { GrantBreakdown } from '../grant/breakdown';
import { computeMobilityGrant, type GrantOptions } from '../grant/compute';
import { GrantInput } from '../grant/input';
import { eur, formatEur, mulDiv, sumCents, type Cents } from '../money';
import { allocateLargestRemainder } from './allocate';

export { allocateLargestRemainder } from './allocate';

/**
 * Several funders (issue 14 item 5). A funder line of a project carries its own rule set: `erasmus-plus`
 * (the Erasmus+ calculator of domain/grant) or a simple configurable rule (a flat amount per month abroad or
 * per mobility, with an optional cap and condition). One mobility may be co-funded by several lines: each
 * funding component (a rule) is paid by one line, or split between lines by weight with the largest-remainder
 * method, so the shares always sum exactly to the mobility's total. The Erasmus+ part stays apart
 * (`erasmusPlusCents`, its own breakdown) for budget consumption and the Beneficiary Module export.
 */

const LineId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'funder line id: letters, digits, dots, dashes');
const Euros = (what: string) =>
  z.number().positive(`${what} must be positive`).max(10_000_000).refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, `${what}: at most two decimals (euro cents)`);

/** Rule ids of funding shares (the Erasmus+ share carries the Erasmus+ breakdown's own rule ids). */
export const FUNDING_RULES = {
  'FUND-ERASMUS-PLUS': 'Erasmus+ grant of the mobility (domain/grant), paid by the ERASMUS+ line only',
  'FUND-FLAT-MONTH': 'flat amount per month abroad (× days paid ÷ 30), optional cap',
  'FUND-FLAT-MOBILITY': 'flat amount per mobility, optional cap',
  'FUND-SPLIT': 'a component split between lines by weight, largest-remainder method (exact to the cent)',
} as const;
export type FundingRuleId = keyof typeof FUNDING_RULES;

export const FunderRule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('erasmus-plus') }),
  z.strictObject({
    kind: z.literal('flat'),
    per: z.enum(['month', 'mobility']),
    amountEur: Euros('amountEur'),
    capEur: Euros('capEur').optional().describe('at most this much per mobility'),
    condition: z.enum(['all', 'fewer-opportunities']).optional().describe('who receives it; default all'),
  }),
]);
export type FunderRule = z.infer<typeof FunderRule>;

/** One funding component of a mobility: a rule, and the line(s) that pay it (weights split it exactly). */
export const FundingComponent = z.strictObject({
  name: z.string().min(1).max(120).describe('e.g. "Erasmus+", "Regional complement"'),
  rule: FunderRule,
  paidBy: z.array(z.strictObject({ lineId: LineId, funder: z.string().min(1).max(200), weight: z.int().positive().max(1_000_000).default(1) })).min(1).max(10),
});
export type FundingComponent = z.infer<typeof FundingComponent>;

export const CoFunding = z
  .strictObject({ components: z.array(FundingComponent).min(1).max(10) })
  .superRefine((c, ctx) => {
    const erasmus = c.components.map((x, i) => ({ x, i })).filter(({ x }) => x.rule.kind === 'erasmus-plus');
    if (erasmus.length > 1) ctx.addIssue({ code: 'custom', path: ['components', erasmus[1]!.i, 'rule'], message: 'one Erasmus+ component per mobility' });
    for (const { x, i } of erasmus) {
      if (x.paidBy.length !== 1) ctx.addIssue({ code: 'custom', path: ['components', i, 'paidBy'], message: 'the Erasmus+ grant is paid by one line (the ERASMUS+ line), so it stays identifiable' });
    }
  });
export type CoFunding = z.infer<typeof CoFunding>;
export type CoFundingInput = z.input<typeof CoFunding>;

/** One traced part of a line's share. */
export interface ShareTrace {
  readonly component: string;
  readonly ruleId: FundingRuleId;
  readonly amountCents: Cents;
  readonly basis: string;
}

export interface LineShare {
  readonly lineId: string;
  readonly funder: string;
  /** True for the line that pays the Erasmus+ component. */
  readonly erasmusPlus: boolean;
  readonly amountCents: Cents;
  readonly trace: readonly ShareTrace[];
}

export interface CoFundedGrant {
  readonly totalCents: Cents;
  /** The Erasmus+ part alone (0 when no component is Erasmus+), and its own breakdown. */
  readonly erasmusPlusCents: Cents;
  readonly erasmusPlus: GrantBreakdown | null;
  /** One share per line, in order of first appearance; they sum exactly to totalCents. */
  readonly shares: readonly LineShare[];
  readonly days: number;
  readonly callYear: number;
}

/**
 * The grant of one co-funded mobility: each component computed by its rule, then paid by its line(s).
 * Throws ZodError (bad shape, naming the field) or GrantRuleError (an Erasmus+ rule broken).
 */
export const coFundedGrant = (rawInput: GrantInput, rawFunding: CoFundingInput, options: GrantOptions = {}): CoFundedGrant => {
  const input = GrantInput.parse(rawInput);
  const funding = CoFunding.parse(rawFunding);
  // The Erasmus+ calculation is also what counts the mobility's days (BM rules) for rules per month.
  const ep = computeMobilityGrant(input, options);
  const call = `call ${input.callYear}`;
  const shares = new Map<string, { funder: string; erasmusPlus: boolean; trace: ShareTrace[] }>();
  for (const c of funding.components) {
    const [amount, ruleId, basis] = componentAmount(c, ep, input, call);
    const parts = c.paidBy.length === 1 ? [amount] : allocateLargestRemainder(amount, c.paidBy.map((p) => p.weight));
    const weightTotal = c.paidBy.reduce((n, p) => n + p.weight, 0);
    c.paidBy.forEach((p, i) => {
      const s = shares.get(p.lineId) ?? { funder: p.funder, erasmusPlus: false, trace: [] };
      if (s.funder !== p.funder) throw new z.ZodError([{ code: 'custom', path: ['components', funding.components.indexOf(c), 'paidBy', i, 'funder'], message: `line ${p.lineId} is ${s.funder}, not ${p.funder}`, input: p.funder }]);
      const split = c.paidBy.length > 1 ? `; ${p.weight}/${weightTotal} of ${formatEur(amount)} (FUND-SPLIT, largest remainder)` : '';
      s.trace.push({ component: c.name, ruleId, amountCents: parts[i]!, basis: basis + split });
      if (c.rule.kind === 'erasmus-plus') s.erasmusPlus = true;
      shares.set(p.lineId, s);
    });
  }
  const lineShares: LineShare[] = [...shares].map(([lineId, s]) => ({ lineId, funder: s.funder, erasmusPlus: s.erasmusPlus, amountCents: sumCents(s.trace.map((t) => t.amountCents)), trace: s.trace }));
  const hasErasmus = funding.components.some((c) => c.rule.kind === 'erasmus-plus');
  return {
    totalCents: sumCents(lineShares.map((s) => s.amountCents)),
    erasmusPlusCents: hasErasmus ? ep.totalCents : 0,
    erasmusPlus: hasErasmus ? ep : null,
    shares: lineShares,
    days: ep.days,
    callYear: input.callYear,
  };
};

const componentAmount = (c: FundingComponent, ep: GrantBreakdown, input: GrantInput, call: string): [Cents, FundingRuleId, string] => {
  const r = c.rule;
  if (r.kind === 'erasmus-plus') return [ep.totalCents, 'FUND-ERASMUS-PLUS', `${c.name}: the Erasmus+ grant, ${ep.lines.length} rule lines (${ep.lines.map((l) => l.ruleId).join(', ')}), ${call}`];
  const condition = r.condition ?? 'all';
  if (condition === 'fewer-opportunities' && !input.fewerOpportunities) {
    return [0, r.per === 'month' ? 'FUND-FLAT-MONTH' : 'FUND-FLAT-MOBILITY', `${c.name}: 0.00 €, paid only to participants with fewer opportunities (${call})`];
  }
  const rate = eur(r.amountEur);
  const raw = r.per === 'month' ? mulDiv(rate, ep.days, 30) : rate;
  const cap = r.capEur === undefined ? null : eur(r.capEur);
  const amount = cap === null ? raw : Math.min(raw, cap);
  const what = r.per === 'month' ? `${formatEur(rate)}/month × ${ep.days} days ÷ 30` : `${formatEur(rate)} per mobility`;
  const capped = cap === null ? '' : raw > cap ? ` = ${formatEur(raw)}, capped at ${formatEur(cap)}` : `, at most ${formatEur(cap)}`;
  return [amount, r.per === 'month' ? 'FUND-FLAT-MONTH' : 'FUND-FLAT-MOBILITY', `${c.name}: ${what}${capped} (${call})`];
};

/**
 * One traced share of a co-funded mobility as events carry it (ParticipantSelected, GrantRecalculated,
 * AttendanceCertified v2): the line, its funder, the rule, the amount and its basis. No personal data.
 */
export const FundingShare = z.strictObject({
  lineId: LineId,
  funder: z.string().min(1).max(200),
  ruleId: z.enum(Object.keys(FUNDING_RULES) as [FundingRuleId, ...FundingRuleId[]]),
  amountCents: z.int().nonnegative(),
  basis: z.string(),
});
export type FundingShare = z.infer<typeof FundingShare>;

/** The shares of a co-funded grant, one per line and component, in order (the Erasmus+ share first when it comes first). */
export const fundingSharesOf = (g: CoFundedGrant): FundingShare[] =>
  g.shares.flatMap((s) => s.trace.map((t) => ({ lineId: s.lineId, funder: s.funder, ruleId: t.ruleId, amountCents: t.amountCents, basis: t.basis })));

/** A project's funder line that co-funds a mobility, with its rule, as the server resolves it from the registration. */
export const CoFundingLine = z.strictObject({ lineId: LineId, funder: z.string().min(1).max(200), rule: FunderRule });
export type CoFundingLine = z.infer<typeof CoFundingLine>;

/**
 * How one mobility is co-funded: the funder of its own line (which pays the Erasmus+ grant) and each co-funding
 * line with its rule. The mobility workflow's input; the shares are computed from it at every grant.
 */
export const MobilityCoFunding = z.strictObject({
  erasmusPlusFunder: z.string().min(1).max(200),
  lines: z.array(CoFundingLine).min(1).max(9),
});
export type MobilityCoFunding = z.infer<typeof MobilityCoFunding>;

/** The funding components of a mobility paid by its own (Erasmus+) line and its co-funding lines, one line each. */
export const coFundingComponents = (ownLineId: string, f: MobilityCoFunding): CoFundingInput => ({
  components: [
    { name: 'Erasmus+', rule: { kind: 'erasmus-plus' }, paidBy: [{ lineId: ownLineId, funder: f.erasmusPlusFunder, weight: 1 }] },
    ...f.lines.map((l) => ({ name: l.funder, rule: l.rule, paidBy: [{ lineId: l.lineId, funder: l.funder, weight: 1 }] })),
  ],
});
