/**
 * `npm start`: starts the whole system on its embedded defaults (dev profile): the stack
 * (Temporal, Kafka, Postgres, SMTP), the worker, the projector and, when present, the ops
 * console; feeds the demo; prints where to look. Ctrl-C stops what it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { runDemo } from '../../bin/demo';
import { loadConfig } from '../config';
import { KAFKA_VERSION, kafkaLibs } from '../stack/kafka';
import { TOPICS } from '../kafka/topics';
import { describeEndpoints, stackDown, StackError, stackUp } from '../stack';
import { temporalBinary } from '../stack/temporal';
import { connectTemporal } from '../temporal';

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
  const client = await connectTemporal(cfg);
  const ids = await runDemo(cfg, client);
  await client.connection.close();
  const temporal = temporalBinary(cfg);
  console.log(`
The mobility engine is running (profile ${cfg.profile}, up in ${((Date.now() - t0) / 1000).toFixed(1)}s). Press Ctrl-C to stop it.

${describeEndpoints(cfg).join('\n')}

Look at it:
  Temporal UI         ${cfg.temporal.uiUrl}/namespaces/${cfg.temporal.namespace}/workflows
  Workflows (CLI)     ${temporal} workflow list --address ${cfg.temporal.address} --query "ProjectId='${ids[0]?.replace(/-MOB-\d+$/, '')}'"
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
