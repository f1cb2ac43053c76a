import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../../infra/config';
import { kafkaFor } from '../../../infra/kafka/client';
import { TOPICS } from '../../../infra/kafka/topics';
import { connectTemporal } from '../../../infra/temporal';
import { createTimeSkippingEnv } from '../../../infra/temporal-test-server';
import { createMobilityWorker, quietTemporalRuntime, type WorkerOptions } from '../../../workers/temporal-worker';
import { bundleWorkflows } from '../../../workers/workflow-bundle';
import { uniq } from '../../support/env';

let bundle: Promise<{ code: string }> | null = null;
/** The workflow bundle as the worker builds it (domain modules shared), built once per test file (vitest runs files in separate processes). */
export const workflowBundle = () => (bundle ??= bundleWorkflows({ trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never));

/**
 * The stack's dev server with the engine's worker running beside the test file, and a client:
 * `const dev = onDevServer(cfg)` in the file's body, then `dev.client` in its tests.
 */
export function onDevServer(cfg: Config) {
  const dev = {} as { client: Client };
  let worker: Awaited<ReturnType<typeof createMobilityWorker>> | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    dev.client = await connectTemporal(cfg);
    worker = await createMobilityWorker(cfg);
    running = worker.worker.run();
  });
  afterAll(async () => {
    worker?.worker.shutdown();
    await running;
    await worker?.close();
    await dev.client?.connection.close();
  });
  return dev;
}

/** A time-skipping Java test server with a worker wired to the real Kafka, Postgres and SMTP of the stack. */
export async function timeSkipping(cfg: Config) {
  quietTemporalRuntime();
  const env: TestWorkflowEnvironment = await createTimeSkippingEnv(cfg);
  const taskQueue = `ts-${uniq()}`;
  const workers: Awaited<ReturnType<typeof createMobilityWorker>>[] = [];
  const startWorker = async (opts: WorkerOptions = {}) => {
    const w = await createMobilityWorker(cfg, { connection: env.nativeConnection, client: env.client, taskQueue, workflowBundle: await workflowBundle(), ...opts });
    workers.push(w);
    const running = w.worker.run();
    return {
      ...w,
      running,
      async stop() {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await running;
        await w.close();
      },
    };
  };
  const today = async () => new Date(await env.currentTimeMs()).toISOString().slice(0, 10);
  /** Skip time to `date` at `hour` UTC (no-op if already past). */
  const sleepUntil = async (date: string, hour = 10) => {
    const ms = Date.parse(`${date}T${String(hour).padStart(2, '0')}:00:00Z`) - (await env.currentTimeMs());
    if (ms > 0) await env.sleep(ms);
  };
  return { env, taskQueue, startWorker, today, sleepUntil, teardown: () => env.teardown() };
}

/** Every event of one mobility on the mobility-events topic (read from the beginning, keyed by mobility id). */
export async function mobilityEventsOnKafka(cfg: Config, mobilityId: string, expected: number, timeoutMs = 30_000): Promise<{ eventId: string; type: string; sequence: number }[]> {
  const consumer = kafkaFor(cfg, 'test-reader').consumer({ groupId: `test-reader-${uniq()}` });
  const seen: { eventId: string; type: string; sequence: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.mobilityEvents.name, fromBeginning: true });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() !== mobilityId) return;
      const v = JSON.parse(message.value!.toString()) as { eventId: string; type: string; sequence: number };
      seen.push({ eventId: v.eventId, type: v.type, sequence: v.sequence });
      if (seen.length >= expected) resolveDone();
    },
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs))]);
  await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive right behind
  await consumer.disconnect();
  return seen;
}
