import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type Config, loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { createPublisher } from '../infra/kafka/client';
import { applicationsProjection } from './projections/applications';
import { budgetProjection } from './projections/budget';
import { qualityProjection } from './projections/quality';
import { type Projection, type RunningProjector, runProjections } from './projections/runner';

export type { Projection } from './projections/runner';
export { applicationsProjection } from './projections/applications';
export { budgetProjection } from './projections/budget';
export { qualityProjection } from './projections/quality';

/** Every projection the engine maintains (one consumer group folds them all, batch by batch). */
export const ALL_PROJECTIONS: readonly Projection[] = [applicationsProjection, budgetProjection, qualityProjection];

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
  opts: { groupId?: string; onApplied?: (n: number) => void } = {},
): Promise<RunningProjector> {
  const list = Array.isArray(projections) ? (projections as readonly Projection[]) : [projections as Projection];
  const dlq = await createPublisher(cfg, 'projector-dlq');
  const running = await runProjections(cfg, pool, list, { dlq, groupId: opts.groupId, onApplied: opts.onApplied });
  return {
    groupId: running.groupId,
    crashed: running.crashed,
    async stop() {
      await running.stop();
      await dlq.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const pool = createPool(cfg);
  // Fault injection for the crash tests: SIGKILL this process in the middle of a batch transaction.
  const killAfter = Number(process.env.PROJECTOR_KILL_AFTER_EVENTS ?? 0);
  let total = 0;
  const p = await startProjector(cfg, pool, ALL_PROJECTIONS, {
    groupId: process.env.PROJECTOR_GROUP_ID || undefined,
    onApplied: killAfter > 0 ? () => { if (++total >= killAfter) process.kill(process.pid, 'SIGKILL'); } : undefined,
  });
  console.log(`projector: ${ALL_PROJECTIONS.map((x) => x.name).join(', ')} (group ${p.groupId})`);
  const stop = async () => {
    await p.stop();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void p.crashed.then((e) => {
    console.error(`projector crashed: ${e.message}`);
    process.exit(1);
  });
}
