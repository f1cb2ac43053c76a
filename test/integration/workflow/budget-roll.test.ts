import { describe, expect, it } from 'vitest';
import { createBudgetActivities } from '../../../activities/budget';
import { budgetWorkflowId } from '../../../workflows/budget-messages';
import { projectBudget, registerProject } from '../../../workflows/client';
import { temporalBudgetGuard } from '../../../workers/temporal-worker';
import { testConfig } from '../../support/env';
import { erasmusLine, newProject } from './fixtures';
import { onDevServer } from './harness';

/**
 * A project's budget guard under a steady flow of reservations, on the dev server: it starts new runs as its history
 * grows (every ~500 events, between two batches of its events to publish), carries every reservation across, and
 * no reservation is lost, doubled or refused. Before, a steady flow kept its publishing loop busy, so it never rolled
 * over and its workflow task ended up timing out.
 */
const cfg = testConfig();
const dev = onDevServer(cfg);

describe('a budget guard under a steady flow of reservations', () => {
  it('continues as new as it goes, carries every reservation, and answers each one once', { timeout: 180_000 }, async () => {
    const { projectId, mobilityId } = newProject();
    const n = 400;
    await registerProject(dev.client, cfg.temporal.taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000_000, n) });
    const budget = createBudgetActivities({ guard: temporalBudgetGuard(dev.client) });
    // 20 callers at a time, as a worker's selection activities would be.
    let next = 1;
    const replies: { mobilityId: string; heldCents: number; changed: boolean }[] = [];
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (next <= n) {
        const i = next++;
        replies.push(await budget.reserveBudget(projectId, { mobilityId: mobilityId(i), lineId: 'erasmus', amountCents: 100_000 + i }, 'select'));
      }
    }));
    expect(replies).toHaveLength(n);
    expect(replies.every((r) => r.changed && r.heldCents === 100_000 + Number(r.mobilityId.slice(-5)))).toBe(true);

    // A retried call (same update id) changes nothing, on whichever run the guard is now.
    expect(await budget.reserveBudget(projectId, { mobilityId: mobilityId(7), lineId: 'erasmus', amountCents: 100_007 }, 'select')).toMatchObject({ changed: false, heldCents: 100_007 });

    const summary = await projectBudget(dev.client, projectId);
    expect(summary!.reservations).toBe(n);
    const line = summary!.lines.find((l) => l.lineId === 'erasmus')!;
    expect(line.reservedMobilities).toBe(n);
    expect(line.reservedCents).toBe(n * 100_000 + (n * (n + 1)) / 2);

    // It rolled over: the run answering now is not the first, and its history stays short.
    const d = await dev.client.workflow.getHandle(budgetWorkflowId(projectId)).describe();
    expect(d.runId).not.toBe(d.raw.workflowExecutionInfo?.firstRunId);
    expect(Number(d.historyLength)).toBeLessThan(700);
  });
});
