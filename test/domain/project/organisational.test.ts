import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrantBreakdown } from '../../../domain/grant';
import { type CertifiedParticipant, organisationalSchemeOf, participantSupportLines, projectGrant, receivesRealCostInclusionSupport } from '../../../domain/project';

describe('organisational support and inclusion support for organisations (§1.5)', () => {
  it('KA131: 400 € up to the 100th participant, 230 € above; BIP 400 €; inclusion 125 € (call 2024)', () => {
    // 100 × 400 = 40,000; 30 × 230 = 6,900; 15 × 400 = 6,000; 4 × 125 = 500 → 53,400 €.
    const b = projectGrant({ callYear: 2024, action: 'KA131', participants: 130, bipParticipants: 15, inclusionSupportParticipants: 4 });
    expect(b.totalCents).toBe(5_340_000);
    expect(b.lines.map((l) => [l.ruleId, l.amountCents])).toEqual([
      ['ORG-KA131', 4_000_000], ['ORG-KA131-ABOVE-100', 690_000], ['ORG-KA131-BIP', 600_000], ['ORG-INCLUSION', 50_000],
    ]);
  });

  it('inclusion support for organisations was 100 € before 2024', () => {
    expect(projectGrant({ callYear: 2023, action: 'KA131', participants: 10, inclusionSupportParticipants: 2 }).totalCents).toBe(10 * 40_000 + 2 * 10_000);
  });

  it('KA121/KA122 use the [U] per-participant figure, overridable per project', () => {
    expect(projectGrant({ callYear: 2024, action: 'KA122', participants: 12 }).totalCents).toBe(12 * 10_000);
    expect(projectGrant({ callYear: 2024, action: 'KA122', participants: 12 }, { overrides: { organisational: { ka12xPerParticipant: 12_500 } } }).totalCents).toBe(150_000);
  });

  it('rejects BIPs outside KA131 and more inclusion participants than participants', () => {
    expect(() => projectGrant({ callYear: 2024, action: 'KA121', participants: 5, bipParticipants: 3 })).toThrow(/bipParticipants/);
    expect(() => projectGrant({ callYear: 2024, action: 'KA131', participants: 2, inclusionSupportParticipants: 3 })).toThrow(/inclusionSupportParticipants/);
  });

  it('property: valid breakdown; each extra participant adds 400 € up to 100, then 230 €', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 2021, max: 2030 }), (n, callYear) => {
        const a = GrantBreakdown.parse(projectGrant({ callYear, action: 'KA131', participants: n }));
        const b = projectGrant({ callYear, action: 'KA131', participants: n + 1 });
        expect(b.totalCents - a.totalCents).toBe(n < 100 ? 40_000 : 23_000);
      }),
    );
  });
});

describe('the same support, participant by participant (what the budget projection stores)', () => {
  const at = (day: number) => new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString();
  const participant = (n: number, activity: string, o: { day?: number; callYear?: number; inclusion?: boolean } = {}): CertifiedParticipant => ({
    mobilityId: `P-${String(n).padStart(5, '0')}`, activity, certifiedAt: at(o.day ?? n), fewerOpportunities: o.inclusion ?? false,
    finalGrant: { callYear: o.callYear ?? 2024, lines: o.inclusion ? [{ ruleId: 'GRANT-INCLUSION-REAL-COSTS', amountCents: 30_000 }] : [{ ruleId: 'GRANT-HE-LT', amountCents: 300_000 }] },
  });
  const byRule = (lines: readonly { ruleId: string; amountCents: number }[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l.ruleId, (m.get(l.ruleId) ?? 0) + l.amountCents);
    return [...m].filter(([, c]) => c > 0).sort();
  };

  it('names the scheme of an activity: BIP, other HE under KA131, every other sector under KA121/KA122', () => {
    expect(['HE-SMS', 'HE-SMP', 'HE-STA', 'HE-STT', 'HE-BIP', 'VET-LEARN-ST', 'SCH-PUPIL-GRP'].map(organisationalSchemeOf))
      .toEqual(['ka131', 'ka131', 'ka131', 'ka131', 'bip', 'ka12x', 'ka12x']);
  });

  it('the worked KA131 example: 130 participants + 15 BIP + 4 inclusion, call 2024 = 53,400 €, line by line as projectGrant', () => {
    const ps = [
      ...Array.from({ length: 130 }, (_, i) => participant(i + 1, 'HE-SMS', { inclusion: i < 4 })),
      ...Array.from({ length: 15 }, (_, i) => participant(200 + i, 'HE-BIP')),
    ];
    const lines = participantSupportLines(ps);
    expect(byRule(lines)).toEqual(byRule(projectGrant({ callYear: 2024, action: 'KA131', participants: 130, bipParticipants: 15, inclusionSupportParticipants: 4 }).lines));
    expect(lines.reduce((s, l) => s + l.amountCents, 0)).toBe(5_340_000);
  });

  it('ranks by certification time, not by mobility number: the 101st certified KA131 participant earns 230 €', () => {
    // Mobility 1 is certified last: it is the 101st participant.
    const ps = Array.from({ length: 101 }, (_, i) => participant(i + 1, 'HE-SMS', { day: i === 0 ? 1000 : i }));
    const first = participantSupportLines(ps).find((l) => l.mobilityId === 'P-00001')!;
    expect(first).toMatchObject({ participantRank: 101, ruleId: 'ORG-KA131-ABOVE-100', amountCents: 23_000, kind: 'organisational', scheme: 'ka131' });
    // Same certification time: the mobility id decides.
    const tied = participantSupportLines([participant(2, 'HE-SMS', { day: 5 }), participant(1, 'HE-SMS', { day: 5 })]);
    expect(tied.map((l) => [l.mobilityId, l.participantRank])).toEqual([['P-00001', 1], ['P-00002', 2]]);
  });

  it('prices each participant by the call year of its final grant (inclusion 100 € before 2024)', () => {
    const lines = participantSupportLines([participant(1, 'HE-SMS', { callYear: 2023, inclusion: true }), participant(2, 'HE-SMS', { callYear: 2024, inclusion: true })]);
    expect(lines.filter((l) => l.kind === 'inclusion').map((l) => [l.mobilityId, l.amountCents])).toEqual([['P-00001', 10_000], ['P-00002', 12_500]]);
  });

  it('counts inclusion support for organisations only for fewer-opportunity participants paid real-cost inclusion support', () => {
    const base = participant(1, 'HE-SMS', { inclusion: true });
    expect(receivesRealCostInclusionSupport(base)).toBe(true);
    expect(receivesRealCostInclusionSupport({ ...base, fewerOpportunities: false })).toBe(false);
    expect(receivesRealCostInclusionSupport({ ...base, finalGrant: { callYear: 2024, lines: [{ ruleId: 'GRANT-INCLUSION-REAL-COSTS', amountCents: 0 }] } })).toBe(false);
  });

  it('property: whatever the order given, the lines are the same, and they sum rule by rule to projectGrant for the same counts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2021, max: 2030 }),
        fc.array(fc.record({ activity: fc.constantFrom('HE-SMS', 'HE-STA', 'HE-BIP', 'VET-LEARN-ST'), day: fc.integer({ min: 0, max: 400 }), inclusion: fc.boolean() }), { maxLength: 260 }),
        fc.integer(),
        (callYear, specs, seed) => {
          const ps = specs.map((s, i) => participant(i + 1, s.activity, { day: s.day, callYear, inclusion: s.inclusion }));
          const lines = participantSupportLines(ps);
          const shuffled = fc.sample(fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length }), { seed, numRuns: 1 })[0]!;
          expect(participantSupportLines(shuffled)).toEqual(lines);
          const count = (scheme: string) => ps.filter((p) => organisationalSchemeOf(p.activity) === scheme).length;
          const inclusion = (schemes: string[]) => ps.filter((p) => schemes.includes(organisationalSchemeOf(p.activity)) && receivesRealCostInclusionSupport(p)).length;
          const ka131 = lines.filter((l) => l.scheme !== 'ka12x');
          const ka12x = lines.filter((l) => l.scheme === 'ka12x');
          expect(byRule(ka131)).toEqual(byRule(projectGrant({ callYear, action: 'KA131', participants: count('ka131'), bipParticipants: count('bip'), inclusionSupportParticipants: inclusion(['ka131', 'bip']) }).lines));
          expect(byRule(ka12x)).toEqual(byRule(projectGrant({ callYear, action: 'KA122', participants: count('ka12x'), inclusionSupportParticipants: inclusion(['ka12x']) }).lines));
        },
      ),
      { numRuns: 200 },
    );
  });
});
