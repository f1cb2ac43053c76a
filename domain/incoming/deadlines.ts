import { addDays } from '../dates';
import type { IncomingDeadline } from './commands';
import { kindRule } from './kinds';
import { INCOMING_LIFECYCLE } from './lifecycle';
import type { IncomingState, OpenIncoming } from './state';

/**
 * What the receiving institution owes, and when (reference §2):
 * - the certificate of attendance at the end date (the host confirms the actual dates; the sender's
 *   final grant waits for it) — rule IN-COA-END;
 * - the transcript of records within 5 weeks of the end (students only) — rule IN-TOR-5W [V S17].
 * Staff of the institution are reminded before each due date and told when it passed.
 */
export const INCOMING_RULES = {
  'certificate-of-attendance': { ruleId: 'IN-COA-END', remindDaysBefore: 3, label: 'certificate of attendance of an incoming participant' },
  'transcript-of-records': { ruleId: 'IN-TOR-5W', remindDaysBefore: 7, label: 'transcript of records of an incoming student' },
} as const satisfies Record<IncomingDeadline, { ruleId: string; remindDaysBefore: number; label: string }>;
/** Reference §2 "ToR from the receiver": normally within 5 weeks. */
export const TRANSCRIPT_WEEKS = 5;

export const transcriptDueOn = (actualEndDate: string): string => addDays(actualEndDate, TRANSCRIPT_WEEKS * 7);

export interface IncomingDue {
  readonly deadline: IncomingDeadline;
  readonly dueOn: string;
  readonly ruleId: string;
}

/** The due dates live in the state's stage (the lifecycle table names them; the kind narrows them). */
export function liveIncomingDeadlines(state: IncomingState): IncomingDue[] {
  if (state.stage === 'none') return [];
  const s = state as OpenIncoming;
  const out: IncomingDue[] = [];
  for (const deadline of INCOMING_LIFECYCLE[s.stage].deadlines as readonly IncomingDeadline[]) {
    const dueOn = deadline === 'certificate-of-attendance' ? s.plan.endDate : kindRule(s.identity.kind).transcript ? s.certificate?.transcriptDueOn ?? null : null;
    if (dueOn) out.push({ deadline, dueOn, ruleId: INCOMING_RULES[deadline].ruleId });
  }
  return out;
}

export interface IncomingAlarm {
  /** Unique per mobility: what the workflow remembers as done. */
  readonly key: string;
  readonly kind: 'reminder' | 'missed';
  readonly deadline: IncomingDeadline;
  readonly dueOn: string;
  readonly label: string;
  /** When it fires (ISO instant). */
  readonly at: string;
}

/**
 * The alarms of the live due dates, in time order: a reminder to the institution's staff some days
 * before (08:00 UTC), and the due date missed the day after (00:00 UTC), unless already recorded.
 */
export function plannedIncomingAlarms(state: IncomingState): IncomingAlarm[] {
  if (state.stage === 'none') return [];
  const s = state as OpenIncoming;
  const alarms = liveIncomingDeadlines(s).flatMap((d): IncomingAlarm[] => {
    const rule = INCOMING_RULES[d.deadline];
    const reminder: IncomingAlarm = { key: `reminder:${d.deadline}:${d.dueOn}`, kind: 'reminder', deadline: d.deadline, dueOn: d.dueOn, label: rule.label, at: `${addDays(d.dueOn, -rule.remindDaysBefore)}T08:00:00.000Z` };
    const missed: IncomingAlarm = { key: `missed:${d.deadline}`, kind: 'missed', deadline: d.deadline, dueOn: d.dueOn, label: rule.label, at: `${addDays(d.dueOn, 1)}T00:00:00.000Z` };
    return s.missed.includes(d.deadline) ? [reminder] : [reminder, missed];
  });
  return alarms.sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key));
}

/** Nothing more is owed or awaited: cancelled, no-show, transcript issued, or certified for a kind without a transcript. */
export const isIncomingClosed = (state: IncomingState): boolean =>
  state.stage === 'cancelled' || state.stage === 'no-show' || state.stage === 'transcribed'
  || (state.stage === 'certified' && !kindRule((state as OpenIncoming).identity.kind).transcript);
