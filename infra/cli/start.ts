/**
 * `npm start`: starts the whole system on its embedded defaults (dev profile): the stack
 * (Temporal, Kafka, Postgres, SMTP), the worker, the projector and, when present, the ops
 * console; feeds the demo (bin/demo.ts, run as its own process); prints where to look. Ctrl-C
 * stops what it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { KAFKA_VERSION, kafkaLibs } from '../stack/kafka';
import { TOPICS } from '../kafka/topics';
import { describeEndpoints, stackDown, StackError, stackUp } from '../stack';
import { temporalBinary } from '../stack/temporal';

const cfg = loadConfig();
const logsDir = join(cfg.dataDir, 'logs');
const children: { name: string; proc: ChildProcess }[] = [];
let started: string[] = [];
let stopping = false;

function launch(name: string, entry: string) {
  mkdirSync(logsDir, { recursive: true });
  const out = openSync(join(logsDir, `${name}.log`), 'a');
  const proc = spawn(join(cfg.root, 'node_modules', '.bin', 'tsx'), [join(cfg.root, entry)], { cwd: cfg.root, env: process.env, stdio: ['ignore', out, out] });
  proc.on('exit', (code) => {
    if (!stopping) {
      console.error(`${name} exited with status ${code}; see ${join(logsDir, `${name}.log`)}`);
      void shutdown(1);
    }
  });
  children.push({ name, proc });
}

/**
 * Runs the demo (bin/demo.ts) to its end on the same configuration, passing its lines through,
 * and returns the id of the project it registered (read from its `demo: project … registered` line).
 */
function feedDemo(): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const proc = spawn(join(cfg.root, 'node_modules', '.bin', 'tsx'), [join(cfg.root, 'bin', 'demo.ts')], { cwd: cfg.root, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push({ name: 'demo', proc });
    let projectId: string | undefined;
    let rest = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) projectId ??= /^demo: project (\S+) registered/.exec(line)?.[1];
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      const i = children.findIndex((c) => c.proc === proc);
      if (i >= 0) children.splice(i, 1);
      // Stopped by Ctrl-C: shutdown() ends the run.
      if (stopping) return;
      if (code === 0) resolve(projectId);
      else reject(new StackError('demo', `bin/demo.ts exited with ${code ?? signal} (its error is above)`, 'fix the cause, or run the demo alone against the running stack with `npm run demo`'));
    });
  });
}

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  for (const { proc } of children) proc.kill('SIGTERM');
  await Promise.all(children.map(({ proc }) => (proc.exitCode !== null ? undefined : new Promise((r) => proc.once('exit', r)))));
  await stackDown(cfg, started);
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const t0 = Date.now();
  ({ started } = await stackUp(cfg));
  launch('worker', 'workers/temporal-worker.ts');
  launch('projector', 'workers/projector.ts');
  if (existsSync(join(cfg.root, 'workers', 'api.ts'))) launch('console', 'workers/api.ts');
  const projectId = await feedDemo();
  const temporal = temporalBinary(cfg);
  console.log(`
The mobility engine is running (profile ${cfg.profile}, up in ${((Date.now() - t0) / 1000).toFixed(1)}s). Press Ctrl-C to stop it.

${describeEndpoints(cfg).join('\n')}

Look at it:
  Temporal UI         ${cfg.temporal.uiUrl}/namespaces/${cfg.temporal.namespace}/workflows
  Workflows (CLI)     ${temporal} workflow list --address ${cfg.temporal.address} --query "ProjectId='${projectId}'"
  Events (topic)      ${TOPICS.mobilityEvents.name}; read them with Kafka's own consumer:
                      java -cp "${kafkaLibs(cfg)}/*" org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server ${cfg.kafka.brokers[0]} --topic ${TOPICS.mobilityEvents.name} --from-beginning --property print.key=true
  Projections (SQL)   psql "${cfg.postgres.url}" -c 'SELECT * FROM mobility_applications'
  Reminders (mailbox) ${join(cfg.dataDir, 'mail', 'inbox.jsonl')}
  Logs                ${logsDir}/{worker,projector,console}.log
  Kafka ${KAFKA_VERSION} jars   ${kafkaLibs(cfg)}
`);
  if (existsSync(join(cfg.root, 'workers', 'api.ts'))) console.log(`  Ops console         ${cfg.console.url}\n`);
  console.log('ready');
} catch (err) {
  console.error(err instanceof StackError ? `start: ${err.message}` : err);
  await shutdown(1);
}
