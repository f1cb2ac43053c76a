import type { Config } from '../config';
import { kafkaFor } from './client';

/**
 * The stream contract's topics. Mobility events are keyed by mobility id (one mobility's events
 * stay ordered in one partition) and kept forever so analytics and projections can replay them.
 */
export const TOPICS = {
  mobilityEvents: { name: 'mobility-events', partitions: 6 },
  deadLetter: { name: 'mobility-events-dlq', partitions: 1 },
} as const;

const KEEP_FOREVER = [
  { name: 'retention.ms', value: '-1' },
  { name: 'retention.bytes', value: '-1' },
  { name: 'cleanup.policy', value: 'delete' },
];

export async function ensureTopics(cfg: Config): Promise<void> {
  const admin = kafkaFor(cfg, 'topics').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(TOPICS).filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1, configEntries: KEEP_FOREVER })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
