import type { Consumer, IHeaders, KafkaMessage } from 'kafkajs';
import type { Config } from '../config';
import { kafkaFor } from './client';
import type { Principal } from './principals';

/**
 * Consumer side of the kafkajs wrapper. Projectors see plain batches of IncomingMessage and keep
 * their own positions (in Postgres, in the same transaction as their effects): on start the group
 * is moved to the positions the caller returns, and offsets committed to Kafka are only a mirror.
 */
export interface IncomingMessage {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as decimal strings. */
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface IncomingBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
  /** Offset of the next message the broker will append (end of the partition when fetched). */
  highWatermark: string;
}

export type PartitionKey = `${string}#${number}`;
export const partitionKey = (topic: string, partition: number): PartitionKey => `${topic}#${partition}`;

export interface BatchControl {
  /** Move this partition to another offset; the rest of the batch is not delivered. */
  seek(offset: string): void;
  heartbeat(): Promise<void>;
}

export interface BatchConsumerOptions {
  role: string;
  /** The Kafka identity (default: projector, read-only on the event topics). */
  principal?: Principal;
  groupId: string;
  topics: readonly string[];
  /**
   * Where each partition must resume (next offset to read), as stored by the caller. Read once
   * before the consumer joins its group, and applied as seeks when the group hands this member its
   * partitions, before the first fetch (no admin round of the group, no wait for it to be idle).
   * Partitions missing from the map start from the beginning of the topic. Omitted for a group
   * that is new and reads from the beginning.
   */
  positions?: () => Promise<Map<PartitionKey, string>>;
  /** Handles one batch; the batch counts as consumed when this resolves. */
  onBatch: (batch: IncomingBatch, control: BatchControl) => Promise<void>;
  /** Messages per fetch (bytes are the real limit in Kafka; this caps the batch size seen by onBatch). */
  maxBytes?: number;
  /** Bytes per partition in one fetch (default: maxBytes). */
  maxBytesPerPartition?: number;
  /**
   * Batches of different partitions handled at once (default 1). Each partition's batches still come
   * one after the other, in offset order.
   */
  partitionsConsumedConcurrently?: number;
}

export interface BatchConsumer {
  stop(): Promise<void>;
  /** Resolves when the consumer stops by itself after an unrecoverable error. */
  readonly crashed: Promise<Error>;
}

export const headersOf = (h: IHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
};

const toIncoming = (topic: string, partition: number, m: KafkaMessage): IncomingMessage => ({
  topic,
  partition,
  offset: m.offset,
  key: m.key ? m.key.toString() : null,
  value: m.value,
  headers: headersOf(m.headers),
});

/** Low/high watermarks of every partition of the topics. */
export async function topicOffsets(cfg: Config, topics: readonly string[], principal: Principal = 'projector'): Promise<Map<PartitionKey, { low: string; high: string }>> {
  const admin = kafkaFor(cfg, 'offsets', principal).admin();
  await admin.connect();
  try {
    const out = new Map<PartitionKey, { low: string; high: string }>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) out.set(partitionKey(topic, p.partition), { low: p.low, high: p.high });
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export async function deleteGroup(cfg: Config, groupId: string, principal: Principal = 'projector'): Promise<void> {
  const admin = kafkaFor(cfg, 'offsets', principal).admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A consumer group member that hands whole batches to the caller, without auto-commit.
 * After each handled batch the next offset is mirrored to Kafka (for lag tools); the caller's
 * stored positions stay the truth and are applied on start.
 */
export async function startBatchConsumer(cfg: Config, opts: BatchConsumerOptions): Promise<BatchConsumer> {
  const principal = opts.principal ?? 'projector';
  let positions = opts.positions ? await opts.positions() : null;
  const consumer: Consumer = kafkaFor(cfg, opts.role, principal).consumer({
    groupId: opts.groupId,
    maxBytes: opts.maxBytes ?? 1024 * 1024,
    ...(opts.maxBytesPerPartition ?? opts.maxBytes ? { maxBytesPerPartition: opts.maxBytesPerPartition ?? opts.maxBytes } : {}),
    // Answer within 200 ms when a partition has nothing new: keeps the projection lag low.
    maxWaitTimeInMs: 200,
    // A member that died (a SIGKILLed projector) holds its partitions until its session expires:
    // short, so its successor takes over within seconds. Batches heartbeat when they end.
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
    retry: { retries: 5, initialRetryTime: 200 },
  });
  let resolveCrash: (e: Error) => void = () => undefined;
  const crashed = new Promise<Error>((r) => (resolveCrash = r));
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) resolveCrash(e.payload.error);
  });
  // The stored positions become seeks of the partitions this member is given. GROUP_JOIN is emitted
  // synchronously after the group's sync and before the first fetch, so the first batch of each
  // partition starts where the caller stands. Later joins (a rebalance) resume from the offsets
  // mirrored to Kafka, which never run ahead of the stored ones (they are committed after them);
  // the caller skips what it already holds and seeks back when a batch starts beyond it.
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    if (!positions) return;
    const stored = positions;
    positions = null;
    for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
      for (const partition of partitions) consumer.seek({ topic, partition, offset: stored.get(partitionKey(topic, partition)) ?? '0' });
    }
  });
  await consumer.connect();
  for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      let sought = false;
      await opts.onBatch(
        { topic: batch.topic, partition: batch.partition, messages: batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m)), highWatermark: batch.highWatermark },
        {
          seek: (offset) => {
            sought = true;
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset });
          },
          heartbeat,
        },
      );
      if (sought) return;
      const last = batch.messages[batch.messages.length - 1]!.offset;
      resolveOffset(last);
      await consumer
        .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }])
        .catch(() => undefined);
      await heartbeat();
    },
  });
  return { stop: () => consumer.disconnect(), crashed };
}

/**
 * Reads the topics from the beginning up to their end as it stands when called (a snapshot of the
 * high watermarks), batch by batch, then stops. Used by rebuilds; leaves no consumer group behind.
 * Its group is new, so it starts reading at once (no offsets to move, no wait for an idle group).
 */
export async function readToEnd(cfg: Config, role: string, topics: readonly string[], onBatch: (batch: IncomingBatch) => Promise<void>, opts: { maxBytes?: number } = {}): Promise<Map<PartitionKey, string>> {
  const ends = new Map([...(await topicOffsets(cfg, topics))].map(([k, v]) => [k, v.high] as const));
  const pending = new Set([...ends].filter(([k, high]) => BigInt(high) > 0n && k).map(([k]) => k));
  if (pending.size === 0) return ends;
  const groupId = `${role}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  let fail: (e: Error) => void = () => undefined;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((res, rej) => {
    done = res;
    fail = rej;
  });
  const consumer = await startBatchConsumer(cfg, {
    role,
    groupId,
    topics,
    maxBytes: opts.maxBytes,
    onBatch: async (batch) => {
      const key = partitionKey(batch.topic, batch.partition);
      const end = BigInt(ends.get(key) ?? '0');
      const within = batch.messages.filter((m) => BigInt(m.offset) < end);
      if (within.length > 0) await onBatch({ ...batch, messages: within }).catch((e: Error) => (fail(e), Promise.reject(e)));
      const last = BigInt(batch.messages[batch.messages.length - 1]!.offset);
      if (last + 1n >= end && pending.delete(key) && pending.size === 0) done();
    },
  });
  try {
    await Promise.race([finished, consumer.crashed.then((e) => Promise.reject(e))]);
  } finally {
    await consumer.stop();
    await deleteGroup(cfg, groupId);
  }
  return ends;
}
