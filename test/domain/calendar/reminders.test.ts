import { describe, expect, it } from 'vitest';
import { nextReminderAllowed, reportReminders } from '../../../domain/calendar';

describe('nextReminderAllowed (§2 Participant report reminders [V S19]: after the end date, at most once per 24 h)', () => {
  it('allows the first reminder', () => {
    expect(nextReminderAllowed(null, '2025-07-10T09:00:00Z')).toEqual({ allowed: true });
  });
  it('refuses within 24 h and says when it becomes possible', () => {
    expect(nextReminderAllowed('2025-07-10T09:00:00Z', '2025-07-11T08:59:59Z')).toEqual({
      allowed: false, reason: 'last reminder 2025-07-10T09:00:00Z: at most one per 24 h', notBefore: '2025-07-11T09:00:00.000Z',
    });
  });
  it('allows exactly 24 h later, offsets included (11:00+02:00 = 09:00Z)', () => {
    expect(nextReminderAllowed('2025-07-10T09:00:00Z', '2025-07-11T11:00:00+02:00')).toEqual({ allowed: true });
  });
  it('refuses on or before the end date (UTC day)', () => {
    expect(nextReminderAllowed(null, '2025-06-30T23:59:00Z', { endDate: '2025-06-30' })).toEqual({
      allowed: false, reason: 'reminders only after the end date 2025-06-30', notBefore: '2025-07-01T00:00:00.000Z',
    });
    expect(nextReminderAllowed(null, '2025-07-01T00:00:00Z', { endDate: '2025-06-30' })).toEqual({ allowed: true });
  });
  it('rejects a time without offset', () => {
    expect(() => nextReminderAllowed(null, '2025-07-10T09:00:00')).toThrow();
  });
});

describe('reportReminders', () => {
  it('default: due − 7 and due to the participant, due + 7 to the coordinator (end 2025-06-30, due 2025-07-30)', () => {
    expect(reportReminders({ endDate: '2025-06-30' }).map((r) => [r.id, r.date, r.audience])).toEqual([
      ['participant-report-reminder-1', '2025-07-23', 'participant'],
      ['participant-report-reminder-2', '2025-07-30', 'participant'],
      ['participant-report-escalation', '2025-08-06', 'coordinator'],
    ]);
  });
  it('stops once the report is submitted (submitted 2025-07-25: only the 07-23 reminder had a reason to go)', () => {
    expect(reportReminders({ endDate: '2025-06-30', reportSubmittedAt: '2025-07-25' }).map((r) => r.date)).toEqual(['2025-07-23']);
  });
  it('never plans a reminder on or before the invitation day (offset −40 from a 30-day deadline)', () => {
    // due 2025-07-30; −40 → 2025-06-20, before the invitation 2025-06-30: dropped
    expect(reportReminders({ endDate: '2025-06-30' }, { policy: { reportReminderOffsetsDays: [-40, -3] } }).map((r) => r.date)).toEqual(['2025-07-27', '2025-08-06']);
  });
  it('nothing before the end date or invitation is known', () => {
    expect(reportReminders({ startDate: '2025-02-01' })).toEqual([]);
  });
});
