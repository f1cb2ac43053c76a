import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type Config, loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { createPublisher } from '../infra/kafka/client';
import { loadSigningKeys } from '../infra/kafka/signing';
import { createLogger, errorFields, type Logger } from '../infra/log';
import { applicationsProjection } from './projections/applications';
import { bmProjection } from './projections/bm';
import { budgetProjection } from './projections/budget';
import { qualityProjection } from './projections/quality';
import { superviseIncomingProjector } from './projections/incoming';
import { type Projection, type RunningProjector, runProjections } from './projections/runner';

export type { Projection } from './projections/runner';
export { applicationsProjection } from './projections/applications';
export { bmProjection } from './projections/bm';
export { budgetProjection } from './projections/budget';
export { qualityProjection } from './projections/quality';

/** Every projection the engine maintains (one consumer group folds them all, batch by batch). */
export const ALL_PROJECTIONS: readonly Projection[] = [applicationsProjection, budgetProjection, qualityProjection, bmProjection];

/**
 * Runs projections as a kafkajs consumer group over mobility-events and project-events. Each
 * batch is folded in one Postgres transaction with its dedupe records and stored positions, so a
 * redelivered, duplicated or replayed event never counts twice; bad messages go to the
 * dead-letter topic with the reason and the projector carries on.
 */
export async function startProjector(
  cfg: Config,
  pool: pg.Pool,
  projections: Projection | readonly Projection[] = ALL_PROJECTIONS,
  opts: { groupId?: string; onApplied?: (n: number) => void; log?: Logger; fetchBytes?: number } = {},
): Promise<RunningProjector> {
  const list = Array.isArray(projections) ? (projections as readonly Projection[]) : [projections as Projection];
  // The keys that verify the engine's signatures, read from their file (never from the topics).
  const keys = loadSigningKeys(cfg);
  // The projector principal reads the event topics and writes only the dead-letter topic.
  const dlq = await createPublisher(cfg, 'projector-dlq', 'projector', opts.log);
  let running: RunningProjector;
  try {
    running = await runProjections(cfg, pool, list, { dlq, keys, groupId: opts.groupId, onApplied: opts.onApplied, log: opts.log, fetchBytes: opts.fetchBytes });
  } catch (err) {
    await dlq.close().catch(() => undefined);
    throw err;
  }
  return {
    groupId: running.groupId,
    crashed: running.crashed,
    async stop() {
      await running.stop();
      await dlq.close();
    },
  };
}

/**
 * The projector process (`npm run projector`, supervised by `npm start`). Structured logs (pino) on
 * standard output. When its consumer stops on an error (Kafka or Postgres gone for longer than the
 * client's retries) it starts a new one after a back-off, from the positions stored in Postgres;
 * a Kafka or Postgres restart is a pause, not an exit.
 */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const log = createLogger('projector', cfg.logLevel);
  process.on('unhandledRejection', (err) => log.error(errorFields(err), 'unhandled rejection'));
  const pool = createPool(cfg, 10, { log });
  // Incoming mobilities: their own topic and consumer group (workers/projections/incoming.ts).
  const incoming = superviseIncomingProjector(cfg, pool, log);
  // Fault injection for the crash tests: SIGKILL this process in the middle of a batch transaction.
  const killAfter = Number(process.env.PROJECTOR_KILL_AFTER_EVENTS ?? 0);
  let total = 0;
  let stopping = false;
  let current: RunningProjector | null = null;
  let wake: () => void = () => undefined;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    wake();
    await current?.stop().catch(() => undefined);
    await incoming.stop();
    await pool.end().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  let backoffMs = 500;
  while (!stopping) {
    const since = Date.now();
    try {
      current = await startProjector(cfg, pool, ALL_PROJECTIONS, {
        groupId: process.env.PROJECTOR_GROUP_ID || undefined,
        log,
        onApplied: killAfter > 0 ? () => { if (++total >= killAfter) process.kill(process.pid, 'SIGKILL'); } : undefined,
        // (with it, smaller fetches, so that the kill lands after some batches were committed)
        fetchBytes: Number(process.env.PROJECTOR_FETCH_BYTES) || undefined,
      });
      log.info({ projections: ALL_PROJECTIONS.map((x) => x.name), groupId: current.groupId }, 'projector running');
      console.log(`projector: ${ALL_PROJECTIONS.map((x) => x.name).join(', ')} (group ${current.groupId})`);
      const err = await current.crashed;
      if (stopping) break;
      log.error(errorFields(err), 'consumer stopped on an error; starting a new one');
      await current.stop().catch(() => undefined);
      current = null;
    } catch (err) {
      if (stopping) break;
      log.error(errorFields(err), 'projector could not start (Kafka or Postgres unavailable?)');
    }
    if (Date.now() - since > 60_000) backoffMs = 500;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, backoffMs);
    });
    backoffMs = Math.min(backoffMs * 2, 15_000);
  }
}
