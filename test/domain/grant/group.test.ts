import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeMobilityGrant, groupGrant, incomingGrant, type GrantInput } from '../../../domain/grant';

/** §1.8 group mobility: a group's grant is its members' grants. Given / when / then. */
const pupil = (n: number, patch: Partial<GrantInput> = {}) => ({
  mobilityId: `2024-1-FR01-KA121-SCH-000003-MOB-${String(n).padStart(5, '0')}`,
  input: { callYear: 2024, activity: 'SCH-PUPIL-GRP', sendingCountry: 'FR', receivingCountry: 'DE', startDate: '2025-04-07', endDate: '2025-04-16', distanceKm: 900, greenTravel: true, ...patch } as GrantInput,
});

describe('§1.8 group of pupils with accompanying persons', () => {
  it('given 10 pupils and 2 accompanying teachers (10 days, green travel, call 2024), then each member has its grant and the group total is their sum', () => {
    const members = [...Array.from({ length: 10 }, (_, i) => pupil(i + 1)), pupil(11, { accompanyingPerson: true }), pupil(12, { accompanyingPerson: true })];
    const g = groupGrant(members);
    // Pupil: 66.50 €/day (DE group 1) × (10 + 6 green travel) = 14 × 66.50 + 2 × 66.50 × 70 % = 931 + 93.10 = 1,024.10 €, + 417 € green band = 1,441.10 €.
    expect(g.members[0]!.grant.totalCents).toBe(144_110);
    // Teacher: staff 120 €/day: 14 × 120 + 2 × 84 = 1,848 €, + 417 € = 2,265 €.
    expect(g.members[10]!.grant.totalCents).toBe(226_500);
    expect(g.learnersCents).toBe(10 * 144_110);
    expect(g.accompanyingCents).toBe(2 * 226_500);
    expect(g.totalCents).toBe(10 * 144_110 + 2 * 226_500);
    expect(g.byRule.find((r) => r.ruleId === 'GRANT-TRAVEL-GREEN')).toEqual({ ruleId: 'GRANT-TRAVEL-GREEN', amountCents: 12 * 41_700, members: 12 });
    // Two funding subgroups: learners, accompanying persons.
    expect(new Set(g.members.map((m) => m.subgroup)).size).toBe(2);
  });

  it('given a subgroup with fewer opportunities and other dates, then it is funded apart (its own subgroup key)', () => {
    const g = groupGrant([pupil(1), pupil(2), pupil(3, { fewerOpportunities: true, endDate: '2025-04-18' })]);
    expect(g.members.map((m) => m.subgroup)).toEqual(['funding-1', 'funding-1', 'funding-2']);
  });

  it('property: a group total is always the sum of its members\' grants, each as computed alone', () => {
    const member = fc.record({
      accompanyingPerson: fc.boolean(), days: fc.integer({ min: 2, max: 30 }), distanceKm: fc.integer({ min: 0, max: 9_000 }), greenTravel: fc.boolean(),
      fewer: fc.boolean(), activity: fc.constantFrom('SCH-PUPIL-GRP', 'VET-GROUP', 'ADU-LEARN-GRP'), country: fc.constantFrom('DE', 'PL', 'ES', 'SE', 'TR'),
    });
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 25 }), fc.integer({ min: 2021, max: 2028 }), (ms, callYear) => {
        const members = ms.map((m, i) => ({
          mobilityId: `M-${i}`,
          input: { callYear, activity: m.activity, sendingCountry: 'FR', receivingCountry: m.country, durationDays: m.days, distanceKm: m.distanceKm, greenTravel: m.greenTravel,
            accompanyingPerson: m.accompanyingPerson, fewerOpportunities: m.accompanyingPerson ? undefined : m.fewer } as GrantInput,
        }));
        const g = groupGrant(members);
        const alone = members.map((m) => computeMobilityGrant(m.input).totalCents);
        expect(g.totalCents).toBe(alone.reduce((a, b) => a + b, 0));
        expect(g.learnersCents + g.accompanyingCents).toBe(g.totalCents);
        expect(g.byRule.reduce((s, r) => s + r.amountCents, 0)).toBe(g.totalCents);
      }),
      { numRuns: 200 },
    );
  });
});

describe('incoming mobilities (issue 14 item 3)', () => {
  it('given an incoming student, then nothing from this budget: one traceable 0 € line', () => {
    expect(incomingGrant(2024)).toMatchObject({ totalCents: 0, days: 0, lines: [{ ruleId: 'GRANT-INCOMING-NONE', amountCents: 0 }] });
  });
});
