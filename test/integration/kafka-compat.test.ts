import { afterAll, describe, expect, it } from 'vitest';
import { kafkaFor } from '../../infra/kafka/client';
import { KAFKA_VERSION } from '../../infra/stack/kafka';
import { testConfig, uniq } from '../support/env';

/**
 * Proves that kafkajs speaks to the pinned Kafka version (infra/stack/kafka.ts KAFKA_VERSION):
 * create a topic, produce idempotently, consume in a consumer group with manual commits,
 * restart the consumer and resume from the committed offset.
 */
const cfg = testConfig();
const kafka = kafkaFor(cfg, 'compat');
const admin = kafka.admin();

afterAll(async () => {
  await admin.disconnect();
});

async function consume(topic: string, groupId: string, want: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          seen.push(message.value!.toString());
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          if (seen.length === want) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe(`kafkajs against Apache Kafka ${KAFKA_VERSION}`, () => {
  it('creates a topic, produces idempotently, consumes in a group and resumes from the committed offset', async () => {
    const topic = `compat-${uniq()}`;
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
    expect(await admin.listTopics()).toContain(topic);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const first = await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((i) => ({ key: 'k', value: `m${i}` })) });
    expect(first[0]!.errorCode).toBe(0);

    const groupId = `compat-group-${uniq()}`;
    expect(await consume(topic, groupId, 3)).toEqual(['m0', 'm1', 'm2']);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions[0]!.offset).toBe('3');

    await producer.send({ topic, acks: -1, messages: [3, 4].map((i) => ({ key: 'k', value: `m${i}` })) });
    await producer.disconnect();
    // A restarted consumer of the same group resumes after the committed offset: only the new messages.
    expect(await consume(topic, groupId, 2)).toEqual(['m3', 'm4']);
    const groups = await admin.describeGroups([groupId]);
    expect(groups.groups[0]!.groupId).toBe(groupId);
    await admin.deleteTopics({ topics: [topic] });
  });
});
