import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { CO_FUNDING_PATCH, DEADLINE_SCHEDULE_PATCH, LOCAL_EFFECTS_PATCH, LOCAL_PUBLISH_PATCH, PRE_DEPARTURE_PATCH, REPORT_ESCALATION_PATCH } from '../../../workflows/mobility.workflow';
import { INCOMING_LOCAL_ACTIVITIES_PATCH } from '../../../workflows/incoming.workflow';
import { quietTemporalRuntime } from '../../../workers/temporal-worker';
import { testConfig } from '../../support/env';
import { workflowBundle } from './harness';

/**
 * Determinism: committed histories of real runs (test/histories/*.json, recorded with
 * test/histories/record.ts) replay through today's workflow code without a non-determinism error.
 * One history predates the report-escalation patch (no marker, no escalation), one follows it:
 * both paths of patched() replay.
 */
const dir = join(testConfig().root, 'test', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => proto.temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(join(dir, f), 'utf8')));
/** The payload bytes of a marker's details, decoded as text (the patch id is JSON inside). */
const decodeDetails = (details: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null | undefined): string =>
  Object.values(details ?? {}).flatMap((p) => p.payloads ?? []).map((p) => (p.data ? Buffer.from(p.data).toString('utf8') : '')).join(' ');

describe('replay of recorded histories', () => {
  it('has a history from before and one from after the report-escalation patch', () => {
    const pre = files.filter((f) => f.includes('pre-patch'));
    const post = files.filter((f) => !f.includes('pre-patch') && f.startsWith('mobility-'));
    expect(pre.length).toBeGreaterThan(0);
    expect(post.length).toBeGreaterThan(0);
    const patchMarkers = (f: string) =>
      (load(f).events ?? []).filter((e) => e.markerRecordedEventAttributes && Buffer.from(JSON.stringify(e.markerRecordedEventAttributes.details ?? {})).toString().length > 0 && decodeDetails(e.markerRecordedEventAttributes.details).includes(REPORT_ESCALATION_PATCH)).length;
    for (const f of pre) expect(patchMarkers(f)).toBe(0);
    for (const f of post) expect(patchMarkers(f)).toBe(1);
    // The behaviour the patch adds: the overdue report is escalated to the coordinator.
    const reportEscalations = (f: string) =>
      (load(f).events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendReminder')
        .map((e) => JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString('utf8')) as { deadlineId: string; kind: string })
        .filter((r) => r.deadlineId === 'participant-report' && r.kind === 'escalation').length;
    expect(reportEscalations('mobility-lifecycle-pre-patch.json')).toBe(0);
    expect(reportEscalations('mobility-lifecycle.json')).toBe(1);
  });

  it('has a history from before and one from after the deadline-schedule patch, which publishes DeadlinesScheduled', () => {
    const markers = (f: string) => (load(f).events ?? []).filter((e) => e.markerRecordedEventAttributes && decodeDetails(e.markerRecordedEventAttributes.details).includes(DEADLINE_SCHEDULE_PATCH)).length;
    const published = (f: string) =>
      (load(f).events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'publishEvents')
        .flatMap((e) => JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString('utf8')) as { type: string }[])
        .filter((e) => e.type === 'DeadlinesScheduled').length;
    expect(markers('mobility-lifecycle.json')).toBe(0);
    expect(published('mobility-lifecycle.json')).toBe(0);
    expect(markers('mobility-lifecycle-schedule.json')).toBe(1);
    expect(published('mobility-lifecycle-schedule.json')).toBeGreaterThan(2);
  });

  it('has a history of an incoming mobility (nomination to transcript, its events on incoming-events, no budget call)', () => {
    const events = load('incoming-student.json').events ?? [];
    expect(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('incomingWorkflow');
    const activities = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(activities).toContain('publishIncomingEvents');
    expect(activities).toContain('sendReminder');
    expect(activities.filter((a) => /budget|Budget|Reservation|publishEvents|writePaymentOrder/.test(a!))).toEqual([]);
  });

  it('has a history from before and one from after the pre-departure patch, which reminds of the deadlines before departure and of the certificate', () => {
    const markers = (f: string) => (load(f).events ?? []).filter((e) => e.markerRecordedEventAttributes && decodeDetails(e.markerRecordedEventAttributes.details).includes(PRE_DEPARTURE_PATCH)).length;
    const reminded = (f: string) => new Set((load(f).events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendReminder')
      .map((e) => (JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString('utf8')) as { deadlineId: string }).deadlineId));
    expect(markers('mobility-lifecycle-schedule.json')).toBe(0);
    expect(reminded('mobility-lifecycle-schedule.json').has('certificate-of-attendance')).toBe(false);
    expect(markers('mobility-lifecycle-pre-departure.json')).toBe(1);
    for (const id of ['insurance-travel', 'ols-assessment', 'certificate-of-attendance']) expect(reminded('mobility-lifecycle-pre-departure.json').has(id)).toBe(true);
  });

  it('has a history from before and one from after the local-publish patch, which publishes by local activity', () => {
    const events = (f: string) => load(f).events ?? [];
    const markers = (f: string) => events(f).filter((e) => e.markerRecordedEventAttributes && decodeDetails(e.markerRecordedEventAttributes.details).includes(LOCAL_PUBLISH_PATCH)).length;
    const published = (f: string) => events(f).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'publishEvents').length;
    const local = (f: string) => events(f).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    expect(markers('mobility-lifecycle-pre-departure.json')).toBe(0);
    expect(published('mobility-lifecycle-pre-departure.json')).toBeGreaterThan(5);
    expect(markers('mobility-lifecycle-local-publish.json')).toBe(1);
    expect(published('mobility-lifecycle-local-publish.json')).toBe(0);
    expect(local('mobility-lifecycle-local-publish.json')).toBeGreaterThan(5);
  });

  it('has a history of a co-funded mobility (the co-funding patch): each co-funding share reserved at selection and adjusted at the certificate with the Erasmus+ amount', () => {
    const markers = (f: string) => (load(f).events ?? []).filter((e) => e.markerRecordedEventAttributes && decodeDetails(e.markerRecordedEventAttributes.details).includes(`"${CO_FUNDING_PATCH}"`)).length;
    expect(markers('mobility-co-funded.json')).toBe(1);
    for (const f of files.filter((x) => x !== 'mobility-co-funded.json')) expect(markers(f), f).toBe(0);
    const budgetCalls = (load('mobility-co-funded.json').events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'reserveBudget' || a?.activityType?.name === 'adjustReservation')
      .map((a) => [a!.activityType!.name, JSON.parse(Buffer.from(a!.input!.payloads![1]!.data!).toString('utf8')) as { coFunding?: { lineId: string; amountCents: number }[] }] as const);
    expect(budgetCalls.map(([name, req]) => [name, req.coFunding])).toEqual([['reserveBudget', [{ lineId: 'region', amountCents: 60_000 }]], ['adjustReservation', [{ lineId: 'region', amountCents: 60_000 }]]]);
  });

  it('has a history from after the local-effects patch: no activity task at all, the budget, payments and reminders by local activity', () => {
    const events = load('mobility-lifecycle-local-effects.json').events ?? [];
    expect(events.filter((e) => e.markerRecordedEventAttributes && decodeDetails(e.markerRecordedEventAttributes.details).includes(LOCAL_EFFECTS_PATCH))).toHaveLength(1);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length).toBeGreaterThan(20);
    // The local-publish history (before) still scheduled the budget guard's calls and the payment orders as activities.
    const before = (load('mobility-lifecycle-local-publish.json').events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(before).toEqual(expect.arrayContaining(['reserveBudget', 'writePaymentOrder', 'sendReminder']));
  });

  it('has a history of an incoming stay that publishes and reminds by local activity only, and one of a budget guard', () => {
    const patchOf = (f: string, id: string) => (load(f).events ?? []).filter((e) => e.markerRecordedEventAttributes && decodeDetails(e.markerRecordedEventAttributes.details).includes(id)).length;
    const activities = (f: string) => (load(f).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    const local = (f: string) => (load(f).events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    expect(patchOf('incoming-student-local.json', INCOMING_LOCAL_ACTIVITIES_PATCH)).toBe(1);
    expect(activities('incoming-student-local.json')).toBe(0);
    expect(local('incoming-student-local.json')).toBeGreaterThan(3);
    expect(patchOf('incoming-student.json', INCOMING_LOCAL_ACTIVITIES_PATCH)).toBe(0);
    expect(activities('incoming-student.json')).toBeGreaterThan(3);
    // A budget guard publishes by activity (it takes every mobility's Updates at once).
    const guard = load('budget-guard.json').events ?? [];
    expect(guard[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('projectBudgetWorkflow');
    expect(activities('budget-guard.json')).toBeGreaterThan(0);
    expect(guard.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length).toBeGreaterThan(0);
  });

  it('replays every history with the current workflow code', async () => {
    quietTemporalRuntime();
    const results: { workflowId: string; error: unknown }[] = [];
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: load(f) }));
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push({ workflowId: r.workflowId, error: r.error });
    expect(results.map((r) => r.workflowId)).toEqual(histories.map((h) => h.workflowId));
    for (const r of results) expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();
  });
});
