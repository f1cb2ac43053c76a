import type pg from 'pg';
import type { Config } from '../../../infra/config';
import { headersOf } from '../../../infra/kafka/consumer';
import { kafkaFor, type Publisher } from '../../../infra/kafka/client';
import { topicOffsets } from '../../../infra/kafka/consumer';
import { EVENT_TOPICS, TOPICS } from '../../../infra/kafka/topics';
import { eventually, uniq } from '../../support/env';
import { asMessage, asProjectMessage, type GeneratedStream } from './stream';

export async function publishStream(pub: Publisher, s: Pick<GeneratedStream, 'mobilityEvents' | 'projectEvents'>): Promise<void> {
  await pub.publish(TOPICS.projectEvents.name, s.projectEvents.map(asProjectMessage));
  for (let i = 0; i < s.mobilityEvents.length; i += 500) await pub.publish(TOPICS.mobilityEvents.name, s.mobilityEvents.slice(i, i + 500).map(asMessage));
}

/** How far the projections stand behind the end of the event topics (messages not yet folded). */
export async function lag(cfg: Config, pool: pg.Pool | pg.PoolClient, names: readonly string[]): Promise<number> {
  const ends = await topicOffsets(cfg, EVENT_TOPICS);
  const rows = (await pool.query<{ projection: string; topic: string; partition: number; next_offset: number }>(
    'SELECT projection, topic, partition, next_offset FROM projection_offsets WHERE projection = ANY($1)', [names],
  )).rows;
  let behind = 0;
  for (const name of names) {
    for (const [key, { high }] of ends) {
      const [topic, partition] = key.split('#');
      const pos = rows.find((r) => r.projection === name && r.topic === topic && r.partition === Number(partition))?.next_offset ?? 0;
      behind += Math.max(0, Number(high) - pos);
    }
  }
  return behind;
}

export const caughtUp = (cfg: Config, pool: pg.Pool, names: readonly string[], timeoutMs = 60_000) =>
  eventually(async () => (await lag(cfg, pool, names)) === 0, timeoutMs, `projections ${names.join(', ')} to catch up`);

/** Every row of the tables, in a stable order, for row-for-row comparisons. */
export async function snapshot(pool: pg.Pool, tables: readonly string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of tables) {
    const rows = (await pool.query(`SELECT * FROM "${t}"`)).rows.map((r) => JSON.stringify(r));
    out[t] = rows.sort();
  }
  return out;
}

export interface DlqMessage { key: string | null; value: string; headers: Record<string, string> }

/** Reads the dead-letter topic from the beginning until `want` finds something (fresh group, removed after). */
export async function findInDlq(cfg: Config, want: (m: DlqMessage) => boolean, timeoutMs = 30_000): Promise<DlqMessage> {
  const kafka = kafkaFor(cfg, 'dlq-reader');
  const consumer = kafka.consumer({ groupId: `dlq-reader-${uniq()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.deadLetter.name, fromBeginning: true });
  let found: DlqMessage | undefined;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const m = { key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers: headersOf(message.headers) };
      if (!found && want(m)) found = m;
    },
  });
  try {
    return await eventually(async () => found, timeoutMs, 'the message in the dead-letter topic');
  } finally {
    await consumer.disconnect();
  }
}
