/**
 * The worker's workflow bundle (workers/workflow-bundle.ts) evaluates the domain, zod and the workflows'
 * message definitions once per workflow sandbox: given the SDK's reusable V8 context with the engine's bundle,
 * when workflows are created in it, then they share those modules' exports, keep their own workflow
 * modules, see the shared plain data frozen, and cost a small fraction of the ~2.4 MiB of heap
 * a workflow took when each one evaluated the domain.
 */
import { setFlagsFromString } from 'node:v8';
import { runInContext, runInNewContext, type Context } from 'node:vm';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../../../workers/workflow-bundle';
import { workflowBundle } from './harness';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type ModuleCache = Map<string, { exports: Record<string, unknown> }>;
const info = (i: number) => ({
  workflowType: 'mobilityWorkflow', workflowId: `shared-${i}`, runId: `run-${i}`, firstExecutionRunId: `run-${i}`, namespace: 'default', taskQueue: 'shared-modules',
  attempt: 1, historyLength: 0, historySize: 0, continueAsNewSuggested: false, startTime: new Date(), runStartTime: new Date(),
  searchAttributes: {}, typedSearchAttributes: [], memo: {}, priority: {}, unsafe: { isReplaying: false, now: Date.now },
});

describe('workflow sandbox: shared domain modules', async () => {
  const creator = await ReusableVMWorkflowCreator.create(parseWorkflowCode((await workflowBundle()).code) as never, 5_000, new Set());
  const context = (creator as unknown as { context: { __TEMPORAL_ACTIVATOR__: { moduleCache: ModuleCache } } }).context;
  const workflows: { dispose(): Promise<void> }[] = [];
  /** Creates a workflow (its modules are required then) and returns its module cache. */
  const create = async (i: number): Promise<ModuleCache> => {
    workflows.push(await creator.createWorkflow({ info: info(i) as never, randomnessSeed: [i], now: Date.now(), showStackTraceSources: false }));
    return context.__TEMPORAL_ACTIVATOR__.moduleCache;
  };
  const exportsOf = (cache: ModuleCache, path: string) => [...cache].find(([id]) => id.endsWith(path))?.[1].exports;
  afterAll(async () => {
    for (const w of workflows) await w.dispose();
    await creator.destroy();
  });

  it('shares the domain and zod, not the workflow modules, and freezes the domain data', async () => {
    const a = await create(1);
    const b = await create(2);
    // What the workflow modules import (a shared module's own imports are never required again).
    for (const path of ['domain/mobility/decide.ts', 'domain/mobility/grant.ts', 'domain/calendar/policy.ts']) {
      expect(exportsOf(a, path), path).toBeDefined();
      expect(exportsOf(b, path), path).toBe(exportsOf(a, path));
    }
    // zod is required by the domain alone (the workflow's input schemas are built there), so only the workflow that
    // first evaluated the domain required it; a later one never builds a schema of its own.
    const zodSchemas = 'node_modules/zod/v4/classic/schemas.js';
    expect(exportsOf(a, zodSchemas)).toBeDefined();
    expect(exportsOf(b, zodSchemas)).toBeUndefined();
    // The message definitions too (plain objects of the SDK's define* functions), frozen like the domain's data.
    for (const path of ['workflows/messages.ts', 'workflows/budget-messages.ts', 'workflows/incoming.messages.ts', 'workflows/search-attributes.ts']) {
      expect(exportsOf(a, path), path).toBeDefined();
      expect(exportsOf(b, path), path).toBe(exportsOf(a, path));
    }
    const messages = exportsOf(a, 'workflows/messages.ts')!;
    expect(Object.isFrozen(messages.updates)).toBe(true);
    expect(Object.isFrozen((messages.updates as Record<string, object>).select)).toBe(true);
    expect(exportsOf(a, 'workflows/mobility.workflow.ts')).toBeDefined();
    expect(exportsOf(b, 'workflows/mobility.workflow.ts')).not.toBe(exportsOf(a, 'workflows/mobility.workflow.ts'));
    const lifecycle = exportsOf(a, 'domain/mobility/lifecycle.ts')!;
    expect(Object.isFrozen(lifecycle.LIFECYCLE)).toBe(true);
    expect(Object.isFrozen(lifecycle.OPEN_STAGES)).toBe(true);
    expect(() => (lifecycle.OPEN_STAGES as string[]).push('elsewhere')).toThrow(/not extensible/); // a TypeError of the sandbox's realm
    // zod schemas stay as zod builds them (it memoises on them), and still parse.
    const StageName = lifecycle.StageName as { safeParse(v: unknown): { success: boolean } };
    expect(Object.isFrozen(StageName)).toBe(false);
    expect(StageName.safeParse('selected').success).toBe(true);
    expect(StageName.safeParse('elsewhere').success).toBe(false);
  });

  it('costs a small fraction of the heap a workflow took when each evaluated the domain', async () => {
    const n = 50;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) await create(100 + i);
    gc();
    const perWorkflowKiB = (process.memoryUsage().heapUsed - before) / n / 1024;
    // Measured: ~66 KiB (2,460 KiB before the domain was shared).
    expect(perWorkflowKiB).toBeLessThan(300);
  });
});

describe('workflow sandbox: stack traces', () => {
  // Given a workflow sandbox of the engine's bundle, when code in it creates an Error, then it captures no frames
  // (the SDK's promise hook records a stack for every promise a workflow creates); the worker's
  // ME_WORKFLOW_STACK_TRACES=1 bundle keeps V8's frames.
  const sandbox = async (code: string) => {
    const creator = await ReusableVMWorkflowCreator.create(parseWorkflowCode(code) as never, 5_000, new Set());
    const context = (creator as unknown as { context: Context }).context;
    const w = await creator.createWorkflow({ info: info(900) as never, randomnessSeed: [900], now: Date.now(), showStackTraceSources: false });
    const seen = {
      limit: runInContext('Error.stackTraceLimit', context) as number,
      frames: (runInContext('(function inWorkflowCode() { return new Error("x").stack; })()', context) as string).split('\n').filter((l) => /^\s+at /.test(l)).length,
    };
    await w.dispose();
    await creator.destroy();
    return seen;
  };

  it('has none by default, and V8\'s when the worker asks for them', { timeout: 120_000 }, async () => {
    expect(await sandbox((await workflowBundle()).code)).toEqual({ limit: 0, frames: 0 });
    const traced = await sandbox((await bundleWorkflows({ trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never, { stackTraces: true })).code);
    expect(traced.limit).toBe(10);
    expect(traced.frames).toBeGreaterThan(0);
  });
});
