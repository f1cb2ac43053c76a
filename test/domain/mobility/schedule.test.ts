import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, Policy } from '../../../domain/calendar/policy';
import {
  type MobilityCommand, type MobilityEvent, type MobilityState, alarmEffect, calendarFacts, decide, evolve, initialState, isRejection,
  liveDeadlines, nextDeadline, plannedAlarms, prefinancingPayment, settlement,
} from '../../../domain/mobility';
import { cmd, estimatedGrant, shorterFinalGrant, submit } from './fixtures';

/** Run commands under a policy, like the workflow does; returns the states after each command and every event. */
const run = (commands: readonly MobilityCommand[], policy: Policy) => {
  let state: MobilityState = initialState;
  const events: MobilityEvent[] = [];
  const states: MobilityState[] = [];
  for (const c of commands) {
    const r = decide(c, state, policy);
    if (isRejection(r)) throw new Error(`${c.type} rejected: ${r.reason}`);
    events.push(...r);
    state = r.reduce(evolve, state);
    states.push(state);
  }
  return { state, events, states };
};
const eventOf = <T extends MobilityEvent['type']>(events: MobilityEvent[], type: T) => events.find((e) => e.type === type) as Extract<MobilityEvent, { type: T }>;
const overdueOn = (s: MobilityState, policy: Policy, id: string, now: string) =>
  plannedAlarms(s, policy, now, { escalateOverdueReport: true }).find((a) => a.deadlineId === id && a.kind === 'overdue');

const arbPolicy = fc.record({
  prefinancingDays: fc.integer({ min: 0, max: 90 }),
  prefinancingPercent: fc.integer({ min: 70, max: 100 }),
  reportDays: fc.integer({ min: 1, max: 90 }),
  torWeeks: fc.integer({ min: 1, max: 15 }),
  recognitionWeeks: fc.integer({ min: 1, max: 15 }),
  balanceDays: fc.integer({ min: 1, max: 90 }),
  reminderLeadDays: fc.integer({ min: 1, max: 30 }),
}, { requiredKeys: [] }).map((o) => Policy.parse(o));

/** A study mobility from application to report under `policy`, with a shorter final grant when `shorter` (a recovery or a smaller balance). */
const lifecycle = (policy: Policy, signOffset: number, reportDelay: number, shorter: boolean) => {
  const signed = `2025-06-${String(1 + signOffset).padStart(2, '0')}`;
  const reportOn = `2026-02-${String(2 + reportDelay).padStart(2, '0')}`;
  const head = [submit(), cmd('SelectParticipant', '2025-04-01', { estimatedGrant }), cmd('SignAgreement', '2025-06-30', { participantSignedOn: signed, institutionSignedOn: signed, prefinancingPercent: policy.prefinancingPercent })];
  const agreed = run(head, policy).state;
  const pre = prefinancingPayment(agreed, { at: '2025-06-30T10:00:00Z', actor: 'system:workflow' });
  return {
    pre,
    commands: [
      ...head, ...(pre ? [pre.command] : []),
      cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' }),
      cmd('RecordCertificateOfAttendance', '2026-02-01', { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', finalGrant: shorter ? shorterFinalGrant : estimatedGrant }),
      cmd('InviteParticipantReport', '2026-02-01', {}),
      cmd('RecordParticipantReportSubmitted', reportOn, { submittedOn: reportOn }),
    ],
  };
};

describe('one deadline model, one policy: event due dates = timer dates = payment due dates', () => {
  it('for random policies, every due date the events carry is the calendar\'s, its overdue timer fires the day after, and payments are due on it', () => {
    fc.assert(fc.property(arbPolicy, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.boolean(), (policy, signOffset, reportDelay, shorter) => {
      const { pre, commands } = lifecycle(policy, signOffset, reportDelay, shorter);
      const { events, states } = run(commands, policy);
      const dayAfter = (d: string) => `${new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)}T00:00:00.000Z`;

      // Pre-financing: AgreementSigned.prefinancingDueOn = the calendar's = the payment order's = the overdue timer − 1 day.
      const signedState = states[2]!;
      const signedEvent = eventOf(events, 'AgreementSigned');
      const preDeadline = liveDeadlines(signedState, policy, '2025-06-30').find((d) => d.id === 'prefinancing-payment')!;
      expect(signedEvent.payload.prefinancingDueOn).toBe(preDeadline.dueDate);
      expect(overdueOn(signedState, policy, 'prefinancing-payment', '2025-06-30T10:00:00Z')?.at).toBe(dayAfter(preDeadline.dueDate));
      expect(pre?.dueDate).toBe(preDeadline.dueDate);
      expect(eventOf(events, 'PaymentOrdered').payload.dueOn).toBe(preDeadline.dueDate);

      // Participant report: the invitation's dueOn = the calendar's = the overdue timer − 1 day (invitation + policy.reportDays).
      const invited = states[states.length - 2]!;
      const invitation = eventOf(events, 'ParticipantReportInvited');
      const report = liveDeadlines(invited, policy, '2026-02-01').find((d) => d.id === 'participant-report')!;
      expect(invitation.payload.dueOn).toBe(report.dueDate);
      expect(overdueOn(invited, policy, 'participant-report', '2026-02-01T10:00:00Z')?.at).toBe(dayAfter(report.dueDate));
      expect(eventOf(events, 'ParticipantReportSubmitted').payload.dueOn).toBe(report.dueDate);

      // Settlement: the balance or recovery is due on the calendar's balance-payment date, and so is its event.
      const reported = states[states.length - 1]!;
      const at = `${(reported as { report: { submittedOn: string } }).report.submittedOn}T12:00:00Z`;
      const pay = settlement(reported, policy, { at, actor: 'system:workflow' });
      const balance = liveDeadlines(reported, policy, at.slice(0, 10)).find((d) => d.id === 'balance-payment')!;
      expect(overdueOn(reported, policy, 'balance-payment', at)?.at ?? null).toBe(pay ? dayAfter(balance.dueDate) : null);
      if (pay) {
        expect(pay.dueDate).toBe(balance.dueDate);
        const ordered = decide(pay.command, reported, policy);
        if (isRejection(ordered)) throw new Error(ordered.reason);
        const e = ordered[0]!;
        if (e.type === 'PaymentOrdered') expect(e.payload.dueOn).toBe(balance.dueDate);
        // Once ordered, the settlement deadline is met and its overdue timer is gone.
        const settled = ordered.reduce(evolve, reported);
        expect(liveDeadlines(settled, policy, at.slice(0, 10)).find((d) => d.id === 'balance-payment')?.status).toBe('met');
        expect(overdueOn(settled, policy, 'balance-payment', at)).toBeUndefined();
      }
    }), { numRuns: 300 });
  });
});

describe('the schedule (given a state, a policy and an instant)', () => {
  const policy = DEFAULT_POLICY;
  const states = run(lifecycle(policy, 4, 0, false).commands, policy).states;
  const [, selected, agreed, prefinanced, departed, attended, invited, reported] = states as MobilityState[];

  it('calendar facts come from the state alone (no shadow copy): pre-financing paid on its order date', () => {
    expect(calendarFacts(prefinanced!)).toMatchObject({ prefinancingPaidAt: '2025-06-30', agreementSignedByParticipant: '2025-06-05', prefinancingPercent: 80 });
    expect(calendarFacts(selected!)).not.toHaveProperty('agreementSignedByParticipant');
  });

  it('live deadlines follow the lifecycle table: the pre-departure ones before signature, nothing after the end before attendance but the certificate', () => {
    expect(liveDeadlines(selected!, policy, '2025-05-01').map((d) => [d.id, d.dueDate])).toEqual([
      ['agreement-signature', '2025-08-18'], ['insurance-travel', '2025-08-25'], ['ols-assessment', '2025-08-31'],
    ]);
    expect(liveDeadlines(selected!, Policy.parse({ preDepartureDeadlines: false }), '2025-05-01')).toEqual([]);
    expect(liveDeadlines(agreed!, policy, '2025-06-30').map((d) => d.id)).toEqual(['prefinancing-payment', 'insurance-travel', 'ols-assessment']);
    expect(liveDeadlines(agreed!, Policy.parse({ preDepartureDeadlines: false }), '2025-06-30').map((d) => d.id)).toEqual(['prefinancing-payment']);
    expect(liveDeadlines(departed!, policy, '2025-09-02').find((d) => d.id === 'certificate-of-attendance')).toMatchObject({ dueDate: '2026-02-07', audience: 'host', status: 'open' });
    expect(liveDeadlines(attended!, policy, '2026-02-01').map((d) => d.id)).not.toContain('certificate-of-attendance');
    expect(liveDeadlines(departed!, policy, '2025-09-02').map((d) => d.id)).not.toContain('participant-report');
    expect(liveDeadlines(attended!, policy, '2026-02-01').map((d) => d.id)).toContain('transcript-of-records');
  });

  it('the next deadline is the first open one, labelled for people', () => {
    expect(nextDeadline(invited!, policy, '2026-02-01')).toMatchObject({ id: 'participant-report', label: 'Participant report (EU Survey)', dueDate: '2026-03-03' });
  });

  it('alarms: the invitation the day after the end; a reminder the policy\'s lead days before; the overdue alarm records the missed deadline and tells the coordinator', () => {
    const alarms = plannedAlarms(attended!, policy, '2026-02-01T10:00:00Z', { escalateOverdueReport: true });
    expect(alarms[0]).toMatchObject({ kind: 'invite', at: '2026-02-01T00:00:00.000Z' });
    const lead3 = plannedAlarms(attended!, Policy.parse({ reminderLeadDays: 3 }), '2026-02-01T10:00:00Z', { escalateOverdueReport: true });
    expect(lead3.find((a) => a.deadlineId === 'transcript-of-records' && a.kind === 'reminder')?.at).toBe('2026-03-04T09:00:00.000Z');
    const overdue = alarms.find((a) => a.deadlineId === 'transcript-of-records' && a.kind === 'overdue')!;
    expect(alarmEffect(overdue, { mobilityId: 'M', at: '2026-03-08T00:00:00Z', actor: 'system' })).toMatchObject({
      command: { type: 'RecordDeadlineMissed', deadline: 'transcript' }, notify: { kind: 'escalation', audience: 'coordinator' },
    });
  });

  it('reminders before departure (issue: agreement, OLS, insurance and travel) and the host\'s certificate near the end date', () => {
    const before = plannedAlarms(selected!, policy, '2025-05-01T10:00:00Z', { escalateOverdueReport: true });
    expect(before.map((a) => [a.deadlineId, a.kind, a.at.slice(0, 10), a.audience])).toEqual([
      ['agreement-signature', 'reminder', '2025-08-11', 'participant'],
      ['insurance-travel', 'reminder', '2025-08-18', 'participant'],
      ['agreement-signature', 'overdue', '2025-08-19', 'coordinator'],
      ['ols-assessment', 'reminder', '2025-08-24', 'participant'],
    ]);
    // An unsigned agreement is not a recorded breach: the coordinator is told, nothing is recorded.
    expect(alarmEffect(before[2]!, { mobilityId: 'M', at: '2025-08-19T00:00:00Z', actor: 'system' })).toEqual({ command: null, notify: { kind: 'escalation', audience: 'coordinator' } });
    const away = plannedAlarms(departed!, policy, '2025-09-02T10:00:00Z', { escalateOverdueReport: true }).filter((a) => a.deadlineId === 'certificate-of-attendance');
    expect(away.map((a) => [a.kind, a.at.slice(0, 10), a.audience])).toEqual([['reminder', '2026-01-31', 'coordinator'], ['overdue', '2026-02-08', 'coordinator']]);
    expect(plannedAlarms(attended!, policy, '2026-02-01T10:00:00Z', { escalateOverdueReport: true }).some((a) => a.deadlineId === 'certificate-of-attendance')).toBe(false);
  });

  it('settlement: the balance after the report when less was paid than is due; nothing when they agree', () => {
    const pay = settlement(reported!, policy, { at: '2026-02-02T12:00:00Z', actor: 'system:workflow' });
    expect(pay).toMatchObject({ kind: 'balance', sequence: 1, command: { paymentId: `${(reported as { identity: { mobilityId: string } }).identity.mobilityId}:balance:1` } });
    const settled = (decide(pay!.command, reported!, policy) as MobilityEvent[]).reduce(evolve, reported!);
    expect(settlement(settled, policy, { at: '2026-02-03T12:00:00Z', actor: 'system:workflow' })).toBeNull();
  });
});
