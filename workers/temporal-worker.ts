import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createEventActivities } from '../activities/events';
import { type Config, loadConfig } from '../infra/config';
import { createPublisher } from '../infra/kafka/client';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Wires the mobility worker: workflows bundle + activities with their real clients. */
export async function createMobilityWorker(cfg: Config) {
  const publisher = await createPublisher(cfg, 'worker');
  const connection = await NativeConnection.connect({ address: cfg.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue: cfg.temporal.taskQueue,
    workflowsPath,
    activities: { ...createEventActivities({ publisher }) },
  });
  return {
    worker,
    async close() {
      await publisher.close();
      await connection.close();
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
