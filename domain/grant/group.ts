import { sumCents, type Cents } from '../money';
import type { GrantBreakdown } from './breakdown';
import { computeMobilityGrant, type GrantOptions } from './compute';
import type { GrantInput } from './input';

/**
 * The grant of a group activity (§1.8): each member (learner or accompanying person) is one mobility with its
 * own grant input; the group's grant is the members' grants side by side, never a figure of its own, so its
 * total is by construction the sum of the members' totals. Organisational support is project-level
 * (domain/project/organisational.ts `groupOrganisationalSupport`).
 */
export interface GroupMemberGrantInput {
  readonly mobilityId: string;
  readonly input: GrantInput;
}

export interface GroupGrant {
  readonly members: readonly { readonly mobilityId: string; readonly accompanyingPerson: boolean; readonly subgroup: string; readonly grant: GrantBreakdown }[];
  /** Learners' grants, accompanying persons' grants, and their sum. */
  readonly learnersCents: Cents;
  readonly accompanyingCents: Cents;
  readonly totalCents: Cents;
  /** Each rule's amount over the group, in order of first appearance. */
  readonly byRule: readonly { readonly ruleId: string; readonly amountCents: Cents; readonly members: number }[];
}

/**
 * The facts that make members' funding differ (§1.8 subgroups: dates, transport, fewer opportunities; and
 * whether a member accompanies): members with the same key are funded alike.
 */
export const fundingKeyOf = (i: GrantInput): string =>
  JSON.stringify([
    i.accompanyingPerson ?? false, i.startDate ?? null, i.endDate ?? null, i.durationDays ?? null, i.interruptedDays ?? 0, i.travelDays ?? null,
    i.distanceKm ?? null, i.greenTravel ?? false, i.fewerOpportunities ?? false, i.zeroGrant ?? false,
  ]);

/** Every member's grant (throws the first member's rule error, naming the field), and the group's totals. */
export const groupGrant = (members: readonly GroupMemberGrantInput[], options: GrantOptions = {}): GroupGrant => {
  const keys: string[] = [];
  const computed = members.map((m) => {
    const key = fundingKeyOf(m.input);
    if (!keys.includes(key)) keys.push(key);
    return { mobilityId: m.mobilityId, accompanyingPerson: m.input.accompanyingPerson ?? false, subgroup: `funding-${keys.indexOf(key) + 1}`, grant: computeMobilityGrant(m.input, options) };
  });
  const byRule = new Map<string, { amountCents: Cents; members: number }>();
  for (const m of computed) {
    for (const l of m.grant.lines) {
      const r = byRule.get(l.ruleId) ?? { amountCents: 0, members: 0 };
      byRule.set(l.ruleId, { amountCents: r.amountCents + l.amountCents, members: r.members + 1 });
    }
  }
  const learnersCents = sumCents(computed.filter((m) => !m.accompanyingPerson).map((m) => m.grant.totalCents));
  const accompanyingCents = sumCents(computed.filter((m) => m.accompanyingPerson).map((m) => m.grant.totalCents));
  return {
    members: computed,
    learnersCents,
    accompanyingCents,
    totalCents: learnersCents + accompanyingCents,
    byRule: [...byRule].map(([ruleId, r]) => ({ ruleId, ...r })),
  };
};
