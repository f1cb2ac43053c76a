import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Repository root (this file lives in infra/). */
export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Two profiles with disjoint ports and data directories, so `npm test` never touches the
 * stack that `npm start` runs. Every value can be overridden by an environment variable.
 */
const PROFILES = {
  dev: { temporal: 7233, temporalUi: 8233, kafka: 9092, kafkaController: 9093, postgres: 54329, smtp: 2525, console: 3000 },
  test: { temporal: 17233, temporalUi: 18233, kafka: 19092, kafkaController: 19093, postgres: 54339, smtp: 12525, console: 13000 },
} as const;

const Port = z.coerce.number().int().min(1024).max(65535);

const Env = z.object({
  ME_PROFILE: z.enum(['dev', 'test']).default('dev'),
  ME_DATA_DIR: z.string().optional(),
  ME_CACHE_DIR: z.string().default(join(homedir(), '.cache', 'mobility-engine')),
  /** Shifts every default port, e.g. to run a second stack beside the first. */
  ME_PORT_OFFSET: z.coerce.number().int().min(0).max(20000).default(0),
  ME_TEMPORAL_PORT: Port.optional(),
  ME_TEMPORAL_UI_PORT: Port.optional(),
  ME_KAFKA_PORT: Port.optional(),
  ME_KAFKA_CONTROLLER_PORT: Port.optional(),
  ME_POSTGRES_PORT: Port.optional(),
  ME_SMTP_PORT: Port.optional(),
  ME_CONSOLE_PORT: Port.optional(),
  /** Where the API listens: loopback by default; a container publishing its port sets 0.0.0.0. */
  ME_CONSOLE_HOST: z.string().optional(),
  /** Where services live when they are not on this machine's loopback (e.g. docker compose). */
  ME_TEMPORAL_ADDRESS: z.string().optional(),
  ME_KAFKA_BROKERS: z.string().optional(),
  ME_DATABASE_URL: z.string().url().optional(),
  ME_SMTP_HOST: z.string().optional(),
  ME_TEMPORAL_NAMESPACE: z.string().default('default'),
  ME_TASK_QUEUE: z.string().default('mobility'),
  /** This process's Kafka identity (SASL/SCRAM) where the broker is not the local stack's (which keeps its own, infra/kafka/principals.ts). */
  ME_KAFKA_USERNAME: z.string().optional(),
  ME_KAFKA_PASSWORD: z.string().optional(),
  /** The engine's event-signing keys (infra/kafka/signing.ts); default `<dataDir>/keys/event-signing.key`. */
  ME_EVENT_SIGNING_KEY_FILE: z.string().optional(),
  /** A projector gives up on a message after this many failed folds and sends it to the dead-letter topic. */
  ME_PROJECTOR_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /** An event parked because its sequence is not the next one of its stream is dead-lettered after this long (ms). */
  ME_PROJECTOR_PARK_TIMEOUT_MS: z.coerce.number().int().min(0).default(120_000),
  /** The longest an API request waits on Temporal before answering 503 (ms). */
  ME_API_TEMPORAL_DEADLINE_MS: z.coerce.number().int().min(100).default(10_000),
  /** Workflows the worker keeps in its cache (the SDK's default follows the heap: ~2,300 for 4 GiB); at ~330 KiB a mobility, 10,000 take ~3.3 GiB. */
  ME_WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).optional(),
  /**
   * 1: workflow code keeps V8's stack traces (errors thrown in workflows, the __stack_trace query). Off by default: the
   * SDK records a stack trace for every promise a workflow creates, which costs CPU and the memory of every open mobility.
   */
  ME_WORKFLOW_STACK_TRACES: z.enum(['0', '1']).default('0'),
  /** pino level of the engine processes' logs (trace, debug, info, warn, error). */
  ME_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Config = ReturnType<typeof loadConfig>;

/** Every environment variable the engine reads (docker-compose.yml is checked against this list). */
export const ENV_KEYS = Object.keys(Env.shape);

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const p = PROFILES[e.ME_PROFILE];
  const dataDir = resolve(e.ME_DATA_DIR ?? join(ROOT, '.data', e.ME_PROFILE));
  const ports = {
    temporal: e.ME_TEMPORAL_PORT ?? p.temporal + e.ME_PORT_OFFSET,
    temporalUi: e.ME_TEMPORAL_UI_PORT ?? p.temporalUi + e.ME_PORT_OFFSET,
    kafka: e.ME_KAFKA_PORT ?? p.kafka + e.ME_PORT_OFFSET,
    kafkaController: e.ME_KAFKA_CONTROLLER_PORT ?? p.kafkaController + e.ME_PORT_OFFSET,
    postgres: e.ME_POSTGRES_PORT ?? p.postgres + e.ME_PORT_OFFSET,
    smtp: e.ME_SMTP_PORT ?? p.smtp + e.ME_PORT_OFFSET,
    console: e.ME_CONSOLE_PORT ?? p.console + e.ME_PORT_OFFSET,
  };
  const host = '127.0.0.1';
  return {
    profile: e.ME_PROFILE,
    root: ROOT,
    dataDir,
    cacheDir: resolve(e.ME_CACHE_DIR),
    /** A short stable tag for this data directory, used where a path must live outside it. */
    instanceTag: createHash('sha256').update(dataDir).digest('hex').slice(0, 10),
    host,
    ports,
    temporal: {
      address: e.ME_TEMPORAL_ADDRESS ?? `${host}:${ports.temporal}`,
      uiUrl: `http://${host}:${ports.temporalUi}`,
      namespace: e.ME_TEMPORAL_NAMESPACE,
      taskQueue: e.ME_TASK_QUEUE,
    },
    kafka: {
      brokers: e.ME_KAFKA_BROKERS ? e.ME_KAFKA_BROKERS.split(',') : [`${host}:${ports.kafka}`],
      clientId: `mobility-engine-${e.ME_PROFILE}`,
      username: e.ME_KAFKA_USERNAME,
      password: e.ME_KAFKA_PASSWORD,
    },
    postgres: {
      url: e.ME_DATABASE_URL ?? `postgres://app@${host}:${ports.postgres}/mobility`,
      adminUrl: `postgres://app@${host}:${ports.postgres}/postgres`,
      database: 'mobility',
      user: 'app',
    },
    smtp: { host: e.ME_SMTP_HOST ?? host, port: ports.smtp },
    console: { url: `http://${host}:${ports.console}`, port: ports.console, listenHost: e.ME_CONSOLE_HOST ?? host },
    logsDir: join(dataDir, 'logs'),
    signing: { keyFile: resolve(e.ME_EVENT_SIGNING_KEY_FILE ?? join(dataDir, 'keys', 'event-signing.key')) },
    logLevel: e.ME_LOG_LEVEL,
    projector: { maxAttempts: e.ME_PROJECTOR_MAX_ATTEMPTS, parkTimeoutMs: e.ME_PROJECTOR_PARK_TIMEOUT_MS },
    api: { temporalDeadlineMs: e.ME_API_TEMPORAL_DEADLINE_MS },
    worker: { maxCachedWorkflows: e.ME_WORKER_MAX_CACHED_WORKFLOWS, workflowStackTraces: e.ME_WORKFLOW_STACK_TRACES === '1' },
  };
}
