import { Client, Connection } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { DefaultLogger, type LogLevel, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { type BudgetGuard, type BudgetReply, createBudgetActivities } from '../activities/budget';
import { createEventActivities } from '../activities/events';
import { createIncomingActivities } from '../activities/incoming';
import { createNotificationActivities, type NotificationFaults } from '../activities/notifications';
import { createPaymentActivities, type PaymentOrderRequest } from '../activities/payments';
import { type Config, loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { createPublisher } from '../infra/kafka/client';
import { loadSigningKeys } from '../infra/kafka/signing';
import { createLogger, errorFields, type Logger } from '../infra/log';
import { adjustReservationUpdate, budgetWorkflowId, releaseReservationUpdate, reserveBudgetUpdate } from '../workflows/budget-messages';
import { isUnprocessedUpdate, limitPerKey, sendUpdate } from '../workflows/update-retry';
import { bundlerOptions, workflowsPath } from './workflow-bundle';

export { workflowsPath };

let runtimeInstalled = false;
/**
 * Quiet the SDK's own logs (workflow task noise) unless ME_WORKER_LOG says otherwise; with a pino
 * logger, the SDK's lines become structured log lines too.
 */
export function quietTemporalRuntime(level: 'WARN' | 'ERROR' | 'INFO' = (process.env.ME_WORKER_LOG as 'INFO') ?? 'WARN', log?: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  try {
    Runtime.install({ logger: log ? new DefaultLogger(level, (e) => log[levels[e.level]]({ ...e.meta, sdk: true }, e.message)) : new DefaultLogger(level) });
  } catch {
    /* already installed by the host (e.g. a test environment) */
  }
}

export interface WorkerOptions {
  /** Defaults: a connection to cfg.temporal.address and cfg.temporal.taskQueue. */
  connection?: NativeConnection;
  client?: Client;
  taskQueue?: string;
  /** A pre-bundled workflow code (tests bundle once per suite, with `bundleWorkflows()` of ./workflow-bundle). */
  workflowBundle?: { code: string };
  /** Crash simulations for tests. */
  faults?: { notifications?: NotificationFaults; payments?: { afterInsert?(req: PaymentOrderRequest): void } };
  /** Lease of a claimed outbox row (ms) before another attempt may take it over. */
  outboxLeaseMs?: number;
  /** Where lost connections (Postgres, Kafka) are reported. */
  log?: Logger;
}

/**
 * An Update on a guard, sent again while no worker took it (workflows/update-retry.ts); if it still was not
 * taken, a plain error, so the calling activity retries it instead of reading it as the guard's refusal.
 */
const toGuard = async <T>(send: () => Promise<T>): Promise<T> => {
  try {
    return await sendUpdate(send);
  } catch (err) {
    if (isUnprocessedUpdate(err)) throw new Error(`the budget guard's worker did not take the Update yet: ${(err as Error).message}`);
    throw err;
  }
};

/** Updates one worker keeps in flight on one project's guard: under the server's 10 per workflow, with room for a second worker's. */
const GUARD_UPDATES_IN_FLIGHT = 5;

/** The budget guards of the projects, reached through the Temporal client: one Update per call on `budget-<projectId>`, a few at a time per guard. */
export function temporalBudgetGuard(client: Client, inFlightPerGuard = GUARD_UPDATES_IN_FLIGHT): BudgetGuard {
  const inTurn = limitPerKey(inFlightPerGuard);
  const via = <R>(update: UpdateDefinition<BudgetReply, [R]>) => (projectId: string, req: R, updateId: string) =>
    inTurn(projectId, () => toGuard(() => client.workflow.getHandle(budgetWorkflowId(projectId)).executeUpdate(update, { args: [req], updateId })));
  return { reserve: via(reserveBudgetUpdate), adjust: via(adjustReservationUpdate), release: via(releaseReservationUpdate) };
}

/** Builds every activity with its real client: Kafka, Postgres, SMTP, the Temporal client. */
export async function createActivities(cfg: Config, client: Client, opts: WorkerOptions = {}) {
  // The worker principal is the only one allowed to write the event topics (infra/kafka/principals.ts).
  const publisher = await createPublisher(cfg, 'worker', 'worker', opts.log);
  const pool = createPool(cfg, 5, { log: opts.log });
  const transport = nodemailer.createTransport({ host: cfg.smtp.host, port: cfg.smtp.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
  // A pooled SMTP connection the server drops is reported here, not as an uncaught error; the send that needed it fails and is retried.
  transport.on('error', (err) => (opts.log ? opts.log.warn({ err: err.message }, 'smtp connection lost') : process.stderr.write(`smtp connection lost: ${err.message}\n`)));
  const activities = {
    // The event-signing key is read from its file here, outside any workflow history.
    ...createEventActivities({ publisher, keys: loadSigningKeys(cfg) }),
    // Incoming mobilities publish on their own topic (incoming-events), signed with the same keys.
    ...createIncomingActivities({ publisher, keys: loadSigningKeys(cfg) }),
    ...createNotificationActivities({ pool, transport, from: 'Mobility engine <no-reply@mobility-engine.local>', leaseMs: opts.outboxLeaseMs, faults: opts.faults?.notifications }),
    ...createPaymentActivities({ pool, faults: opts.faults?.payments }),
    ...createBudgetActivities({ guard: temporalBudgetGuard(client) }),
  };
  return {
    activities,
    async close() {
      transport.close();
      await publisher.close();
      await pool.end();
    },
  };
}

/** Wires the mobility worker: workflows bundle + activities with their real clients. */
export async function createMobilityWorker(cfg: Config, opts: WorkerOptions = {}) {
  quietTemporalRuntime();
  const ownConnection = opts.connection ? null : await NativeConnection.connect({ address: cfg.temporal.address });
  const connection = opts.connection ?? ownConnection!;
  const ownClient = opts.client ? null : new Client({ connection: await Connection.connect({ address: cfg.temporal.address }), namespace: cfg.temporal.namespace });
  const client = opts.client ?? ownClient!;
  const { activities, close } = await createActivities(cfg, client, opts);
  const worker = await Worker.create({
    connection,
    namespace: opts.client?.options.namespace ?? cfg.temporal.namespace,
    taskQueue: opts.taskQueue ?? cfg.temporal.taskQueue,
    // The domain and zod are evaluated once per workflow sandbox, not once per workflow (./workflow-bundle.ts).
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath, bundlerOptions: bundlerOptions({ stackTraces: cfg.worker.workflowStackTraces }) }),
    activities,
    ...(cfg.worker.maxCachedWorkflows ? { maxCachedWorkflows: cfg.worker.maxCachedWorkflows } : {}),
  });
  return {
    worker,
    client,
    async close() {
      await close();
      await ownClient?.connection.close();
      await ownConnection?.close();
    },
  };
}

/**
 * The worker process (`npm run worker`, supervised by `npm start`). It logs structured lines (pino)
 * to standard output. If it cannot reach Temporal, or the worker stops on a fatal error, it exits
 * with status 1 and its supervisor starts it again; workflows resume where they were.
 */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const log = createLogger('worker', cfg.logLevel);
  process.on('unhandledRejection', (err) => log.error(errorFields(err), 'unhandled rejection'));
  quietTemporalRuntime(undefined, log);
  try {
    const { worker, close } = await createMobilityWorker(cfg, { log });
    let stopping = false;
    const stop = () => {
      stopping = true;
      log.info('stopping');
      worker.shutdown();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    log.info({ taskQueue: cfg.temporal.taskQueue, temporal: cfg.temporal.address }, 'worker running');
    try {
      await worker.run();
    } catch (err) {
      log.fatal(errorFields(err), 'worker stopped on an error');
      process.exit(1);
    }
    await close().catch((err) => log.warn(errorFields(err), 'closing clients failed'));
    log.info('worker stopped');
    process.exit(stopping ? 0 : 1);
  } catch (err) {
    log.fatal(errorFields(err), 'worker could not start');
    process.exit(1);
  }
}
