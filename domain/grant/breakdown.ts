import { z } from 'zod';
import { Cents } from '../money';

/** One traceable line of a grant: which rule, which call year, what arithmetic. */
export const GrantLine = z.strictObject({
  ruleId: z.string().min(1),
  item: z.string().min(1),
  amountCents: Cents,
  basis: z.string().min(1),
});
export type GrantLine = z.infer<typeof GrantLine>;

/**
 * The values a line's basis is made of (rates and amounts in `…Cents`, days, distances, the call year, the rule's
 * `variant`), so that a reader words the basis in its own language from the rule id (the console's catalogues).
 * Computed with the line, never stored with it: a breakdown in an event or a history has the four fields above.
 */
export type LineParams = Readonly<Record<string, string | number>>;
export type ExplainedLine = GrantLine & { readonly params: LineParams };

/** A grant breakdown; the total is always the sum of the lines. Same shape as the grant CLI output. */
export const GrantBreakdown = z
  .strictObject({
    totalCents: Cents,
    currency: z.literal('EUR'),
    callYear: z.int().min(2021).max(2100),
    days: z.int().nonnegative(),
    lines: z.array(GrantLine),
  })
  .refine((b) => b.totalCents === b.lines.reduce((s, l) => s + l.amountCents, 0), {
    message: 'totalCents must equal the sum of the lines',
    path: ['totalCents'],
  });
export type GrantBreakdown = z.infer<typeof GrantBreakdown>;
