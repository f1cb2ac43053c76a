/**
 * What every bench module shares: options, progress lines, figures paired with their baselines,
 * the CPU time of each process of the stack (from /proc), and the engine's own processes (the
 * worker and the projector, started exactly as `npm start` starts them).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from '../../infra/config';
import { kafkaService } from '../../infra/stack/kafka';
import { postgresService } from '../../infra/stack/postgres';
import { readPid, waitFor } from '../../infra/stack/proc';
import { temporalService } from '../../infra/stack/temporal';

export interface BenchOptions {
  /** Lifecycles per run (application → recognition). */
  mobilities: number;
  /** Lifecycles in flight at once. */
  concurrency: number;
  /** Mobilities per project (each project has its own budget guard workflow). */
  perProject: number;
  /** Open mobilities held by one worker for the memory figure (0: skip). */
  open: number;
  /** Events in the topics for the fold and rebuild figures (synthetic streams added to the lifecycle's own). */
  events: number;
  /** Repetitions of the lifecycle pair (engine, raw), each on a fresh Temporal server. */
  repeat: number;
  /** Phases to run (all when empty). */
  only: string[];
}

/** One figure of the engine beside the baseline measured in the same run. */
export interface Figure {
  id: string;
  figure: string;
  unit: string;
  /** The engine's value; for several repetitions, their median. */
  engine: number;
  engineRuns?: number[];
  baselineName?: string;
  baseline?: number;
  baselineRuns?: number[];
  /** True when a higher value is better (throughput); false for costs (memory, latency). */
  higherIsBetter: boolean;
  /** engine / baseline for throughputs, baseline / engine for costs: 1 means as good as raw. */
  ratio?: number;
  /** The issue's target for the ratio, when it sets one. */
  target?: number;
  note?: string;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

export function figure(f: Omit<Figure, 'engine' | 'baseline' | 'ratio'> & { engineRuns: number[]; baselineRuns?: number[] }): Figure {
  const engine = median(f.engineRuns);
  const baseline = f.baselineRuns && f.baselineRuns.length > 0 ? median(f.baselineRuns) : undefined;
  const ratio = baseline === undefined ? undefined : f.higherIsBetter ? engine / baseline : baseline / engine;
  return { ...f, engine, ...(baseline !== undefined ? { baseline } : {}), ...(ratio !== undefined ? { ratio } : {}) };
}

// ———————————————————————————————————————————— progress

const tty = process.stdout.isTTY === true;
let open = false;
/** A progress line, rewritten in place on a terminal, printed every 10 % otherwise. */
export function progress(label: string, total: number) {
  const t0 = performance.now();
  let lastDecile = -1;
  const show = (done: number, extra = '') => {
    const s = (performance.now() - t0) / 1000;
    const line = `  ${label}: ${done}/${total} ${total > 0 ? `(${Math.floor((100 * done) / total)} %)` : ''}, ${s.toFixed(1)} s${done > 0 ? `, ${(done / s).toFixed(1)}/s` : ''}${extra ? `, ${extra}` : ''}`;
    if (tty) {
      process.stdout.write(`\r\x1b[2K${line}`);
      open = true;
    } else {
      const decile = Math.floor((10 * done) / Math.max(1, total));
      if (decile !== lastDecile) {
        lastDecile = decile;
        console.log(line);
      }
    }
  };
  return {
    tick: show,
    done(extra = '') {
      show(total, extra);
      if (tty) process.stdout.write('\n');
      open = false;
    },
  };
}

/** A line of the bench's log, never in the middle of a progress line. */
export function say(line: string): void {
  if (open && tty) process.stdout.write('\n');
  open = false;
  console.log(line);
}

// ———————————————————————————————————————————— processes and their CPU time

const CLK_TCK = 100;

/** User + system CPU time of one process, in ms (0 when it is gone). */
export function cpuMs(pid: number | null | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Resident set size of one process, in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const childrenOf = (ppid: number): number[] =>
  readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid;
    } catch {
      return false;
    }
  });

/** The pids whose CPU time is counted for each part of the stack. */
export function stackPids(cfg: Config): Record<'temporal' | 'kafka' | 'postgres', () => number[]> {
  const pg = join(postgresService(cfg).dataDir, 'data', 'postmaster.pid');
  return {
    temporal: () => [readPid(join(temporalService(cfg).dataDir, 'temporal.pid'))].filter((p): p is number => p !== null),
    kafka: () => [readPid(join(kafkaService(cfg).dataDir, 'kafka.pid'))].filter((p): p is number => p !== null),
    // The postmaster and its backends (a backend that exited is not counted: short-lived ones are few).
    postgres: () => {
      const pm = existsSync(pg) ? readPid(pg) : null;
      return pm ? [pm, ...childrenOf(pm)] : [];
    },
  };
}

/** CPU ms used by each named group of processes between start() and stop(). */
export function cpuMeter(groups: Record<string, () => number[]>) {
  const at = (): Map<string, Map<number, number>> => new Map(Object.entries(groups).map(([k, pids]) => [k, new Map(pids().map((p) => [p, cpuMs(p)]))]));
  let before = at();
  let t0 = performance.now();
  return {
    restart() {
      before = at();
      t0 = performance.now();
    },
    /** CPU ms per group since the start, and the wall time. */
    read(): { wallMs: number; cpu: Record<string, number> } {
      const now = at();
      const cpu: Record<string, number> = {};
      for (const [k, pids] of now) {
        let sum = 0;
        for (const [pid, ms] of pids) sum += ms - (before.get(k)?.get(pid) ?? 0);
        cpu[k] = sum;
      }
      return { wallMs: performance.now() - t0, cpu };
    },
  };
}

export interface EngineProcess {
  pid: number;
  /** Resolves with the tail of its output when the process exits. */
  exited: Promise<string>;
  /** Stops it with SIGTERM and waits for its exit. */
  stop(): Promise<void>;
  output(): string;
}

/**
 * Starts a process as `npm start` does (node --import tsx <entry>), with extra environment, and
 * waits for a line of its output that says it runs.
 */
export async function startProcess(cfg: Config, entry: string, env: Record<string, string>, readyWhen: RegExp, timeoutMs = 180_000): Promise<EngineProcess> {
  // ME_BENCH_CPU_PROF=DIR: each process the bench starts writes a V8 CPU profile (.cpuprofile) there when it stops.
  const prof = process.env.ME_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.ME_BENCH_CPU_PROF}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...prof, '--import', 'tsx', join(cfg.root, entry)], { cwd: cfg.root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Its output is also kept in <stack>/logs/bench-<name>-<pid>.log.
  mkdirSync(cfg.logsDir, { recursive: true });
  const log = createWriteStream(join(cfg.logsDir, `bench-${basename(entry, '.ts')}-${child.pid}.log`));
  let out = '';
  const keep = (d: Buffer) => {
    log.write(d);
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(`${entry} exited (${signal ?? code}): ${out.slice(-1500)}`)));
  const ok = await waitFor(entry, async () => readyWhen.test(out) || child.exitCode !== null, timeoutMs, 100);
  if (!ok || child.exitCode !== null) {
    child.kill('SIGKILL');
    throw new Error(`${entry} did not start: ${out.slice(-3000)}`);
  }
  return {
    pid: child.pid!,
    exited,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The engine's worker process on its own task queue. */
export const startWorker = (cfg: Config, taskQueue: string, env: Record<string, string> = {}) =>
  startProcess(cfg, 'workers/temporal-worker.ts', { ME_TASK_QUEUE: taskQueue, ME_LOG_LEVEL: 'info', ...env }, /"msg":"worker running"/);

/** The engine's projector process. */
export const startProjectorProcess = (cfg: Config) => startProcess(cfg, 'workers/projector.ts', { ME_LOG_LEVEL: 'info' }, /projector running/);

/**
 * Stops the Temporal dev server, removes its database and starts it again (as `npm start` runs it,
 * with its WAL pragmas): the server slows as its SQLite file grows, so each timed run starts fresh.
 */
export async function freshTemporal(cfg: Config): Promise<void> {
  const t = temporalService(cfg);
  await t.stop();
  rmSync(t.dataDir, { recursive: true, force: true });
  await t.start();
  if (!(await waitFor('temporal', () => t.healthy(), 60_000, 250))) throw new Error('the Temporal dev server did not come back');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes under a directory (files only, symlinks not followed). */
export function duBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** What the stack holds on disk: the Temporal server's SQLite files, Kafka's logs, the engine's database. */
export async function diskUsage(cfg: Config, db: { query: (sql: string) => Promise<{ rows: { n: string }[] }> }): Promise<{ temporal: number; kafka: number; postgres: number }> {
  return {
    temporal: duBytes(temporalService(cfg).dataDir),
    kafka: duBytes(join(kafkaService(cfg).dataDir, 'data')),
    postgres: Number((await db.query('SELECT pg_database_size(current_database())::text AS n')).rows[0]!.n),
  };
}

/** Runs `n` jobs, `concurrency` at a time. */
export async function pool<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await job(i);
    }
  }));
  return out;
}
