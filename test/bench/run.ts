/**
 * `npm run bench [-- options]`: the engine on its real path, each figure beside a raw baseline
 * measured in the same run on the same machine, so ratios stay meaningful on a busy machine.
 *
 *   --mobilities N    lifecycles per run, application → recognition (default 100)
 *   --concurrency C   lifecycles in flight (default 20)
 *   --per-project P   mobilities per project, i.e. per budget guard (default 100)
 *   --repeat R        repetitions of the engine/raw lifecycle pair and of the rebuild (default 1)
 *   --open M          open mobilities held by one worker for the memory figure (default 1000; 0 skips)
 *   --events E        events in the topics for the fold and rebuild figures (default 100000)
 *   --import-rows N   rows of the bulk-import file (default 2000)
 *   --only a,b        phases: grant, lifecycle, publish, projection, memory, import, api (default all but api)
 *
 * A stack of its own (Temporal dev server with the WAL pragmas `npm start` uses, Kafka, Postgres,
 * SMTP sink) is started fresh under <data dir>/stack, on the test profile's ports shifted by
 * ME_PORT_OFFSET (default 50); the data dir is ME_DATA_DIR or .data/bench. The engine's worker and
 * projector run as their own processes, exactly as `npm start` runs them. The ratio table is printed
 * and written to <data dir>/results/bench-<time>.json (and latest.json).
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, ROOT } from '../../infra/config';
import { createPool } from '../../infra/db/pool';
import { stackDown, stackUp } from '../../infra/stack';
import { grantBench } from './grant';
import { importBench } from './import';
import { type BenchOptions, type EngineProcess, type Figure, figure, median, percentile, say, startProjectorProcess } from './lib';
import { describeRun, engineRun, type LifecycleRun, type LifecycleShape, rawInput, rawRun } from './lifecycle';
import { memoryBench } from './memory';
import { projectionBench } from './projection';
import { publishBench } from './publish';

const { values } = parseArgs({
  options: {
    mobilities: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '20' },
    'per-project': { type: 'string', default: '100' },
    repeat: { type: 'string', default: '1' },
    open: { type: 'string', default: '1000' },
    events: { type: 'string', default: '100000' },
    'import-rows': { type: 'string', default: '2000' },
    only: { type: 'string', default: '' },
  },
  allowPositionals: true,
});
const int = (v: string | undefined, name: string, min = 0) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}`);
    process.exit(2);
  }
  return n;
};
const opts: BenchOptions = {
  mobilities: int(values.mobilities, 'mobilities', 1),
  concurrency: int(values.concurrency, 'concurrency', 1),
  perProject: int(values['per-project'], 'per-project', 1),
  repeat: int(values.repeat, 'repeat', 1),
  open: int(values.open, 'open'),
  events: int(values.events, 'events'),
  only: (values.only ?? '').split(',').map((s) => s.trim()).filter(Boolean),
};
const PHASES = ['grant', 'lifecycle', 'publish', 'projection', 'memory', 'import', 'api'] as const;
const importRows = int(values['import-rows'], 'import-rows', 10);
const unknown = opts.only.filter((p) => !(PHASES as readonly string[]).includes(p));
if (unknown.length > 0) {
  console.error(`unknown phase(s) ${unknown.join(', ')}; phases: ${PHASES.join(', ')}`);
  process.exit(2);
}
const wants = (p: (typeof PHASES)[number]) => (opts.only.length === 0 ? p !== 'api' : opts.only.includes(p));

const base = process.env.ME_DATA_DIR ? join(process.env.ME_DATA_DIR) : join(ROOT, '.data', 'bench');
const stackDir = join(base, 'stack');
process.env.ME_PROFILE ??= 'test';
process.env.ME_PORT_OFFSET ??= '50';
process.env.ME_DATA_DIR = stackDir;
const cfg = loadConfig();
// A stack left running by an interrupted bench is stopped before its data goes.
await stackDown(cfg, undefined, () => undefined);
rmSync(stackDir, { recursive: true, force: true });

const machine = { cores: cpus().length, memGiB: +(totalmem() / 2 ** 30).toFixed(1), freeGiB: +(freemem() / 2 ** 30).toFixed(1), loadAtStart: loadavg().map((l) => +l.toFixed(2)) };
say(`bench: ${JSON.stringify(opts)}; machine ${machine.cores} cores, ${machine.memGiB} GiB (${machine.freeGiB} free), load ${machine.loadAtStart.join(' ')}`);
say(`stack under ${stackDir} (Temporal ${cfg.temporal.address}, Kafka ${cfg.kafka.brokers.join(',')}, Postgres ${cfg.postgres.url})`);

// Calls still retrying when a phase closes its Temporal client (after a worker gave out) end here, not the bench.
const closedChannel = (err: unknown) => /Channel has been shut down/.test(String((err as Error)?.message));
process.on('uncaughtException', (err) => {
  if (!closedChannel(err)) throw err;
});
process.on('unhandledRejection', (err) => {
  if (!closedChannel(err)) throw err;
});

const figures: Figure[] = [];
const details: Record<string, unknown> = {};
const t0 = Date.now();

if (wants('grant')) {
  say('\n== grant calculations');
  figures.push(...(await grantBench(100_000, Math.max(3, opts.repeat))));
}

const { started } = await stackUp(cfg, (l) => say(`[stack] ${l}`));
const db = createPool(cfg, 6);
let projector: EngineProcess | null = null;
try {
  projector = await startProjectorProcess(cfg);
  let shape: LifecycleShape | null = null;
  if (wants('lifecycle')) {
    say(`\n== lifecycle: ${opts.mobilities} mobilities, ${opts.concurrency} at a time, application → recognition (engine and raw, each on a fresh Temporal server)`);
    const engine: LifecycleRun[] = [];
    const raw: LifecycleRun[] = [];
    const rawLocal: LifecycleRun[] = [];
    for (let r = 1; r <= opts.repeat; r++) {
      const e = await engineRun(cfg, db, projector, opts.mobilities, opts.concurrency, opts.perProject, `engine ${r}/${opts.repeat}`);
      shape ??= e.shape;
      engine.push(e.run);
      say(`  ${describeRun(e.run)}`);
      const w = await rawRun(cfg, opts.mobilities, opts.concurrency, shape, `raw ${r}/${opts.repeat}`);
      raw.push(w);
      say(`  ${describeRun(w)}`);
      // The same raw workflow running its no-ops as local activities, the kind the engine's mobility runs.
      const l = await rawRun(cfg, opts.mobilities, opts.concurrency, shape, `raw, local activities ${r}/${opts.repeat}`, true);
      rawLocal.push(l);
      say(`  ${describeRun(l)}`);
    }
    const s = shape!;
    const raws = rawInput(s);
    say(`  one engine lifecycle: ${s.historyEvents.toFixed(0)} history events, ${s.workflowTasks.toFixed(0)} workflow tasks, ${s.activities.toFixed(1)} activities (${Object.entries(s.activitiesByType).map(([k, v]) => `${v.toFixed(1)} ${k}`).join(', ')}), publish sizes [${s.publishSizes.join(', ')}]; budget guard per lifecycle: ${s.guard.workflowTasks.toFixed(1)} workflow tasks, ${s.guard.activities.toFixed(1)} activities`);
    say(`  raw lifecycle: ${raws.atStart} activity at start + [${raws.perUpdate.join(', ')}] per Update`);
    const events = engine[0]!.events! / engine[0]!.lifecycles;
    figures.push(figure({
      id: 'lifecycle', figure: `lifecycles per second (${opts.mobilities} mobilities, ${opts.concurrency} at a time, application → recognition, 9 Updates)`, unit: 'lifecycles/s',
      engineRuns: engine.map((x) => x.perSecond), baselineName: `raw workflow, same 9 Updates and payloads, ${Math.round(s.activities)} no-op activities`, baselineRuns: raw.map((x) => x.perSecond),
      higherIsBetter: true, target: 0.85,
      note: `engine ≈ ${(median(engine.map((x) => x.perSecond)) * 9).toFixed(0)} Updates/s and ${(median(engine.map((x) => x.perSecond)) * events).toFixed(0)} events/s; its activities: ${Object.entries(s.activitiesByType).map(([k, v]) => `${v.toFixed(1)} ${k}`).join(', ')}`,
    }));
    figures.push(figure({
      id: 'lifecycle-local', figure: 'lifecycles per second, against a raw workflow running the same number of activities as local activities', unit: 'lifecycles/s',
      engineRuns: engine.map((x) => x.perSecond), baselineName: `raw workflow, same 9 Updates and payloads, ${Math.round(s.activities)} no-op local activities`, baselineRuns: rawLocal.map((x) => x.perSecond),
      higherIsBetter: true,
      note: 'what the engine adds to Temporal when both run the same kind of activities (its domain, Kafka, Postgres and the projector share the two cores)',
    }));
    const all = (runs: LifecycleRun[]) => runs.flatMap((x) => x.updateMs);
    figures.push(figure({ id: 'update-p50', figure: 'Update latency p50 under that load (ms)', unit: 'ms', engineRuns: [percentile(all(engine), 50)], baselineName: 'raw workflow', baselineRuns: [percentile(all(raw), 50)], higherIsBetter: false }));
    figures.push(figure({ id: 'update-p99', figure: 'Update latency p99 under that load (ms)', unit: 'ms', engineRuns: [percentile(all(engine), 99)], baselineName: 'raw workflow', baselineRuns: [percentile(all(raw), 99)], higherIsBetter: false }));
    const lag = engine.flatMap((x) => x.lagMs ?? []);
    const missing = engine.reduce((n, x) => n + (x.lagMissing ?? 0), 0);
    figures.push(figure({ id: 'lag-p50', figure: 'Update answered → its projection row visible, p50 (ms)', unit: 'ms', engineRuns: [percentile(lag, 50)], higherIsBetter: false, note: `${lag.length} Updates sampled${missing ? `, ${missing} never visible within 60 s` : ''}` }));
    figures.push(figure({ id: 'lag-p99', figure: 'Update answered → its projection row visible, p99 (ms)', unit: 'ms', engineRuns: [percentile(lag, 99)], higherIsBetter: false }));
    const cpuPer = (runs: LifecycleRun[]) => Object.fromEntries(Object.keys(runs[0]!.cpu).map((k) => [k, Math.round(median(runs.map((x) => x.cpu[k]! / x.lifecycles)))]));
    details.lifecycle = { shape: s, rawPlan: raws, cpuMsPerLifecycle: { engine: cpuPer(engine), raw: cpuPer(raw), rawLocal: cpuPer(rawLocal) }, runs: [...engine, ...raw, ...rawLocal].map(({ updateMs: _u, lagMs: _l, ...rest }) => rest) };
  }
  if (wants('publish')) {
    say('\n== event publishing');
    figures.push(...(await publishBench(cfg, shape, opts.concurrency, opts.repeat)));
  }
  if (wants('projection')) {
    say(`\n== projection fold and rebuild (${opts.events.toLocaleString('en')} events added to the topics)`);
    const r = await projectionBench(cfg, db, projector, opts.events, opts.repeat);
    projector = r.projector;
    figures.push(...r.figures);
    details.projection = r.details;
  }
  if (wants('memory') && opts.open > 0) {
    say(`\n== worker memory with ${opts.open.toLocaleString('en')} open mobilities (parked after selection)`);
    const r = await memoryBench(cfg, db, opts.open, opts.concurrency, opts.perProject);
    figures.push(...r.figures);
    details.memory = r.details;
  }
  if (wants('import')) {
    say(`\n== bulk import of ${importRows.toLocaleString('en')} applications (one XLSX) against the same rows one by one`);
    const r = await importBench(cfg, importRows);
    figures.push(...r.figures);
    details.import = r.details;
  }
  if (wants('api')) {
    say('\n== operations API');
    const { apiBench } = await import('./api');
    figures.push(...(await apiBench(cfg)));
  }
} catch (err) {
  say(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await projector?.stop().catch(() => undefined);
  await db.end().catch(() => undefined);
  await stackDown(cfg, started, () => undefined);
}

// ———————————————————————————————————————————— the table

if (process.exitCode === 1) process.exit(1);
const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v >= 100 ? Math.round(v).toLocaleString('en') : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const runs = (xs?: number[]) => (xs && xs.length > 1 ? ` (${xs.map(fmt).join(' / ')})` : '');
const rows = figures.map((f) => [
  f.figure,
  `${fmt(f.engine)}${runs(f.engineRuns)}`,
  f.baselineName ? `${fmt(f.baseline)}${runs(f.baselineRuns)} — ${f.baselineName}` : '—',
  f.ratio === undefined ? '—' : `${f.ratio.toFixed(3)}${f.target !== undefined ? (f.ratio >= f.target ? ` ✓ (target ${f.target})` : ` ✗ (target ${f.target})`) : ''}`,
]);
const machineAtEnd = { ...machine, loadAtEnd: loadavg().map((l) => +l.toFixed(2)), minutes: +((Date.now() - t0) / 60_000).toFixed(1) };
console.log(`\n| figure | the engine | same-run baseline | ratio (1 = as good as raw) |\n|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
for (const f of figures.filter((x) => x.note)) console.log(`- ${f.id}: ${f.note}`);
console.log(`machine: ${machine.cores} cores, load ${machine.loadAtStart.join(' ')} at start, ${machineAtEnd.loadAtEnd.join(' ')} at end; ${machineAtEnd.minutes} min`);
const out = join(base, 'results');
mkdirSync(out, { recursive: true });
const file = join(out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const json = JSON.stringify({ at: new Date().toISOString(), options: opts, machine: machineAtEnd, figures, details }, null, 2);
writeFileSync(file, json);
writeFileSync(join(out, 'latest.json'), json);
console.log(`results: ${file}`);
process.exit(0);
