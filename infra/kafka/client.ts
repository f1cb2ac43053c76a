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

/**
 * An idempotent producer (acks from all in-sync replicas, broker-side dedupe of producer retries),
 * acting as the worker principal unless told otherwise. It connects when created (a broker that is
 * down then is no error) and again after the broker went away, so a Kafka restart fails the sends
 * in between (their callers retry) and never the process.
 */
export async function createPublisher(cfg: Config, role = 'publisher', principal: Principal = 'worker', log?: Pick<Logger, 'warn'>): Promise<Publisher> {
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
  return {
    async publish(topic, messages) {
      if (messages.length === 0) return;
      const p = producer ?? (await connect());
      try {
        await p.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
      } catch (err) {
        // A broken connection: drop this producer so the next send starts a fresh one.
        if ((err as { retriable?: boolean }).retriable !== false || /connect|ECONN|closed|broker/i.test(String((err as Error).message))) {
          log?.warn({ err: (err as Error).message, topic }, 'kafka publish failed; reconnecting on the next send');
          if (producer === p) producer = null;
          await p.disconnect().catch(() => undefined);
        }
        throw err;
      }
    },
    async close() {
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
