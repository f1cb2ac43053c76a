import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';

/** A start or install failure with the cause and the fix, printed as is. */
export class StackError extends Error {
  constructor(
    readonly service: string,
    readonly cause_: string,
    readonly fix: string,
  ) {
    super(`${service}: ${cause_}\n  fix: ${fix}`);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const s = createConnection({ host, port });
    const done = (ok: boolean) => {
      s.removeAllListeners();
      s.destroy();
      resolveOpen(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await check()) return true;
    } catch {
      /* not yet */
    }
    await sleep(intervalMs);
  }
  void what;
  return false;
}

/** Alive and not a zombie (this sandbox's PID 1 reaps slowly). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

export function readPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  // The first line: Postgres' postmaster.pid holds more after it.
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function runningPid(pidFile: string): number | null {
  const pid = readPid(pidFile);
  return pid !== null && pidAlive(pid) ? pid : null;
}

/** Start a long-running server in its own process group, output to a log file, pid to a pid file. */
export function spawnServer(cmd: string, args: string[], opts: { logFile: string; pidFile: string; cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number }): number {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const out = openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
    uid: opts.uid,
    gid: opts.gid,
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${cmd}`);
  child.unref();
  writeFileSync(opts.pidFile, String(child.pid));
  return child.pid;
}

/** SIGTERM the process group, wait for it to go, SIGKILL if it lingers. */
export async function stopPid(pidFile: string, graceMs = 10_000): Promise<boolean> {
  const pid = readPid(pidFile);
  if (pid === null || !pidAlive(pid)) {
    rmSync(pidFile, { force: true });
    return false;
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  signal('SIGTERM');
  if (!(await waitFor('exit', async () => !pidAlive(pid), graceMs))) {
    signal('SIGKILL');
    await waitFor('exit', async () => !pidAlive(pid), 5_000);
  }
  rmSync(pidFile, { force: true });
  return true;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { ok: boolean; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  const stdout = String(r.stdout ?? '');
  const out = `${stdout}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { ok: r.status === 0, out, stdout };
}

/** Like run, without blocking the event loop (for checks made while other work goes on). */
export function runAsync(cmd: string, args: string[], opts: { timeout?: number } = {}): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = opts.timeout ? setTimeout(() => child.kill('SIGKILL'), opts.timeout) : null;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolveRun({ ok: false, out: `${out}${String(err)}` });
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolveRun({ ok: code === 0, out });
    });
  });
}

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
