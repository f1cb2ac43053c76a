/**
 * Worker memory per open mobility: M mobilities started and selected (then parked, waiting for the
 * agreement) on the engine's worker process, against M raw workflows that took one Update and wait
 * on a condition, on the raw worker; each on a fresh Temporal server and a fresh worker process.
 * The figure is the growth of the worker's resident set size over its size at rest, divided by the
 * workflows its cache holds (the SDK's default cache size depends on the heap limit: min(M, cache)).
 * A run that would not fit in the machine's memory stops early and says so; the rest is arithmetic.
 */
import { freemem } from 'node:os';
import v8 from 'node:v8';
import type pg from 'pg';
import type { Config } from '../../infra/config';
import { connectTemporal } from '../../infra/temporal';
import { mobility, registerProject, startMobility } from '../../workflows/client';
import { KA131_TERMS } from '../integration/api/support';
import { addContacts, erasmusLine, newProject, studyApplication, today } from '../integration/workflow/fixtures';
import { addDays } from '../../domain/dates';
import { type EngineProcess, figure, type Figure, freshTemporal, pool as inParallel, progress, rssKiB, say, sleep, startProcess, startWorker } from './lib';
import { rawInput, STEPS } from './lifecycle';

/** The SDK's default workflow cache for this Node's heap limit (worker-options.js, reuseV8Context). */
export const defaultCache = () => Math.max(Math.floor((Math.max(v8.getHeapStatistics().heap_size_limit / 2 ** 20 - 200, 0) * 600) / 1024), 10);

async function settle(pid: number): Promise<number> {
  // RSS after the last task, once the worker is idle: the highest of a few samples a second apart.
  let prev = 0;
  for (let i = 0; i < 5; i++) {
    await sleep(1_000);
    prev = Math.max(prev, rssKiB(pid));
  }
  return prev;
}

const STALL_MS = 120_000;

interface MemoryRun { kind: 'engine' | 'raw'; open: number; cached: number; restKiB: number; loadedKiB: number; perOpenKiB: number; stoppedEarly: boolean; workerDied?: string }

async function measure(kind: 'engine' | 'raw', worker: EngineProcess, m: number, concurrency: number, cacheSize: number, openOne: (i: number) => Promise<void>): Promise<MemoryRun> {
  await openOne(-1); // the workflow code is loaded and one workflow is cached: the worker at rest
  const restKiB = await settle(worker.pid);
  const bar = progress(`${kind}: opening`, m);
  let done = 0;
  let stoppedEarly = false;
  const budgetKiB = (freemem() / 1024) * 0.6;
  let failure: unknown = null;
  // A worker that dies (out of memory) stops the run: what it held until then is the measure.
  let died: string | undefined;
  let peakKiB = restKiB;
  const death = worker.exited.then((why) => (died = why));
  await inParallel(m, concurrency, async (i) => {
    if (stoppedEarly || failure || died) return;
    try {
      // A worker that stops making progress (its heap full, its tasks timing out) ends the run too.
      let timer: NodeJS.Timeout | undefined;
      const stall = new Promise<void>((r) => (timer = setTimeout(() => {
        died ??= `no progress for ${STALL_MS / 1000} s with ${done} open (worker RSS ${(rssKiB(worker.pid) / 1024).toFixed(0)} MiB)`;
        r();
      }, STALL_MS)));
      await Promise.race([openOne(i), death, stall]);
      clearTimeout(timer);
      if (died) return;
      peakKiB = Math.max(peakKiB, rssKiB(worker.pid));
    } catch (err) {
      failure ??= err;
      return;
    }
    bar.tick(++done, `worker RSS ${(peakKiB / 1024).toFixed(0)} MiB`);
    // Stop before the machine runs out of memory: the growth so far, extrapolated, says enough.
    if (done >= 100 && done % 50 === 0) {
      const grown = rssKiB(worker.pid) - restKiB;
      if ((grown / done) * (m - done) > budgetKiB) stoppedEarly = true;
    }
  });
  bar.done();
  if (failure) throw new Error(`${kind}: opening mobility ${done + 1} failed: ${(failure as Error).message}`, { cause: failure });
  const loadedKiB = died ? peakKiB : await settle(worker.pid);
  const open = done;
  const cached = Math.min(open, cacheSize);
  return { kind, open, cached, restKiB, loadedKiB, perOpenKiB: (loadedKiB - restKiB) / cached, stoppedEarly: stoppedEarly || died !== undefined, ...(died ? { workerDied: died } : {}) };
}

export async function memoryBench(cfg: Config, db: pg.Pool, m: number, concurrency: number, perProject = m + 1): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const from = addDays(today(), -190);
  // The engine.
  await freshTemporal(cfg);
  let taskQueue = `bench-mem-${Date.now().toString(36)}`;
  // Each worker's cache holds every workflow opened (ME_WORKER_MAX_CACHED_WORKFLOWS), so the figure is what one
  // open mobility costs when a worker keeps M of them in memory (the SDK's default cache follows the heap).
  const cacheSize = m + Math.ceil((m + 1) / perProject) + 10;
  const cacheEnv = { ME_WORKER_MAX_CACHED_WORKFLOWS: String(cacheSize) };
  let worker = await startWorker(cfg, taskQueue, cacheEnv);
  let client = await connectTemporal(cfg);
  let engine: MemoryRun;
  try {
    // The mobilities spread over projects of `perProject` (--per-project), each with its budget guard, as an
    // agency's year is; one project of every mobility measures its guard as well (see the README's scale section).
    const projects = Array.from({ length: Math.ceil((m + 1) / perProject) }, () => newProject());
    for (const { projectId } of projects) await registerProject(client, taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(100_000_000_000, perProject + 1), terms: KA131_TERMS as never });
    const apps = Array.from({ length: m + 1 }, (_, i) => {
      const p = projects[Math.floor(i / perProject)]!;
      return studyApplication(p.mobilityId((i % perProject) + 1), p.projectId, from);
    });
    for (const a of apps) await addContacts(db, a.participantRef);
    engine = await measure('engine', worker, m, concurrency, cacheSize, async (i) => {
      const a = apps[i + 1]!;
      await startMobility(client, taskQueue, a);
      await mobility(client, a.mobilityId).act('select', { actor: 'staff.bench' });
    });
  } finally {
    await client.connection.close();
    await worker.stop();
  }
  say(`  engine: worker RSS ${(engine.restKiB / 1024).toFixed(0)} MiB at rest → ${(engine.loadedKiB / 1024).toFixed(0)} MiB with ${engine.open} open (${engine.cached} cached): ${engine.perOpenKiB.toFixed(0)} KiB per cached mobility${engine.workerDied ? ` (the worker gave out with ${engine.open} open: ${engine.workerDied.replace(/\s+/g, ' ').slice(-400)})` : engine.stoppedEarly ? ' (stopped early: the rest would not fit in memory)' : ''}`);

  // The raw baseline.
  await freshTemporal(cfg);
  taskQueue = `bench-mem-raw-${Date.now().toString(36)}`;
  worker = await startProcess(cfg, 'test/bench/raw/worker.ts', { ME_TASK_QUEUE: taskQueue, ...cacheEnv }, /raw worker running/);
  client = await connectTemporal(cfg);
  let raw: MemoryRun;
  try {
    const plan = rawInput({ activities: 1 } as never);
    const { projectId, mobilityId } = newProject();
    raw = await measure('raw', worker, m, concurrency, cacheSize, async (i) => {
      const a = studyApplication(mobilityId(i + 2), projectId, from);
      const h = await client.workflow.start('rawLifecycle', { taskQueue, workflowId: a.mobilityId, args: [{ ...plan, perUpdate: plan.perUpdate.map(() => 0), application: a }] });
      await h.executeUpdate(STEPS[0]!.name, { args: [{ actor: 'staff.bench' }] });
    });
  } finally {
    await client.connection.close();
    await worker.stop();
  }
  say(`  raw: worker RSS ${(raw.restKiB / 1024).toFixed(0)} MiB at rest → ${(raw.loadedKiB / 1024).toFixed(0)} MiB with ${raw.open} open (${raw.cached} cached): ${raw.perOpenKiB.toFixed(0)} KiB per cached workflow`);
  const cache = defaultCache();
  return {
    figures: [
      figure({
        id: 'memory', figure: `worker memory per open mobility, KiB (${engine.open.toLocaleString('en')} open, parked after selection)`, unit: 'KiB',
        engineRuns: [engine.perOpenKiB], baselineName: 'raw workflow waiting on a condition', baselineRuns: [raw.perOpenKiB], higherIsBetter: false,
        note: `${engine.workerDied ? `the engine's worker gave out with ${engine.open} open mobilities (${/heap out of memory|Reached heap limit/i.test(engine.workerDied) ? 'JavaScript heap out of memory' : engine.workerDied.slice(0, 120)}); ` : ''}both workers cached every workflow (ME_WORKER_MAX_CACHED_WORKFLOWS=${cacheSize}; the SDK's default for this heap is ${cache}); 10,000 open by this figure: ${((engine.restKiB + engine.perOpenKiB * 10_000) / 2 ** 20).toFixed(1)} GiB`,
      }),
    ],
    details: { engine, raw, defaultCache: cache },
  };
}
