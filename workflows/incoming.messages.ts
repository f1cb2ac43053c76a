import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { z } from 'zod';
import { INCOMING_ACTIONS, type IncomingActionName } from '../domain/incoming/actions';
import type { IncomingAlarm, IncomingDue } from '../domain/incoming/deadlines';
import type { IncomingState } from '../domain/incoming/state';

/** What starts an incoming mobility's workflow (domain/incoming/commands.ts). */
export { StartIncoming } from '../domain/incoming/commands';

/** Payloads of the staff Updates: the domain's action inputs (the workflow adds the mobility and the instant). */
export type IncomingPayloadOf<N extends IncomingActionName> = z.input<(typeof INCOMING_ACTIONS)[N]['input']> & { actor: string };

export interface IncomingUpdateResult {
  stage: string;
  events: string[];
}

/** Update names are prefixed so they never collide with a mobility's. */
export const incomingUpdateName = (n: IncomingActionName) => `incoming.${n}`;
export const incomingUpdates = Object.fromEntries(
  (Object.keys(INCOMING_ACTIONS) as IncomingActionName[]).map((n) => [n, defineUpdate<IncomingUpdateResult, [unknown]>(incomingUpdateName(n))]),
) as Record<IncomingActionName, ReturnType<typeof defineUpdate<IncomingUpdateResult, [unknown]>>>;

export interface IncomingAuditEntry {
  at: string;
  actor: string;
  action: string;
  outcome: 'applied' | 'refused' | 'sent';
  detail: string;
  events: string[];
}

export interface IncomingView {
  incomingId: string;
  stage: string;
  eventsPublished: number;
  eventsRecorded: number;
  closed: boolean;
}

export interface IncomingDeadlinesView {
  deadlines: IncomingDue[];
  alarms: IncomingAlarm[];
}

export const incomingViewQuery = defineQuery<IncomingView>('incoming.view');
export const incomingStateQuery = defineQuery<IncomingState>('incoming.state');
export const incomingAuditQuery = defineQuery<IncomingAuditEntry[]>('incoming.audit');
export const incomingDeadlinesQuery = defineQuery<IncomingDeadlinesView>('incoming.deadlines');

/** Everything the queries above answer, in one answer: a reader makes one round trip (and a closed workflow one replay). */
export interface IncomingSnapshot {
  view: IncomingView;
  state: IncomingState;
  audit: IncomingAuditEntry[];
  deadlines: IncomingDeadlinesView;
}
export const incomingSnapshotQuery = defineQuery<IncomingSnapshot>('incoming.snapshot');
