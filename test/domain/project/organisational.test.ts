import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrantBreakdown } from '../../../domain/grant';
import { projectGrant } from '../../../domain/project';

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
