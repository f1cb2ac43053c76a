import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';
import { credentialsFor, type Principal } from './principals';

/**
 * kafkajs sits behind this small module (it is in maintenance mode): the rest of the code
 * uses kafkaFor / createPublisher and the Publisher interface, never kafkajs types directly.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/**
 * A kafkajs client acting as `principal` (SASL/SCRAM when the broker has authentication; see
 * principals.ts). The default, `admin`, is for the stack's tooling and tests; engine processes
 * name their own principal (worker, projector, analytics).
 */
export function kafkaFor(cfg: Config, role: string, principal: Principal = 'admin', opts: { retries?: number } = {}): Kafka {
  const creds = credentialsFor(cfg, principal);
  return new Kafka({
    clientId: `${cfg.kafka.clientId}-${role}`,
    brokers: cfg.kafka.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: opts.retries ?? 8, initialRetryTime: 200 },
    ...(creds ? { sasl: { mechanism: 'scram-sha-256' as const, username: creds.username, password: creds.password }, ssl: false } : {}),
  });
}

export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface Publisher {
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** What one produce request carries at most when concurrent publishes are sent together (well under Kafka's 1 MiB per partition batch). */
export const PUBLISH_BATCH = { messages: 1_000, bytes: 512 * 1024 } as const;

interface Pending {
  topic: string;
  messages: readonly OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const sizeOf = (messages: readonly OutgoingMessage[]): number =>
  messages.reduce((n, m) => n + m.key.length + m.value.length + Object.entries(m.headers ?? {}).reduce((h, [k, v]) => h + k.length + v.length, 0), 0);

/**
 * An idempotent producer (acks from all in-sync replicas, broker-side dedupe of producer retries),
 * acting as the worker principal unless told otherwise. It connects when created (a broker that is
 * down then is no error) and again after the broker went away, so a Kafka restart fails the sends
 * in between (their callers retry) and never the process.
 *
 * One request is in flight at a time (the idempotent producer's ordering), and the publishes that
 * arrive meanwhile are not queued request by request: they wait together and go as ONE produce
 * request (every topic and partition in it, acks=all) as soon as the one in flight is answered,
 * up to PUBLISH_BATCH. Each call resolves when the request holding its messages is acknowledged
 * and fails with it (its caller retries; consumers drop what was written twice by event id). A
 * call's messages stay together and in order, and calls are sent in the order they were made, so
 * a stream's events keep their order in its partition.
 */
export async function createPublisher(
  cfg: Config, role = 'publisher', principal: Principal = 'worker', log?: Pick<Logger, 'warn'>,
  opts: { /** Called for each produce request with the number of publish calls and messages it carries (tests, metrics). */ onRequest?: (calls: number, messages: number) => void } = {},
): Promise<Publisher> {
  const kafka = kafkaFor(cfg, role, principal);
  let producer: Producer | null = null;
  let connecting: Promise<Producer> | null = null;
  const connect = () =>
    (connecting ??= (async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      p.on(p.events.DISCONNECT, () => {
        if (producer === p) producer = null;
      });
      try {
        await p.connect();
        producer = p;
        return p;
      } finally {
        connecting = null;
      }
    })());
  // Kafka being down when the process starts is not fatal: the first send connects again.
  void connect().catch((err: Error) => log?.warn({ err: err.message }, 'kafka not reachable yet; sends will connect when it is'));

  const waiting: Pending[] = [];
  let draining = false;
  let drained: Promise<void> = Promise.resolve();
  const sendOne = async (group: Pending[]): Promise<void> => {
    const byTopic = new Map<string, { key: string; value: string; headers?: Record<string, string> }[]>();
    for (const g of group) {
      const list = byTopic.get(g.topic) ?? [];
      for (const m of g.messages) list.push({ key: m.key, value: m.value, headers: m.headers });
      byTopic.set(g.topic, list);
    }
    const p = producer ?? (await connect());
    opts.onRequest?.(group.length, group.reduce((n, g) => n + g.messages.length, 0));
    try {
      await p.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (err) {
      // Whatever failed, this producer is dropped and the next send starts a fresh one (a new producer
      // id). A request that failed for one partition may have been written for another, and kafkajs
      // then rewinds the sequence numbers of every partition of the request: with the same producer
      // id, a later batch reusing them could be taken by the broker for a duplicate and acknowledged
      // without being written. A new producer id starts its sequences afresh, so nothing is lost; what
      // was written and is sent again by its caller's retry is dropped by consumers by event id.
      log?.warn({ err: (err as Error).message, topics: [...byTopic.keys()] }, 'kafka publish failed; a new producer sends the next one');
      if (producer === p) producer = null;
      await p.disconnect().catch(() => undefined);
      throw err;
    }
  };
  const drain = async (): Promise<void> => {
    while (waiting.length > 0) {
      // The calls waiting now, in order, up to one request's worth (a bigger call goes alone).
      const group: Pending[] = [waiting.shift()!];
      let messages = group[0]!.messages.length;
      let bytes = group[0]!.bytes;
      while (waiting.length > 0 && messages + waiting[0]!.messages.length <= PUBLISH_BATCH.messages && bytes + waiting[0]!.bytes <= PUBLISH_BATCH.bytes) {
        const next = waiting.shift()!;
        messages += next.messages.length;
        bytes += next.bytes;
        group.push(next);
      }
      try {
        await sendOne(group);
        for (const g of group) g.resolve();
      } catch (err) {
        if (group.length === 1 || (err as { retriable?: boolean }).retriable !== false) {
          for (const g of group) g.reject(err);
          continue;
        }
        // A refusal of the request's content (a message too large, a topic this principal may not
        // write): each call is sent again on its own, so only the call at fault fails.
        for (const g of group) await sendOne([g]).then(g.resolve, g.reject);
      }
    }
    // In the same synchronous step as the check above: a publish after it starts a new drain.
    draining = false;
  };
  return {
    publish(topic, messages) {
      if (messages.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting.push({ topic, messages, bytes: sizeOf(messages), resolve, reject });
        if (!draining) {
          draining = true;
          drained = drain();
        }
      });
    },
    async close() {
      await drained;
      const p = producer ?? null;
      producer = null;
      await p?.disconnect();
    },
  };
}

/** True for errors that mean "Kafka is not reachable right now" (retry later), as opposed to a refusal. */
export function isTransientKafkaError(err: unknown): boolean {
  const e = err as { name?: string; retriable?: boolean; type?: string };
  if (!e || typeof e.name !== 'string' || !e.name.startsWith('KafkaJS')) return false;
  if (e.type && /AUTHORIZATION_FAILED|SASL_AUTHENTICATION_FAILED/.test(e.type)) return false;
  return true;
}
