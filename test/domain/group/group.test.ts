import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Group, groupLinesByRule, groupTotalCents, groupUpdateId, type MemberGrant, memberPlan, NewGroup, planGroupAction,
} from '../../../domain/group';
import { groupOrganisationalSupport } from '../../../domain/group/support';
import { decide, evolve, foldEvents, initialState, isRejection, type OpenMobility, parseEvent, plannedGrant, finalGrant } from '../../../domain/mobility';
import { history, spec, submit } from '../mobility/fixtures';

/**
 * Group activities and the application's group fields (reference §1.8: accompanying persons, group
 * mobility, subgroups, KA121 organisational support; §1.4 course fees), given / when / then.
 */
const SCH = { projectId: '2024-1-FR01-KA121-SCH-000003', institutionId: 'F-ACAD-003', activity: 'SCH-PUPIL-GRP' as const, funderLineId: 'EU-KA121-2024' };
const pupilsTrip = { startDate: '2025-05-12', endDate: '2025-05-16', receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN01', distanceKm: 1050, greenTravel: false, fewerOpportunities: false };
const stateOf = (plan: Parameters<typeof submit>[0], extra: Parameters<typeof submit>[1] = {}): OpenMobility =>
  foldEvents(history([submit(plan, extra)])) as OpenMobility;

describe('SubmitApplication with the group fields (ApplicationSubmitted v2)', () => {
  it('given nothing, when an accompanying person of a pupils group applies, then the event carries the flag and the group, never a criterion', () =>
    spec.given([]).when(submit({ ...pupilsTrip, accompanyingPerson: true }, { ...SCH, groupId: `${SCH.projectId}-GRP-001` })).thenMatches([{
      type: 'ApplicationSubmitted', version: 2,
      payload: { groupId: `${SCH.projectId}-GRP-001`, plan: { accompanyingPerson: true, courseDays: null, virtualComponent: null, fewerOpportunities: false } },
    }]));

  it('given nothing, when a staff course applies with its course days, then the plan carries them; an application without the fields carries explicit defaults', () => {
    spec.given([]).when(submit({ ...pupilsTrip, courseDays: 5 }, { ...SCH, activity: 'VET-STAFF-CO' })).thenMatches([{ payload: { groupId: null, plan: { courseDays: 5, accompanyingPerson: false } } }]);
    spec.given([]).when(submit()).thenMatches([{ version: 2, payload: { groupId: null, plan: { accompanyingPerson: false, courseDays: null, virtualComponent: null } } }]);
  });

  it('the state knows its group (identity.groupId) and its plan facts', () => {
    const s = stateOf({ ...pupilsTrip, accompanyingPerson: true }, { ...SCH, groupId: `${SCH.projectId}-GRP-002` });
    expect(s.identity.groupId).toBe(`${SCH.projectId}-GRP-002`);
    expect(s.plan.accompanyingPerson).toBe(true);
  });

  it('a v1 application read back (upcast) folds into a state without a group', () => {
    const [e] = history([submit()]);
    const p = e!.payload as Record<string, unknown> & { plan: Record<string, unknown> };
    const { groupId: _g, plan: { accompanyingPerson: _a, courseDays: _c, virtualComponent: _v, ...plan }, ...rest } = p;
    const read = parseEvent({ type: 'ApplicationSubmitted', version: 1, payload: { ...rest, plan } });
    expect(isRejection(read as never)).toBe(false);
    const s = evolve(initialState, read as never) as OpenMobility;
    expect(s.identity.groupId).toBeNull();
    expect(s.plan).toEqual(e!.type === 'ApplicationSubmitted' ? e!.payload.plan : null);
  });
});

describe('the grant of group and staff-course mobilities (grantFor threads the application fields)', () => {
  it('given an accompanying person of SCH-PUPIL-GRP, when the grant is estimated, then it is paid at the staff rate (§1.8), not the pupils\' rate', () => {
    const rates = { callYear: 2024, rates: { dailyEur: 191 } };
    const companion = plannedGrant(stateOf({ ...pupilsTrip, accompanyingPerson: true }, SCH), rates);
    const pupil = plannedGrant(stateOf(pupilsTrip, SCH), { callYear: 2024, rates: { dailyEur: 85 } });
    const days = companion.lines.find((l) => l.ruleId === 'GRANT-ACCOMP-DAYS-1-14');
    expect(days?.amountCents).toBe(191_00 * companion.days);
    expect(companion.lines.some((l) => l.ruleId.startsWith('GRANT-LEARNER') || l.item.includes('pupil'))).toBe(false);
    expect(pupil.lines.some((l) => l.ruleId === 'GRANT-ACCOMP-DAYS-1-14')).toBe(false);
    // Travel by band, as for everyone (§1.8 "plus travel by band").
    expect(companion.lines.find((l) => l.ruleId.startsWith('GRANT-TRAVEL'))?.amountCents).toBe(pupil.lines.find((l) => l.ruleId.startsWith('GRANT-TRAVEL'))?.amountCents);
  });

  it('given a 5-course-day VET staff course in Italy (call 2024), when the grant is estimated, then a course-fee line of 5 × 80 € = 400 € is added (§1.8)', () => {
    const course = { ...pupilsTrip, receivingCountry: 'IT', hostOrgId: 'I-ROMA01', courseDays: 5 };
    const g = plannedGrant(stateOf(course, { ...SCH, activity: 'VET-STAFF-CO' }), { callYear: 2024 });
    const without = plannedGrant(stateOf({ ...course, courseDays: undefined }, { ...SCH, activity: 'VET-STAFF-CO' }), { callYear: 2024 });
    expect(g.lines.find((l) => l.ruleId === 'GRANT-COURSE-FEES')?.amountCents).toBe(40_000);
    expect(g.totalCents - without.totalCents).toBe(40_000);
  });

  it('the final grant keeps the accompanying person\'s staff rate after an interruption', () => {
    const s = stateOf({ ...pupilsTrip, accompanyingPerson: true }, SCH);
    const g = finalGrant(s, { callYear: 2024, rates: { dailyEur: 191 } }, { actualStartDate: '2025-05-12', actualEndDate: '2025-05-15' });
    expect(g.lines.find((l) => l.ruleId === 'GRANT-ACCOMP-DAYS-1-14')?.amountCents).toBe(191_00 * g.days);
  });
});

describe('a group and its members', () => {
  const group: Group = {
    groupId: `${SCH.projectId}-GRP-001`, projectId: SCH.projectId, institutionId: SCH.institutionId, consortiumId: null, siteId: null,
    activity: 'SCH-PUPIL-GRP', funderLineId: SCH.funderLineId,
    plan: { startDate: '2025-05-12', endDate: '2025-05-16', sendingCountry: 'FR', receivingCountry: 'DE', hostOrgId: 'D-BERLIN01', distanceKm: 1050, greenTravel: false },
    subgroups: [{ subgroupId: 'train', greenTravel: true, endDate: '2025-05-17' }, { subgroupId: 'fo', fewerOpportunities: true }],
  };

  it('given subgroups, when a member\'s plan is made, then its subgroup\'s dates, transport and fewer opportunities apply — never fewer opportunities to an accompanying person (§1.8)', () => {
    expect(memberPlan(group, { accompanyingPerson: false })).toMatchObject({ startDate: '2025-05-12', endDate: '2025-05-16', greenTravel: false, fewerOpportunities: false });
    expect(memberPlan(group, { accompanyingPerson: false, subgroupId: 'train' })).toMatchObject({ endDate: '2025-05-17', greenTravel: true });
    expect(memberPlan(group, { accompanyingPerson: false, subgroupId: 'fo' })).toMatchObject({ fewerOpportunities: true });
    expect(memberPlan(group, { accompanyingPerson: true, subgroupId: 'fo' })).toMatchObject({ fewerOpportunities: false, accompanyingPerson: true });
  });

  it('refuses a group naming its faulty field: a participant twice, an unknown subgroup, inverted dates', () => {
    const r = NewGroup.safeParse({
      institutionId: 'F-ACAD-003', activity: 'SCH-PUPIL-GRP', funderLineId: 'EU', plan: { ...group.plan, endDate: '2025-05-01' },
      subgroups: [{ subgroupId: 'a' }],
      members: [{ participantRef: 'P-AAAAAAAAAAAA', accompanyingPerson: false }, { participantRef: 'P-AAAAAAAAAAAA', accompanyingPerson: false, subgroupId: 'b' }],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['members.1.participantRef', 'members.1.subgroupId', 'plan.endDate']);
    expect(NewGroup.safeParse({ institutionId: 'F-ACAD-003', activity: 'HE-SMS', funderLineId: 'EU', plan: group.plan }).error?.issues[0]?.path).toEqual(['activity']);
  });

  it('given members in several stages, when staff select the group, then only those whose stage allows it are planned, each under its own update id', () => {
    const steps = planGroupAction('select', [
      { mobilityId: 'M1', stage: 'applied', subgroupId: null },
      { mobilityId: 'M2', stage: 'selected', subgroupId: null },
      { mobilityId: 'M3', stage: 'applied', subgroupId: 'train' },
    ], 'k1');
    expect(steps).toEqual([
      { mobilityId: 'M1', apply: true, updateId: groupUpdateId('k1', 'select', 'M1') },
      { mobilityId: 'M2', apply: false, reason: "stage 'selected' does not allow select" },
      { mobilityId: 'M3', apply: true, updateId: groupUpdateId('k1', 'select', 'M3') },
    ]);
    expect(planGroupAction('select', [{ mobilityId: 'M1', stage: 'applied', subgroupId: null }], 'k1', { subgroupId: 'train' })[0]).toMatchObject({ apply: false });
    // The same key gives the same update ids: a retried group action applies nothing twice.
    expect(planGroupAction('select', [{ mobilityId: 'M1', stage: 'applied', subgroupId: null }], 'k1')).toEqual(planGroupAction('select', [{ mobilityId: 'M1', stage: 'applied', subgroupId: null }], 'k1'));
  });

  it('organisational support counts the learners, not the accompanying persons; zero-grant mobilities count, withdrawn ones do not (§1.8)', () => {
    const s = groupOrganisationalSupport(group, [
      { mobilityId: 'M1', accompanyingPerson: false, stage: 'attended' },
      { mobilityId: 'M2', accompanyingPerson: false, stage: 'recognised' },
      { mobilityId: 'M3', accompanyingPerson: false, stage: 'withdrawn' },
      { mobilityId: 'M4', accompanyingPerson: true, stage: 'attended' },
    ], 2024);
    expect(s.participants).toBe(2);
    expect(s.excludedAccompanying).toBe(1);
    expect(s.totalCents).toBe(s.lines.reduce((n, l) => n + l.amountCents, 0));
  });

  it('given a call 2024 pupils group of two counted pupils, when its organisational support is asked, then it is the KA121/KA122 unit cost × 2 in euros, with its rule and basis', () => {
    const s = groupOrganisationalSupport(group, [
      { mobilityId: 'M1', accompanyingPerson: false, stage: 'attended' },
      { mobilityId: 'M2', accompanyingPerson: false, stage: 'selected', zeroGrant: true },
      { mobilityId: 'M3', accompanyingPerson: true, stage: 'attended' },
    ], 2024);
    expect(s.unitCents).toBe(100_00);
    expect(s.amountCents).toBe(200_00);
    expect(s.totalCents).toBe(200_00);
    expect(s.callYear).toBe(2024);
    expect(s.ruleId).toBe('ORG-KA12X');
    expect(s.basis).toMatch(/^100\.00 € × 2 participants of group .*-GRP-001 \(SCH-PUPIL-GRP\); accompanying persons excluded \(1\).*zero-grant mobilities counted \(1\).*call 2024/);
  });
});

describe('property: a group\'s organisational support is the unit cost × the learners who travel', () => {
  const stage = fc.constantFrom('applied', 'selected', 'attended', 'recognised', 'withdrawn', 'cancelled', 'rejected', 'none');
  it('for random members, never an accompanying person or a member who did not go; the amount is unit × counted, to the cent', () => {
    fc.assert(fc.property(fc.array(fc.record({ accompanyingPerson: fc.boolean(), stage, zeroGrant: fc.boolean() }), { maxLength: 40 }), fc.integer({ min: 2021, max: 2026 }), (ms, callYear) => {
      const group = { groupId: `${SCH.projectId}-GRP-002`, activity: 'VET-GROUP' as const };
      const s = groupOrganisationalSupport(group, ms.map((m, i) => ({ mobilityId: `M${i}`, ...m, stage: m.stage as never })), callYear);
      const counted = ms.filter((m) => !m.accompanyingPerson && !['withdrawn', 'cancelled', 'rejected', 'none'].includes(m.stage)).length;
      expect(s.participants).toBe(counted);
      expect(s.unitCents).not.toBeNull();
      expect(s.amountCents).toBe(s.unitCents! * counted);
      expect(s.amountCents).toBe(s.lines.reduce((n, l) => n + l.amountCents, 0));
    }), { numRuns: 100 });
  });
});

describe('property: a group\'s total is the sum of its members\' grants', () => {
  const member = fc.record({
    accompanyingPerson: fc.boolean(),
    days: fc.integer({ min: 2, max: 30 }),
    green: fc.boolean(),
    fewer: fc.boolean(),
    km: fc.integer({ min: 100, max: 4000 }),
    country: fc.constantFrom('DE', 'IT', 'ES', 'PL', 'SE'),
  });
  it('for random members (learners and accompanying persons, random subgroups), the total and the per-rule lines both sum the members\' grants, to the cent', () => {
    fc.assert(fc.property(fc.array(member, { minLength: 1, maxLength: 12 }), (ms) => {
      const grants: MemberGrant[] = ms.map((m, i) => {
        const end = new Date(Date.UTC(2025, 4, 12 + m.days - 1)).toISOString().slice(0, 10);
        const s = stateOf({ ...pupilsTrip, receivingCountry: m.country, endDate: end, greenTravel: m.green, distanceKm: m.km,
          fewerOpportunities: m.accompanyingPerson ? false : m.fewer, accompanyingPerson: m.accompanyingPerson || undefined }, SCH);
        const d = decide({ type: 'SelectParticipant', mobilityId: s.identity.mobilityId, actor: 'staff-1', at: '2025-04-01T09:00:00Z', estimatedGrant: plannedGrant(s, { callYear: 2024 }) }, s);
        if (isRejection(d)) throw new Error(d.reason);
        const selected = d.reduce(evolve, s as never) as OpenMobility & { selection: { estimatedGrant: MemberGrant['grant'] } };
        return { mobilityId: `M${i}`, accompanyingPerson: m.accompanyingPerson, grant: selected.selection.estimatedGrant };
      });
      const sum = grants.reduce((n, g) => n + g.grant!.totalCents, 0);
      expect(groupTotalCents(grants)).toBe(sum);
      expect(groupLinesByRule(grants).reduce((n, l) => n + l.amountCents, 0)).toBe(sum);
      expect(groupTotalCents([...grants, { mobilityId: 'X', accompanyingPerson: false, grant: null }])).toBe(sum);
    }), { numRuns: 60 });
  });
});
