import { z } from 'zod';
import { IsoDate } from '../ids';
import { reportInvitation } from './deadlines';
import { MobilityFacts, type MobilityFactsInput } from './facts';
import { addDays } from '../dates';
import { Policy, type PolicyOverrides } from './policy';

const REMINDER_SOURCE = '§2 Participant report reminders [V S19]';
/** §2 [V S19]: at most one reminder per 24 h. */
export const REMINDER_GAP_HOURS = 24;
const MIN_GAP_MS = REMINDER_GAP_HOURS * 3600 * 1000;

export const IsoDateTime = z.iso.datetime({ offset: true });

export type ReminderDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string; /** earliest instant a reminder may go, ISO date-time (UTC) */ readonly notBefore: string };

/**
 * Whether a participant-report reminder may be sent now (§2 [V S19]: "manual resend allowed only
 * after the end date, at most once per 24 h"). Pure: both instants are inputs.
 * - lastReminderAt: the previous reminder (or invitation) sent, null if none;
 * - endDate: when given, nothing may go on or before that calendar day (UTC).
 * Exactly 24 h after the last one is allowed.
 */
export const nextReminderAllowed = (lastReminderAt: string | null, now: string, options: { endDate?: string } = {}): ReminderDecision => {
  const nowMs = Date.parse(IsoDateTime.parse(now));
  if (options.endDate !== undefined) {
    const firstAllowed = Date.parse(`${addDays(IsoDate.parse(options.endDate), 1)}T00:00:00Z`);
    if (nowMs < firstAllowed)
      return { allowed: false, reason: `reminders only after the end date ${options.endDate}`, notBefore: new Date(firstAllowed).toISOString() };
  }
  if (lastReminderAt !== null) {
    const earliest = Date.parse(IsoDateTime.parse(lastReminderAt)) + MIN_GAP_MS;
    if (nowMs < earliest)
      return { allowed: false, reason: `last reminder ${lastReminderAt}: at most one per 24 h`, notBefore: new Date(earliest).toISOString() };
  }
  return { allowed: true };
};

export const Reminder = z.strictObject({
  id: z.string().min(1),
  deadlineId: z.literal('participant-report'),
  kind: z.enum(['reminder', 'escalation']),
  date: IsoDate,
  audience: z.enum(['participant', 'coordinator']),
  basis: z.string().min(1),
  source: z.string().min(1),
});
export type Reminder = z.infer<typeof Reminder>;

/**
 * The planned reminders for the participant report: one to the participant at each policy offset
 * from the due date (default −7 and 0 days), then an escalation to the coordinator (default due + 7).
 * Only days strictly after the invitation are kept (reminders go only after the end date, [V S19]);
 * once the report is submitted, nothing on or after that day remains. The policy keeps the days strictly
 * increasing (escalation last), so two planned reminders never fall on the same day; the sender still checks nextReminderAllowed.
 */
export const reportReminders = (facts: MobilityFactsInput, options: { policy?: PolicyOverrides } = {}): Reminder[] => {
  const f = MobilityFacts.parse(facts);
  const p = Policy.parse(options.policy ?? {});
  const inv = reportInvitation(f, p);
  if (!inv) return [];
  const due = addDays(inv.date, p.reportDays);
  const planned: Reminder[] = [
    ...p.reportReminderOffsetsDays.map((offset, i): Reminder => ({
      id: `participant-report-reminder-${i + 1}`, deadlineId: 'participant-report', kind: 'reminder', audience: 'participant',
      date: addDays(due, offset), source: REMINDER_SOURCE,
      basis: `report due ${due} ${offset < 0 ? '−' : '+'} ${Math.abs(offset)} days = ${addDays(due, offset)}`,
    })),
    {
      id: 'participant-report-escalation', deadlineId: 'participant-report', kind: 'escalation', audience: 'coordinator',
      date: addDays(due, p.reportEscalationDays), source: REMINDER_SOURCE,
      basis: `report due ${due} + ${p.reportEscalationDays} days without submission = ${addDays(due, p.reportEscalationDays)}: the coordinator follows up`,
    },
  ];
  return planned.filter((r) => r.date > inv.date && !(f.reportSubmittedAt && r.date >= f.reportSubmittedAt));
};
