import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Config } from '../config';

/**
 * kafkajs sits behind this small module (it is in maintenance mode): the rest of the code
 * uses kafkaFor / createPublisher and the Publisher interface, never kafkajs types directly.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function kafkaFor(cfg: Config, role: string): Kafka {
  return new Kafka({
    clientId: `${cfg.kafka.clientId}-${role}`,
    brokers: cfg.kafka.brokers,
    logLevel: logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 200 },
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

/** An idempotent producer (acks from all in-sync replicas, broker-side dedupe of producer retries). */
export async function createPublisher(cfg: Config, role = 'publisher'): Promise<Publisher> {
  const producer: Producer = kafkaFor(cfg, role).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    async publish(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
    },
    close: () => producer.disconnect(),
  };
}
