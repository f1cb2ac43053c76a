import { describe, expect, it } from 'vitest';
import { groupOrganisationalSupport, participantSupportLines, type CertifiedParticipant } from '../../../domain/project';

/** §1.8 KA121 organisational support counted the Beneficiary Module's way. Given / when / then. */
const members = [
  ...Array.from({ length: 10 }, (_, i) => ({ mobilityId: `P${i}`, activity: 'SCH-PUPIL-GRP', zeroGrant: i === 9 })),
  { mobilityId: 'T1', activity: 'SCH-PUPIL-GRP', accompanyingPerson: true },
  { mobilityId: 'T2', activity: 'SCH-PUPIL-GRP', accompanyingPerson: true },
  { mobilityId: 'P10', activity: 'SCH-PUPIL-GRP', organisationalSupportNotRequested: true },
];

describe('§1.8 organisational support of a group activity', () => {
  it('given 11 pupils (one zero-grant, one "not requested") and 2 accompanying persons, then 10 participants are counted', () => {
    const b = groupOrganisationalSupport({ groupId: 'G-GRP-001', activity: 'SCH-PUPIL-GRP', callYear: 2024 }, members);
    expect(b.counted).toBe(10);
    expect(b.excluded).toEqual({ 'accompanying-person': 2, 'not-requested': 1, 'preparatory-visit': 0 });
    expect(b.lines).toEqual([expect.objectContaining({ ruleId: 'ORG-KA12X', amountCents: 10 * 10_000 })]);
    expect(b.lines[0]!.basis).toMatch(/accompanying persons excluded \(2\), "organisational support not requested" excluded \(1\), zero-grant mobilities counted \(1\); §1\.8/);
  });

  it("given the group activity's own organisational-support amount (pupils, adult learners), then that amount is the line", () => {
    const b = groupOrganisationalSupport({ groupId: 'G-GRP-001', activity: 'SCH-PUPIL-GRP', callYear: 2024, groupAmountEur: 1_250 }, members);
    expect(b.lines).toEqual([expect.objectContaining({ ruleId: 'ORG-GROUP', amountCents: 125_000 })]);
    expect(b.totalCents).toBe(125_000);
  });

  it('given certified participants with accompanying persons and "not requested", then participantSupportLines leaves them out and ranks the rest', () => {
    const at = (i: number) => `2025-05-0${i}T10:00:00Z`;
    const p = (id: string, i: number, extra: Partial<CertifiedParticipant> = {}): CertifiedParticipant =>
      ({ mobilityId: id, activity: 'VET-GROUP', certifiedAt: at(i), fewerOpportunities: false, finalGrant: { callYear: 2024, lines: [] }, ...extra });
    const lines = participantSupportLines([p('A', 1), p('B', 2, { accompanyingPerson: true }), p('C', 3, { organisationalSupportNotRequested: true }), p('D', 4), p('E', 5, { activity: 'VET-PREP-VISIT' })]);
    expect(lines.map((l) => [l.mobilityId, l.participantRank])).toEqual([['A', 1], ['D', 2]]);
  });
});
