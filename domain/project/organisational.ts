import { z } from 'zod';
import type { GrantBreakdown, GrantLine } from '../grant/breakdown';
import { line, makeBreakdown } from '../grant/breakdown-build';
import { rateTableFor, type RateOverrides, type RateTable } from '../grant/rates';
import type { RuleId } from '../grant/rule-ids';
import { formatEur } from '../money';
import { ProjectAction } from './agreement';

/** Input of the project-level grant (the CLI's --project JSON). */
export const ProjectGrantInput = z
  .strictObject({
    callYear: z.int().min(2021).max(2100),
    action: ProjectAction,
    participants: z.int().nonnegative().describe('participants, zero-grant mobilities included (BIP participants apart)'),
    bipParticipants: z.int().nonnegative().optional().describe('KA131 BIP participants'),
    inclusionSupportParticipants: z.int().nonnegative().optional().describe('fewer-opportunity participants receiving real-cost inclusion support'),
  })
  .superRefine((v, ctx) => {
    if (v.bipParticipants !== undefined && v.bipParticipants > 0 && v.action !== 'KA131') {
      ctx.addIssue({ code: 'custom', path: ['bipParticipants'], message: 'BIPs are a KA131 activity' });
    }
    // Compared only when the counts themselves are valid: one bad field gives one error, naming it.
    const counts = [v.participants, v.bipParticipants ?? 0, v.inclusionSupportParticipants ?? 0];
    if (counts.every((n) => Number.isInteger(n) && n >= 0) && (v.inclusionSupportParticipants ?? 0) > v.participants + (v.bipParticipants ?? 0)) {
      ctx.addIssue({ code: 'custom', path: ['inclusionSupportParticipants'], message: 'more inclusion-support participants than participants' });
    }
  });
export type ProjectGrantInput = z.infer<typeof ProjectGrantInput>;

/**
 * Organisational support and inclusion support for organisations (reference §1.5), as traceable lines.
 * KA131: 400 € per participant up to the 100th, 230 € above, zero-grant mobilities counted; BIP 400 €
 * per participant; inclusion support 125 € (100 € before 2024) per participant with real-cost inclusion support.
 */
export const projectGrant = (raw: ProjectGrantInput, options: { table?: RateTable; overrides?: RateOverrides } = {}): GrantBreakdown => {
  const input = ProjectGrantInput.parse(raw);
  const t = options.table ?? rateTableFor(input.callYear, options.overrides);
  const o = t.organisational;
  const call = `call ${input.callYear}`;
  const lines: GrantLine[] = [];
  const per = (cents: number, n: number, what: string) => `${formatEur(cents)} × ${n} ${what} (${call})`;
  if (input.action === 'KA131') {
    const first = Math.min(input.participants, o.ka131Threshold);
    const above = input.participants - first;
    lines.push(line('ORG-KA131' satisfies RuleId, 'Organisational support', o.ka131PerParticipant * first,
      per(o.ka131PerParticipant, first, `participants up to the ${o.ka131Threshold}th, zero-grant mobilities included`)));
    lines.push(line('ORG-KA131-ABOVE-100' satisfies RuleId, `Organisational support above ${o.ka131Threshold} participants`, o.ka131AboveThreshold * above,
      per(o.ka131AboveThreshold, above, `participants above the ${o.ka131Threshold}th`)));
    const bip = input.bipParticipants ?? 0;
    lines.push(line('ORG-KA131-BIP' satisfies RuleId, 'Organisational support, blended intensive programmes', o.bipPerParticipant * bip, per(o.bipPerParticipant, bip, 'BIP participants')));
  } else {
    lines.push(line('ORG-KA12X' satisfies RuleId, 'Organisational support', o.ka12xPerParticipant * input.participants,
      per(o.ka12xPerParticipant, input.participants, `participants, ${input.action} [U: KA121/KA122 unit cost not retrieved, override per project]`)));
  }
  const inc = input.inclusionSupportParticipants ?? 0;
  const incRate = t.inclusionSupportPerOrganisationParticipant;
  lines.push(line('ORG-INCLUSION' satisfies RuleId, 'Inclusion support for organisations', incRate * inc, per(incRate, inc, 'participants with real-cost inclusion support')));
  return makeBreakdown(input.callYear, 0, lines.filter((l) => l.amountCents > 0));
};
