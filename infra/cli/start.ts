/**
 * `npm start`: starts the whole system on its embedded defaults (dev profile): the stack
 * (Temporal, Kafka, Postgres, SMTP), the worker, the projector and the API with the operations
 * console; feeds the demo (bin/demo.ts, run as its own process, once); prints where to look.
 *
 * It then supervises what runs: a process that exits is started again after a back-off (0.5 s,
 * doubling up to 15 s; back to 0.5 s once it has stayed up a minute) and one exiting never stops
 * the others; a local service whose process is gone is started again and waited for. Every such
 * event is a line on the terminal and in `<dataDir>/logs/supervisor.log`; each process logs to
 * `<dataDir>/logs/<process>.log` and its pid is in `<dataDir>/run/<process>.pid`.
 * Ctrl-C stops what it started. `--no-demo` skips the demo.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config';
import { analyticsClientConfig, principalsFile } from '../kafka/principals';
import { TOPICS } from '../kafka/topics';
import { describeEndpoints, services, stackDown, StackError, stackUp } from '../stack';
import { KAFKA_VERSION, kafkaLibs } from '../stack/kafka';
import { temporalBinary } from '../stack/temporal';
import { watchServices } from '../stack/watch';

const cfg = loadConfig();
const withDemo = !process.argv.includes('--no-demo');
const logsDir = cfg.logsDir;
const runDir = join(cfg.dataDir, 'run');
mkdirSync(logsDir, { recursive: true });
mkdirSync(runDir, { recursive: true });
const supervisorLog = pino({ name: 'supervisor', base: { process: 'supervisor', pid: process.pid } }, pino.destination({ dest: join(logsDir, 'supervisor.log'), append: true, sync: true }));
const say = (line: string, fields: Record<string, unknown> = {}, level: 'info' | 'warn' | 'error' = 'info') => {
  supervisorLog[level](fields, line);
  (level === 'info' ? console.log : console.error)(`[supervisor] ${line}`);
};

/** The engine's long-running processes, each supervised. */
const PROCESSES = [
  { name: 'worker', entry: 'workers/temporal-worker.ts' },
  { name: 'projector', entry: 'workers/projector.ts' },
  { name: 'api', entry: 'workers/api.ts' },
] as const;

interface Supervised {
  name: string;
  entry: string;
  proc: ChildProcess | null;
  startedAt: number;
  backoffMs: number;
  restarts: number;
  timer: NodeJS.Timeout | null;
}

const supervised: Supervised[] = [];
const oneShots: ChildProcess[] = [];
let started: string[] = [];
let stopping = false;
let stopWatching: () => Promise<void> = async () => undefined;

const pidFileOf = (name: string) => join(runDir, `${name}.pid`);

function launch(s: Supervised) {
  s.timer = null;
  if (stopping) return;
  const out = openSync(join(logsDir, `${s.name}.log`), 'a');
  // node --import tsx (not the tsx CLI, which would put a second process between us and the program).
  const proc = spawn(process.execPath, ['--import', 'tsx', join(cfg.root, s.entry)], { cwd: cfg.root, env: process.env, stdio: ['ignore', out, out] });
  s.proc = proc;
  s.startedAt = Date.now();
  if (proc.pid !== undefined) writeFileSync(pidFileOf(s.name), String(proc.pid));
  proc.on('exit', (code, signal) => {
    if (s.proc === proc) s.proc = null;
    if (stopping) return;
    const upMs = Date.now() - s.startedAt;
    if (upMs > 60_000) s.backoffMs = 500;
    s.restarts++;
    say(`${s.name} exited (${signal ?? `status ${code}`}) after ${(upMs / 1000).toFixed(1)}s; restarting in ${(s.backoffMs / 1000).toFixed(1)}s (restart #${s.restarts}); log ${join(logsDir, `${s.name}.log`)}`,
      { child: s.name, code, signal, upMs, restart: s.restarts, backoffMs: s.backoffMs, event: 'exited' }, 'warn');
    s.timer = setTimeout(() => {
      launch(s);
      say(`${s.name} started again (pid ${s.proc?.pid})`, { child: s.name, pid: s.proc?.pid, restart: s.restarts, event: 'restarted' });
    }, s.backoffMs);
    s.backoffMs = Math.min(s.backoffMs * 2, 15_000);
  });
}

function supervise(name: string, entry: string) {
  const s: Supervised = { name, entry, proc: null, startedAt: 0, backoffMs: 500, restarts: 0, timer: null };
  supervised.push(s);
  launch(s);
}

/**
 * Runs the demo (bin/demo.ts) to its end on the same configuration, passing its lines through,
 * and returns the ids of the projects it registered (read from its `demo: project … registered` lines).
 */
function feedDemo(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(cfg.root, 'bin', 'demo.ts')], { cwd: cfg.root, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    oneShots.push(proc);
    const projectIds: string[] = [];
    let rest = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const id = /^demo: project (\S+) registered/.exec(line)?.[1];
        if (id && !projectIds.includes(id)) projectIds.push(id);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      const i = oneShots.indexOf(proc);
      if (i >= 0) oneShots.splice(i, 1);
      // Stopped by Ctrl-C: shutdown() ends the run.
      if (stopping) return;
      if (code === 0) resolve(projectIds);
      else reject(new StackError('demo', `bin/demo.ts exited with ${code ?? signal} (its error is above)`, 'fix the cause, or run the demo alone against the running stack with `npm run demo`'));
    });
  });
}

const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await stopWatching();
  for (const s of supervised) if (s.timer) clearTimeout(s.timer);
  const procs = [...supervised.map((s) => s.proc), ...oneShots].filter((p): p is ChildProcess => p !== null && !exited(p));
  for (const p of procs) p.kill('SIGTERM');
  const killer = setTimeout(() => procs.filter((p) => !exited(p)).forEach((p) => p.kill('SIGKILL')), 15_000);
  await Promise.all(procs.map((p) => (exited(p) ? undefined : new Promise((r) => p.once('exit', r)))));
  clearTimeout(killer);
  for (const s of supervised) rmSync(pidFileOf(s.name), { force: true });
  await stackDown(cfg, started);
  supervisorLog.info({ code, event: 'stopped' }, 'stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const t0 = Date.now();
  ({ started } = await stackUp(cfg));
  // Services that die are started again, whoever started them first; at the end only the ones
  // this run started are stopped.
  stopWatching = watchServices(services(cfg), (e) => {
    const what = {
      down: `${e.service} is down; starting it again`,
      restarting: `${e.service}: starting`,
      back: `${e.service} is back (${((e.downMs ?? 0) / 1000).toFixed(1)}s after it went down)`,
      'restart-failed': `${e.service} did not come back: ${e.error}`,
      'not-answering': `${e.service} runs but does not answer`,
      answering: `${e.service} answers again`,
    }[e.event];
    say(what, { service: e.service, event: e.event, downMs: e.downMs, error: e.error }, e.event === 'back' || e.event === 'answering' || e.event === 'restarting' ? 'info' : 'warn');
  });
  for (const p of PROCESSES) supervise(p.name, p.entry);
  // The demo is fed once; if it fails, the engine keeps running (run it again with `npm run demo`).
  const projectIds = withDemo
    ? await feedDemo().catch((err: Error): string[] => {
        if (stopping) return [];
        say(`the demo did not finish: ${err instanceof StackError ? err.message : String(err)}`, { event: 'demo-failed' }, 'error');
        return [];
      })
    : [];
  const projectId = projectIds[0];
  const project = projectId ?? '<projectId>';
  const temporal = temporalBinary(cfg);
  const web = cfg.console.url;
  // The API's files need a session: a token for curl (the demo accounts' passwords are demo-<username>).
  const token = `TOKEN=$(curl -s ${web}/api/login -H 'content-type: application/json' -d '{"username":"lyon","password":"demo-lyon"}' | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')`;
  console.log(`
The mobility engine is running (profile ${cfg.profile}, up in ${((Date.now() - t0) / 1000).toFixed(1)}s). Press Ctrl-C to stop it.

${describeEndpoints(cfg).join('\n')}

Look at it:
  Ops console         ${web}  (health ${web}/health, readiness ${web}/ready)
                      demo sign-ins (password demo-<name>): director, coordinator, admin, quality, lyon, grenoble, bron, paris, observer
  Organisation        ${web}/organisation  (who manages: director, coordinator, lyon, grenoble, paris): institutions, sites, staff invitations, roles
  Incoming            ${web}/incoming  (lyon, bron, grenoble, paris): nominations received; the demo's student at Lyon, invited expert at Paris
  Mobility page       documents and proofs (download, attach), a signed host link to copy; recognised ones offer the Europass PDF and open badge
  Import              ${web}/imports  or  npm run import -- --project ${project} FILE.xlsx|FILE.csv  (--user lyon)
                      template: ${token}
                                curl -OJ -H "authorization: Bearer $TOKEN" ${web}/api/imports/template.xlsx   (or template.csv)
  BM export           the Budget page's buttons, or with a token (curl -OJ as above), .xlsx or .csv:
                      ${(projectIds.length ? projectIds : ['<projectId>']).map((p) => `${web}/api/projects/${p}/bm-export.xlsx`).join('\n                      ')}
  Calendar feed       console → Budget → "Calendar of due dates" → Create a calendar link: a private .ics URL, shown once
  Temporal UI         ${cfg.temporal.uiUrl}/namespaces/${cfg.temporal.namespace}/workflows
  Workflows (CLI)     ${temporal} workflow list --address ${cfg.temporal.address}${projectId ? ` --query "ProjectId='${projectId}'"` : ''}
  Events (topic)      ${TOPICS.mobilityEvents.name}; read them with Kafka's own consumer, as the read-only analytics principal:
                      java -cp "${kafkaLibs(cfg)}/*" org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server ${cfg.kafka.brokers[0]} --consumer.config ${analyticsClientConfig(cfg)} --topic ${TOPICS.mobilityEvents.name} --from-beginning --property print.key=true
  Kafka principals    ${principalsFile(cfg)}
  Projections (SQL)   psql "${cfg.postgres.url}" -c 'SELECT * FROM budget_line_totals'   (health: SELECT * FROM projection_health)
  Dev mailbox         ${join(cfg.dataDir, 'mail', 'inbox.jsonl')}  (staff invitations with their set-password link, reminders with signed links)
  Logs (JSON lines)   ${PROCESSES.map((p) => join(logsDir, `${p.name}.log`)).join('\n                      ')}
                      ${join(logsDir, 'supervisor.log')}  (restarts of processes and services)
  Kafka ${KAFKA_VERSION} jars   ${kafkaLibs(cfg)}
`);
  console.log('ready');
} catch (err) {
  console.error(err instanceof StackError ? `start: ${err.message}` : err);
  await shutdown(1);
}
