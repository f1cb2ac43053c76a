import { z } from 'zod';
import type { GrantBreakdown, GrantLine, LineParams } from '../grant/breakdown';
import { line, makeBreakdown } from '../grant/breakdown-build';
import { rateTableFor, type RateOverrides, type RateTable } from '../grant/rates';
import type { RuleId } from '../grant/rule-ids';
import { ACTIVITIES } from '../activity';
import { eur, formatEur } from '../money';
import { ProjectAction } from './agreement';

const ITEM = {
  ka131: 'Organisational support',
  ka131Above: (threshold: number) => `Organisational support above ${threshold} participants`,
  bip: 'Organisational support, blended intensive programmes',
  ka12x: 'Organisational support',
  inclusion: 'Inclusion support for organisations',
} as const;

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
    lines.push(line('ORG-KA131' satisfies RuleId, ITEM.ka131, o.ka131PerParticipant * first,
      per(o.ka131PerParticipant, first, `participants up to the ${o.ka131Threshold}th, zero-grant mobilities included`), { rateCents: o.ka131PerParticipant, participants: first, threshold: o.ka131Threshold, callYear: input.callYear }));
    lines.push(line('ORG-KA131-ABOVE-100' satisfies RuleId, ITEM.ka131Above(o.ka131Threshold), o.ka131AboveThreshold * above,
      per(o.ka131AboveThreshold, above, `participants above the ${o.ka131Threshold}th`), { rateCents: o.ka131AboveThreshold, participants: above, threshold: o.ka131Threshold, callYear: input.callYear }));
    const bip = input.bipParticipants ?? 0;
    lines.push(line('ORG-KA131-BIP' satisfies RuleId, ITEM.bip, o.bipPerParticipant * bip, per(o.bipPerParticipant, bip, 'BIP participants'), { rateCents: o.bipPerParticipant, participants: bip, callYear: input.callYear }));
  } else {
    lines.push(line('ORG-KA12X' satisfies RuleId, ITEM.ka12x, o.ka12xPerParticipant * input.participants,
      per(o.ka12xPerParticipant, input.participants, `participants, ${input.action} [U: KA121/KA122 unit cost not retrieved, override per project]`), { rateCents: o.ka12xPerParticipant, participants: input.participants, action: input.action, callYear: input.callYear }));
  }
  const inc = input.inclusionSupportParticipants ?? 0;
  const incRate = t.inclusionSupportPerOrganisationParticipant;
  lines.push(line('ORG-INCLUSION' satisfies RuleId, ITEM.inclusion, incRate * inc, per(incRate, inc, 'participants with real-cost inclusion support'), { rateCents: incRate, participants: inc, callYear: input.callYear }));
  return makeBreakdown(input.callYear, 0, lines.filter((l) => l.amountCents > 0));
};

/**
 * The organisational-support scheme a participant counts under, from the mobility's activity (§1.5):
 * KA131 BIPs apart, other higher-education mobilities under KA131, every other sector under KA121/KA122.
 */
export const OrganisationalScheme = z.enum(['ka131', 'bip', 'ka12x']);
export type OrganisationalScheme = z.infer<typeof OrganisationalScheme>;
export const organisationalSchemeOf = (activity: string): OrganisationalScheme =>
  activity === 'HE-BIP' ? 'bip' : activity.startsWith('HE-') ? 'ka131' : 'ka12x';

/** A participant whose attendance was certified, as the budget projection knows it. */
export interface CertifiedParticipant {
  readonly mobilityId: string;
  readonly activity: string;
  /** When attendance was certified (ISO 8601): participants of a scheme are counted in this order. */
  readonly certifiedAt: string;
  readonly fewerOpportunities: boolean;
  /** The final grant: its call year prices the participant, its lines show real-cost inclusion support. */
  readonly finalGrant: { readonly callYear: number; readonly lines: readonly Pick<GrantLine, 'ruleId' | 'amountCents'>[] };
  /** An accompanying person (§1.8): not counted for organisational support. */
  readonly accompanyingPerson?: boolean;
  /** The mobility is flagged "organisational support not requested" (§1.8): not counted. */
  readonly organisationalSupportNotRequested?: boolean;
}

/** Why a mobility is or is not counted for organisational support, the Beneficiary Module's way (§1.8). */
export type OrganisationalCount = 'counted' | 'accompanying-person' | 'not-requested' | 'preparatory-visit';

/**
 * §1.8 (EC BM wiki "Organisational support KA121"): accompanying persons and mobilities flagged
 * "organisational support not requested" are excluded; zero-grant mobilities still count. A preparatory
 * visit's unit cost covers it whole [U], so it is not counted either.
 */
export const organisationalCountOf = (m: { readonly activity: string; readonly accompanyingPerson?: boolean | undefined; readonly organisationalSupportNotRequested?: boolean | undefined }): OrganisationalCount =>
  m.accompanyingPerson ? 'accompanying-person'
  : m.organisationalSupportNotRequested ? 'not-requested'
  : (ACTIVITIES as Record<string, { funding?: string }>)[m.activity]?.funding === 'preparatory-visit' ? 'preparatory-visit'
  : 'counted';

/** A member of a group activity as its organisational support counts it. */
export interface GroupSupportMember {
  readonly mobilityId: string;
  readonly activity: string;
  readonly accompanyingPerson?: boolean;
  readonly organisationalSupportNotRequested?: boolean;
  /** Zero-grant mobilities are counted (§1.8); the flag only shows in the basis. */
  readonly zeroGrant?: boolean;
}

/**
 * The organisational support of one group activity (§1.8). For group mobility of pupils and of adult learners
 * the Beneficiary Module takes the amount from the group activity's own organisational-support field
 * (`groupAmountEur`, line ORG-GROUP); otherwise the KA121/KA122 unit cost × the participants counted the
 * BM's way (line ORG-KA12X). The basis names what was excluded and how many zero-grant mobilities count.
 */
export const groupOrganisationalSupport = (
  group: { readonly groupId: string; readonly activity: string; readonly callYear: number; readonly groupAmountEur?: number },
  members: readonly GroupSupportMember[],
  options: { overrides?: RateOverrides } = {},
): GrantBreakdown & {
  readonly counted: number;
  readonly excluded: Readonly<Record<Exclude<OrganisationalCount, 'counted'>, number>>;
  /** The unit cost per counted participant (the call year's, or the override), or null when the group activity's own amount applies. */
  readonly unitCents: number | null;
  /** The values of the line's basis (rule id ORG-GROUP or ORG-KA12X, variant group), for a reader to word it in its language. */
  readonly params: LineParams;
} => {
  const counts = { counted: 0, 'accompanying-person': 0, 'not-requested': 0, 'preparatory-visit': 0 };
  let zeroGrant = 0;
  for (const m of members) {
    const c = organisationalCountOf(m);
    counts[c] += 1;
    if (c === 'counted' && m.zeroGrant) zeroGrant += 1;
  }
  const call = `call ${group.callYear}`;
  const why = `accompanying persons excluded (${counts['accompanying-person']}), "organisational support not requested" excluded (${counts['not-requested']}), zero-grant mobilities counted (${zeroGrant}); §1.8`;
  const ownField = group.groupAmountEur !== undefined && ['SCH-PUPIL-GRP', 'ADU-LEARN-GRP'].includes(group.activity);
  const per = rateTableFor(group.callYear, options.overrides).organisational.ka12xPerParticipant;
  const whyParams = { groupId: group.groupId, activity: group.activity, participants: counts.counted, accompanying: counts['accompanying-person'], notRequested: counts['not-requested'], zeroGrant, callYear: group.callYear };
  const l = ownField
    ? line('ORG-GROUP' satisfies RuleId, 'Organisational support, group activity', eur(group.groupAmountEur!),
        `${formatEur(eur(group.groupAmountEur!))}, the group activity's own organisational-support amount for ${counts.counted} participants of group ${group.groupId} (${group.activity}); ${why} (${call})`,
        { amountCents: eur(group.groupAmountEur!), ...whyParams })
    : line('ORG-KA12X' satisfies RuleId, 'Organisational support, group activity', per * counts.counted,
        `${formatEur(per)} × ${counts.counted} participants of group ${group.groupId} (${group.activity}); ${why} (${call}) [U: KA121/KA122 unit cost not retrieved, override per project]`,
        { variant: 'group', rateCents: per, ...whyParams });
  const { counted, ...excluded } = counts;
  // The line's parameters (the basis in any language) beside the stored breakdown's four fields a line.
  return { ...makeBreakdown(group.callYear, 0, [l]), counted, excluded, unitCents: ownField ? null : per, params: l.params };
}

/** One participant's share of the project-level grant: organisational support, or inclusion support for organisations. */
export interface ParticipantSupportLine extends GrantLine {
  readonly mobilityId: string;
  readonly kind: 'organisational' | 'inclusion';
  readonly scheme: OrganisationalScheme;
  /** 1-based rank of the participant among the project's certified participants of its scheme. */
  readonly participantRank: number;
  readonly callYear: number;
}

/** A fewer-opportunity participant whose final grant pays inclusion support at real cost. */
export const receivesRealCostInclusionSupport = (p: Pick<CertifiedParticipant, 'fewerOpportunities' | 'finalGrant'>): boolean =>
  p.fewerOpportunities && p.finalGrant.lines.some((l) => l.ruleId === ('GRANT-INCLUSION-REAL-COSTS' satisfies RuleId) && l.amountCents > 0);

const SCHEME_LABEL: Record<OrganisationalScheme, string> = { ka131: 'KA131', bip: 'KA131 BIP', ka12x: 'KA121/KA122' };

/**
 * The project-level grant of one project's certified participants, one line per participant and kind,
 * priced by the rate table of each participant's final-grant call year. Within each scheme the
 * participants are ranked by certification time, then mobility id (code-point order), so the n-th
 * KA131 participant earns the tier of rank n. Summed, the lines give `projectGrant` for the same counts.
 * Deterministic in the set of participants, whatever order they are given in.
 */
export const participantSupportLines = (participants: readonly CertifiedParticipant[], options: { overrides?: RateOverrides } = {}): ParticipantSupportLine[] => {
  const order = [...participants].sort((a, b) => {
    const dt = Date.parse(a.certifiedAt) - Date.parse(b.certifiedAt);
    return dt !== 0 ? dt : a.mobilityId < b.mobilityId ? -1 : a.mobilityId > b.mobilityId ? 1 : 0;
  });
  const counted = new Map<OrganisationalScheme, number>();
  const out: ParticipantSupportLine[] = [];
  for (const p of order) {
    if (organisationalCountOf(p) !== 'counted') continue;
    const scheme = organisationalSchemeOf(p.activity);
    const rank = (counted.get(scheme) ?? 0) + 1;
    counted.set(scheme, rank);
    const callYear = p.finalGrant.callYear;
    const t = rateTableFor(callYear, options.overrides);
    const o = t.organisational;
    const [ruleId, item, cents]: [RuleId, string, number] =
      scheme === 'bip' ? ['ORG-KA131-BIP', ITEM.bip, o.bipPerParticipant]
      : scheme === 'ka12x' ? ['ORG-KA12X', ITEM.ka12x, o.ka12xPerParticipant]
      : rank <= o.ka131Threshold ? ['ORG-KA131', ITEM.ka131, o.ka131PerParticipant]
      : ['ORG-KA131-ABOVE-100', ITEM.ka131Above(o.ka131Threshold), o.ka131AboveThreshold];
    const of = `participant ${rank} of the project's ${SCHEME_LABEL[scheme]} participants by certification date (call ${callYear})`;
    out.push({ mobilityId: p.mobilityId, kind: 'organisational', scheme, participantRank: rank, callYear, ruleId, item, amountCents: cents, basis: `${formatEur(cents)}, ${of}` });
    if (receivesRealCostInclusionSupport(p)) {
      const inc = t.inclusionSupportPerOrganisationParticipant;
      out.push({ mobilityId: p.mobilityId, kind: 'inclusion', scheme, participantRank: rank, callYear, ruleId: 'ORG-INCLUSION', item: ITEM.inclusion, amountCents: inc,
        basis: `${formatEur(inc)}, ${of}, with real-cost inclusion support` });
    }
  }
  return out;
};
