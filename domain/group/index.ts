import { z } from 'zod';
import type { ActivityCode } from '../activity';
import type { GrantBreakdown, GrantLine } from '../grant/breakdown';
import { CountryCode, HostOrgId, IsoDate, OrgId, ParticipantRef } from '../ids';
import type { Cents } from '../money';
import { type ActionName, actionsIn } from '../mobility/actions';
import type { MobilityPlan } from '../mobility/commands';
import { FunderLineId, SiteId } from '../mobility/codes';
import { LIFECYCLE, type Stage } from '../mobility/lifecycle';
import { GroupId, SubgroupId } from './ids';

export { GroupId, SubgroupId, groupIdFor } from './ids';

/**
 * Group activities (reference §1.8): a group of pupils, VET or adult learners of one project travels
 * together with its accompanying persons. The Beneficiary Module records them on a group-activity tab,
 * with subgroups where funding differs (dates, transport, fewer opportunities). In the engine each
 * participant is still ONE mobility with its own workflow and lifecycle; the group links them by
 * `groupId`, gives them their plan, and lets staff act on all of them at once. Pure: imports only zod.
 */

/** The learner activities run as groups (§1.6, §1.8). */
export const GROUP_ACTIVITIES = ['SCH-PUPIL-GRP', 'VET-GROUP', 'ADU-LEARN-GRP'] as const satisfies readonly ActivityCode[];
export const GroupActivity = z.enum(GROUP_ACTIVITIES);
export type GroupActivity = z.infer<typeof GroupActivity>;

/** Where and when the group goes, and how it travels: every member's plan unless its subgroup differs. */
export const GroupPlan = z.strictObject({
  startDate: IsoDate,
  endDate: IsoDate,
  sendingCountry: CountryCode,
  receivingCountry: CountryCode,
  hostOrgId: HostOrgId,
  distanceKm: z.int().nonnegative().max(20_040, 'distanceKm: a one-way distance on Earth is at most 20,040 km').optional(),
  greenTravel: z.boolean(),
});
export type GroupPlan = z.infer<typeof GroupPlan>;

/** A subgroup: what differs for its members (omitted fields follow the group). */
export const Subgroup = z.strictObject({
  subgroupId: SubgroupId,
  startDate: IsoDate.optional(),
  endDate: IsoDate.optional(),
  distanceKm: z.int().nonnegative().max(20_040).optional(),
  greenTravel: z.boolean().optional(),
  fewerOpportunities: z.boolean().optional().describe("the subgroup's learners are fewer-opportunity participants (never its accompanying persons, §1.8)"),
});
export type Subgroup = z.infer<typeof Subgroup>;

/** A member: a participant of the registry (opaque ref), a learner or an accompanying person, in a subgroup or not. */
export const GroupMember = z.strictObject({
  participantRef: ParticipantRef,
  accompanyingPerson: z.boolean().describe('an accompanying person (teacher, trainer): paid at the staff rate (§1.8)'),
  subgroupId: SubgroupId.optional(),
});
export type GroupMember = z.infer<typeof GroupMember>;

export const MAX_GROUP_MEMBERS = 60;

/** A group as staff record it (the project comes from the route). */
export const NewGroup = z
  .strictObject({
    institutionId: OrgId,
    siteId: SiteId.optional(),
    activity: GroupActivity,
    funderLineId: FunderLineId,
    plan: GroupPlan,
    subgroups: z.array(Subgroup).max(20).default([]),
    members: z.array(GroupMember).max(MAX_GROUP_MEMBERS).default([]),
  })
  .superRefine((g, ctx) => {
    if (g.plan.endDate < g.plan.startDate) ctx.addIssue({ code: 'custom', path: ['plan', 'endDate'], message: `endDate ${g.plan.endDate} is before startDate ${g.plan.startDate}` });
    if (g.plan.sendingCountry === g.plan.receivingCountry) ctx.addIssue({ code: 'custom', path: ['plan', 'receivingCountry'], message: 'receivingCountry must differ from sendingCountry (mobility abroad)' });
    const ids = new Set<string>();
    g.subgroups.forEach((s, i) => {
      if (ids.has(s.subgroupId)) ctx.addIssue({ code: 'custom', path: ['subgroups', i, 'subgroupId'], message: `duplicate subgroup ${s.subgroupId}` });
      ids.add(s.subgroupId);
      const start = s.startDate ?? g.plan.startDate;
      const end = s.endDate ?? g.plan.endDate;
      if ((s.startDate !== undefined || s.endDate !== undefined) && end < start) ctx.addIssue({ code: 'custom', path: ['subgroups', i, 'endDate'], message: `the subgroup ends (${end}) before it starts (${start})` });
    });
    memberProblems(g.members, g.subgroups).forEach((p) => ctx.addIssue({ code: 'custom', path: ['members', ...p.path], message: p.message }));
  });
export type NewGroup = z.infer<typeof NewGroup>;

/** Why members cannot join (a participant twice, an unknown subgroup); path relative to the members array. */
export const memberProblems = (members: readonly GroupMember[], subgroups: readonly Subgroup[], already: readonly string[] = []): { path: (string | number)[]; message: string }[] => {
  const out: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set(already);
  members.forEach((m, i) => {
    if (seen.has(m.participantRef)) out.push({ path: [i, 'participantRef'], message: `participant ${m.participantRef} is already a member of the group` });
    seen.add(m.participantRef);
    if (m.subgroupId !== undefined && !subgroups.some((s) => s.subgroupId === m.subgroupId)) out.push({ path: [i, 'subgroupId'], message: `no subgroup ${m.subgroupId} in the group` });
  });
  return out;
};

/** A group as stored. */
export interface Group {
  readonly groupId: string;
  readonly projectId: string;
  readonly institutionId: string;
  readonly consortiumId: string | null;
  readonly siteId: string | null;
  readonly activity: GroupActivity;
  readonly funderLineId: string;
  readonly plan: GroupPlan;
  readonly subgroups: readonly Subgroup[];
}

/**
 * A member's application plan: the group's, with its subgroup's differences. Accompanying persons are
 * never flagged fewer-opportunity participants (§1.8); learners are when their subgroup is.
 */
export const memberPlan = (group: Pick<Group, 'plan' | 'subgroups'>, member: Pick<GroupMember, 'accompanyingPerson' | 'subgroupId'>): MobilityPlan => {
  const sub = member.subgroupId === undefined ? undefined : group.subgroups.find((s) => s.subgroupId === member.subgroupId);
  const p = group.plan;
  const distanceKm = sub?.distanceKm ?? p.distanceKm;
  return {
    startDate: sub?.startDate ?? p.startDate,
    endDate: sub?.endDate ?? p.endDate,
    sendingCountry: p.sendingCountry,
    receivingCountry: p.receivingCountry,
    hostOrgId: p.hostOrgId,
    ...(distanceKm !== undefined ? { distanceKm } : {}),
    greenTravel: sub?.greenTravel ?? p.greenTravel,
    fewerOpportunities: member.accompanyingPerson ? false : (sub?.fewerOpportunities ?? false),
    ...(member.accompanyingPerson ? { accompanyingPerson: true } : {}),
  };
};

// ---------- acting on a group ----------

/** The staff actions that make sense for a whole group: the group moves through selection, departure and attendance together. */
export const GROUP_ACTIONS = [
  'select', 'signAgreement', 'confirmDeparture', 'recordCertificateOfAttendance', 'recordReportSubmitted', 'recordRecognition', 'cancel',
] as const satisfies readonly ActionName[];
export const GroupAction = z.enum(GROUP_ACTIONS);
export type GroupAction = z.infer<typeof GroupAction>;

/** A member as the group action sees it: its mobility and stage. */
export interface MemberStage {
  readonly mobilityId: string;
  readonly stage: Stage | 'none';
  readonly subgroupId: string | null;
}

export type MemberStep =
  | { readonly mobilityId: string; readonly apply: true; readonly updateId: string }
  | { readonly mobilityId: string; readonly apply: false; readonly reason: string };

/**
 * Which members a group action applies to: those whose stage allows it (the lifecycle table's
 * `actionsIn(stage)`, never a copy), optionally only one subgroup. Each applied member gets its own
 * Update id derived from the group action's key, so a retried group action applies nothing twice.
 */
export const planGroupAction = (action: GroupAction, members: readonly MemberStage[], key: string, only?: { subgroupId?: string }): MemberStep[] =>
  members.map((m) => {
    if (only?.subgroupId !== undefined && m.subgroupId !== only.subgroupId) return { mobilityId: m.mobilityId, apply: false, reason: `not in subgroup ${only.subgroupId}` };
    if (m.stage === 'none' || !Object.hasOwn(LIFECYCLE, m.stage)) return { mobilityId: m.mobilityId, apply: false, reason: 'no application' };
    if (!actionsIn(m.stage).includes(action)) return { mobilityId: m.mobilityId, apply: false, reason: `stage '${m.stage}' does not allow ${action}` };
    return { mobilityId: m.mobilityId, apply: true, updateId: groupUpdateId(key, action, m.mobilityId) };
  });

/** The Update id of one member's share of a group action. */
export const groupUpdateId = (key: string, action: string, mobilityId: string): string => `group:${key}:${action}:${mobilityId}`;

// ---------- the group's money ----------

/** A member's grant as its workflow holds it: final once attendance is certified, else the estimate, null before selection. */
export interface MemberGrant {
  readonly mobilityId: string;
  readonly accompanyingPerson: boolean;
  readonly grant: Pick<GrantBreakdown, 'totalCents' | 'lines'> | null;
}

/** The group's total: the sum of its members' grants (members not yet selected count 0). */
export const groupTotalCents = (members: readonly MemberGrant[]): Cents => members.reduce((n, m) => n + (m.grant?.totalCents ?? 0), 0);

/** The group's grant lines summed by rule id (each euro still traced to its rule). */
export const groupLinesByRule = (members: readonly MemberGrant[]): { ruleId: string; amountCents: Cents; members: number }[] => {
  const by = new Map<string, { amountCents: number; members: number }>();
  for (const m of members) for (const l of (m.grant?.lines ?? []) as readonly GrantLine[]) {
    const x = by.get(l.ruleId) ?? { amountCents: 0, members: 0 };
    by.set(l.ruleId, { amountCents: x.amountCents + l.amountCents, members: x.members + 1 });
  }
  return [...by.entries()].map(([ruleId, v]) => ({ ruleId, ...v })).sort((a, b) => a.ruleId.localeCompare(b.ruleId));
};
