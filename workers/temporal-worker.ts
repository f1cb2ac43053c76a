import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { type BudgetGuard, createBudgetActivities } from '../activities/budget';
import { createEventActivities } from '../activities/events';
import { createNotificationActivities, type NotificationFaults } from '../activities/notifications';
import { createPaymentActivities, type PaymentOrderRequest } from '../activities/payments';
import { type Config, loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { createPublisher } from '../infra/kafka/client';
import { adjustReservationUpdate, budgetWorkflowId, releaseReservationUpdate, reserveBudgetUpdate } from '../workflows/budget-messages';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;
/** Quiet the SDK's own logs (workflow task noise) unless ME_WORKER_LOG says otherwise. */
export function quietTemporalRuntime(level: 'WARN' | 'ERROR' | 'INFO' = (process.env.ME_WORKER_LOG as 'INFO') ?? 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    /* already installed by the host (e.g. a test environment) */
  }
}

export interface WorkerOptions {
  /** Defaults: a connection to cfg.temporal.address and cfg.temporal.taskQueue. */
  connection?: NativeConnection;
  client?: Client;
  taskQueue?: string;
  /** A pre-bundled workflow code (tests bundle once per suite). */
  workflowBundle?: { code: string };
  /** Crash simulations for tests. */
  faults?: { notifications?: NotificationFaults; payments?: { afterInsert?(req: PaymentOrderRequest): void } };
  /** Lease of a claimed outbox row (ms) before another attempt may take it over. */
  outboxLeaseMs?: number;
}

/** The budget guards of the projects, reached through the Temporal client: one Update per call on `budget-<projectId>`. */
export function temporalBudgetGuard(client: Client): BudgetGuard {
  const guard = (projectId: string) => client.workflow.getHandle(budgetWorkflowId(projectId));
  return {
    reserve: (projectId, req, updateId) => guard(projectId).executeUpdate(reserveBudgetUpdate, { args: [req], updateId }),
    adjust: (projectId, req, updateId) => guard(projectId).executeUpdate(adjustReservationUpdate, { args: [req], updateId }),
    release: (projectId, req, updateId) => guard(projectId).executeUpdate(releaseReservationUpdate, { args: [req], updateId }),
  };
}

/** Builds every activity with its real client: Kafka, Postgres, SMTP, the Temporal client. */
export async function createActivities(cfg: Config, client: Client, opts: WorkerOptions = {}) {
  const publisher = await createPublisher(cfg, 'worker');
  const pool = createPool(cfg, 5);
  const transport = nodemailer.createTransport({ host: cfg.smtp.host, port: cfg.smtp.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
  const activities = {
    ...createEventActivities({ publisher }),
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
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities,
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { worker, close } = await createMobilityWorker(loadConfig());
  const stop = () => worker.shutdown();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await worker.run();
  await close();
}
