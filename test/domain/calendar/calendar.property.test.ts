import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RULES, addMonthsClamped, deadlinesFor, nextReminderAllowed, reportReminders,
  type DatedFact, type MobilityFactsInput, type PolicyOverrides,
} from '../../../domain/calendar';

// Test-side date helpers, written independently of the domain helper.
const DAY = 86_400_000;
const BASE = Date.UTC(2024, 0, 1);
const iso = (offset: number) => new Date(BASE + offset * DAY).toISOString().slice(0, 10);
const days = (a: string, b: string) => (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY;
const arbDate = fc.integer({ min: 0, max: 4 * 365 }).map(iso);

const DATED: DatedFact[] = [
  'agreementSignedByParticipant', 'agreementSignedByInstitution', 'startDate', 'endDate', 'termStartDate',
  'laChangeRequestedAt', 'laChangeDecidedAt', 'extensionRequestedAt', 'reportInvitedAt', 'reportSubmittedAt',
  'resultsPublishedAt', 'transcriptReceivedAt', 'recognitionRecordedAt', 'prefinancingPaidAt', 'balanceSettledAt',
];

/** Any combination of facts (even out of order in time), except the schema's own rule startDate ≤ endDate. */
const arbFacts: fc.Arbitrary<MobilityFactsInput> = fc
  .record({ dates: fc.record(Object.fromEntries(DATED.map((k) => [k, arbDate])) as Record<DatedFact, fc.Arbitrary<string>>, { requiredKeys: [] }), expectsTranscript: fc.boolean() })
  .map(({ dates, expectsTranscript }) => {
    const f: MobilityFactsInput = { ...dates, expectsTranscript };
    if (f.startDate && f.endDate && f.startDate > f.endDate) [f.startDate, f.endDate] = [f.endDate, f.startDate];
    return f;
  });

const arbPolicy: fc.Arbitrary<PolicyOverrides> = fc.record({
  prefinancingDays: fc.integer({ min: 0, max: 90 }),
  prefinancingPercent: fc.integer({ min: 70, max: 100 }),
  laChangeWeeks: fc.integer({ min: 2, max: 5 }),
  laApprovalWeeks: fc.integer({ min: 1, max: 5 }),
  extensionNoticeMonths: fc.integer({ min: 1, max: 6 }),
  reportInvitationOffsetDays: fc.integer({ min: 0, max: 60 }),
  reportDays: fc.integer({ min: 1, max: 90 }),
  torWeeks: fc.integer({ min: 1, max: 15 }),
  recognitionWeeks: fc.integer({ min: 1, max: 15 }),
  balanceDays: fc.integer({ min: 1, max: 90 }),
}, { requiredKeys: [] });

const RUNS = { numRuns: 500 };

describe('deadline calendar invariants (property)', () => {
  it('a due date never precedes its trigger (notice periods end strictly before theirs)', () => {
    fc.assert(fc.property(arbFacts, arbPolicy, arbDate, (facts, policy, now) => {
      for (const d of deadlinesFor(facts, { now, policy })) {
        if (d.trigger.relation === 'after') expect(d.dueDate >= d.trigger.date).toBe(true);
        else expect(d.dueDate < d.trigger.date).toBe(true);
      }
    }), RUNS);
  });

  it('adding facts never removes a deadline already derivable (ids only grow; dates may move, e.g. a known start pulls pre-financing earlier)', () => {
    const arbPair = arbFacts.chain((full) => fc.subarray(DATED).map((drop) => {
      const partial: MobilityFactsInput = { ...full };
      for (const k of drop) delete partial[k];
      return { full, partial };
    }));
    fc.assert(fc.property(arbPair, arbPolicy, arbDate, ({ full, partial }, policy, now) => {
      const before = deadlinesFor(partial, { now, policy }).map((d) => d.id);
      const after = new Set(deadlinesFor(full, { now, policy }).map((d) => d.id));
      for (const id of before) expect(after.has(id)).toBe(true);
    }), RUNS);
  });

  it('status: met iff fulfilled on or before the due date; otherwise missed (days late), open, or a lapsed window', () => {
    fc.assert(fc.property(arbFacts, arbPolicy, arbDate, (facts, policy, now) => {
      for (const d of deadlinesFor(facts, { now, policy })) {
        const rule = RULES.find((r) => r.id === d.id)!;
        // The agreement counts as signed on the later of the two signatures when no date of its own is given.
        const bothSigned = facts.agreementSignedByParticipant && facts.agreementSignedByInstitution
          ? [facts.agreementSignedByParticipant, facts.agreementSignedByInstitution].sort()[1] : undefined;
        const known = (facts[rule.fulfilledBy] as string | undefined) ?? (rule.fulfilledBy === 'agreementSignedAt' ? bothSigned : undefined);
        expect(d.fulfilledAt).toBe(known ?? null);
        expect(d.status === 'met').toBe(d.fulfilledAt !== null && d.fulfilledAt <= d.dueDate);
        expect(d.status === 'open').toBe(d.fulfilledAt === null && now <= d.dueDate);
        if (d.status === 'lapsed') expect(d.kind === 'window' && d.fulfilledAt === null && now > d.dueDate).toBe(true);
        if (d.status === 'missed') expect(d.daysLate).toBe(days(d.dueDate, d.fulfilledAt ?? now));
        else expect(d.daysLate).toBe(0);
        if (d.status === 'missed') expect(d.daysLate).toBeGreaterThan(0);
      }
    }), RUNS);
  });

  it('one month of notice lies 28–31 days before the end date; the day of month is kept unless clamped to month end', () => {
    fc.assert(fc.property(arbDate, fc.integer({ min: -24, max: 24 }), (date, months) => {
      const back = addMonthsClamped(date, -1);
      expect(days(back, date)).toBeGreaterThanOrEqual(28);
      expect(days(back, date)).toBeLessThanOrEqual(31);
      const moved = addMonthsClamped(date, months);
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const [my, mm, md] = moved.split('-').map(Number) as [number, number, number];
      expect(my * 12 + mm - (y * 12 + m)).toBe(months);
      const lastDay = new Date(Date.UTC(my, mm, 0)).getUTCDate();
      expect(md).toBe(Math.min(d, lastDay));
    }), RUNS);
  });

  it('planned report reminders are strictly increasing, after the invitation, before submission, escalation last', () => {
    fc.assert(fc.property(arbFacts, arbPolicy, (facts, policy) => {
      const list = reportReminders(facts, { policy });
      const invitation = facts.reportInvitedAt ?? (facts.endDate ? iso(days('2024-01-01', facts.endDate) + (policy.reportInvitationOffsetDays ?? 0)) : undefined);
      for (const [i, r] of list.entries()) {
        expect(r.date > invitation!).toBe(true);
        if (facts.reportSubmittedAt) expect(r.date < facts.reportSubmittedAt).toBe(true);
        if (i > 0) expect(r.date > list[i - 1]!.date).toBe(true);
        if (r.kind === 'escalation') expect(i).toBe(list.length - 1);
      }
    }), RUNS);
  });
});

describe('reminder throttle (property, §2 [V S19])', () => {
  // attempts: increasing instants, minute resolution, over ~10 days
  const arbAttempts = fc.uniqueArray(fc.integer({ min: 0, max: 10 * 24 * 60 }), { minLength: 1, maxLength: 60 }).map((xs) => xs.sort((a, b) => a - b));
  const at = (minute: number) => new Date(Date.UTC(2025, 6, 1) + minute * 60_000).toISOString();

  it('sending whenever allowed never yields two reminders within 24 h, and never refuses once 24 h have passed', () => {
    fc.assert(fc.property(arbAttempts, (attempts) => {
      let last: number | null = null;
      for (const minute of attempts) {
        const r = nextReminderAllowed(last === null ? null : at(last), at(minute));
        if (last !== null && minute - last < 24 * 60) {
          expect(r.allowed).toBe(false);
          if (!r.allowed) expect(Date.parse(r.notBefore)).toBe(Date.parse(at(last)) + DAY);
        } else expect(r.allowed).toBe(true);
        if (r.allowed) {
          if (last !== null) expect(minute - last).toBeGreaterThanOrEqual(24 * 60);
          last = minute;
        }
      }
    }), RUNS);
  });
});
