/**
 * The raw baseline's worker process: the same SDK, connection and default worker options as the
 * engine's worker (workers/temporal-worker.ts), with the raw workflow and a no-op activity.
 * Env: ME_TASK_QUEUE and the usual Temporal address variables (infra/config.ts).
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../../infra/config';
import { quietTemporalRuntime } from '../../../workers/temporal-worker';

const cfg = loadConfig();
quietTemporalRuntime();
const connection = await NativeConnection.connect({ address: cfg.temporal.address });
const worker = await Worker.create({
  connection,
  namespace: cfg.temporal.namespace,
  taskQueue: cfg.temporal.taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: { async noop() {} },
  ...(cfg.worker.maxCachedWorkflows ? { maxCachedWorkflows: cfg.worker.maxCachedWorkflows } : {}),
});
process.on('SIGTERM', () => worker.shutdown());
process.on('SIGINT', () => worker.shutdown());
console.log('raw worker running');
await worker.run();
await connection.close();
process.exit(0);
