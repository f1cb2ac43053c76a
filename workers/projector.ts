import type { Consumer } from 'kafkajs';
import type pg from 'pg';
import { fileURLToPath } from 'node:url';
import { EventEnvelope } from '../domain/envelope';
import { type Config, loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { kafkaFor } from '../infra/kafka/client';
import { TOPICS } from '../infra/kafka/topics';

/** A projection folds one event into Postgres inside the transaction the projector opened. */
export interface Projection {
  readonly name: string;
  apply(tx: pg.PoolClient, event: EventEnvelope): Promise<void>;
}

export const applicationsProjection: Projection = {
  name: 'applications',
  async apply(tx, e) {
    if (e.type !== 'MobilityApplied') return;
    await tx.query(
      `INSERT INTO mobility_applications (mobility_id, project_id, institution_id, participant_ref, activity, applied_at, event_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (mobility_id) DO NOTHING`,
      [e.mobilityId, e.projectId, e.institutionId, e.payload.participantRef, e.payload.activity, e.occurredAt, e.eventId],
    );
  },
};

/**
 * Runs a projection as a kafkajs consumer group. Each event is applied in one transaction together
 * with its dedupe record (projector, event id): a redelivered or duplicated event changes nothing.
 */
export async function startProjector(cfg: Config, pool: pg.Pool, projection: Projection, opts: { fromBeginning?: boolean } = {}) {
  const consumer: Consumer = kafkaFor(cfg, `projector-${projection.name}`).consumer({ groupId: `projector-${projection.name}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.mobilityEvents.name, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = EventEnvelope.parse(JSON.parse(message.value?.toString() ?? 'null'));
      const tx = await pool.connect();
      try {
        await tx.query('BEGIN');
        const fresh = await tx.query('INSERT INTO processed_events (projector, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [projection.name, event.eventId]);
        if (fresh.rowCount === 1) await projection.apply(tx, event);
        await tx.query('COMMIT');
      } catch (err) {
        await tx.query('ROLLBACK');
        throw err;
      } finally {
        tx.release();
      }
    },
  });
  return { stop: () => consumer.disconnect() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const pool = createPool(cfg);
  const p = await startProjector(cfg, pool, applicationsProjection);
  const stop = async () => {
    await p.stop();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
