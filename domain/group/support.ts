import { groupOrganisationalSupport as projectGroupSupport } from '../project/organisational';
import type { Stage } from '../mobility/lifecycle';
import type { Group } from './index';

/** A member as the group's organisational support counts it (its live stage and grant conditions). */
export interface CountedMember {
  readonly mobilityId: string;
  readonly accompanyingPerson: boolean;
  readonly stage: Stage | 'none';
  readonly zeroGrant?: boolean;
}

/** Members that never went (refused, withdrawn, cancelled) are no mobility of the final report; zero-grant mobilities are (§1.8). */
const GONE: readonly string[] = ['rejected', 'withdrawn', 'cancelled', 'none'];

/**
 * The group's organisational support, counted the Beneficiary Module's way by the project's rule
 * (domain/project/organisational.ts `groupOrganisationalSupport`, §1.8: accompanying persons excluded,
 * zero-grant mobilities counted), over the members that are mobilities of the report.
 */
export const groupOrganisationalSupport = (group: Pick<Group, 'groupId' | 'activity'>, members: readonly CountedMember[], callYear: number) => {
  const present = members.filter((m) => !GONE.includes(m.stage));
  const support = projectGroupSupport(
    { groupId: group.groupId, activity: group.activity, callYear },
    present.map((m) => ({ mobilityId: m.mobilityId, activity: group.activity, accompanyingPerson: m.accompanyingPerson, zeroGrant: m.zeroGrant ?? false })),
  );
  const l = support.lines[0]!;
  return {
    ...support,
    /** The group's organisational support in euro cents: the unit cost × the participants counted (the server's figure, never the client's). */
    amountCents: support.totalCents,
    ruleId: l.ruleId,
    basis: l.basis,
    participants: support.counted,
    excludedAccompanying: support.excluded['accompanying-person'],
    notTravelling: members.length - present.length,
  };
};
export type GroupOrganisationalSupport = ReturnType<typeof groupOrganisationalSupport>;
