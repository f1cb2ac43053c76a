import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, kafkaFor, type OutgoingMessage } from '../../../infra/kafka/client';
import { headersOf } from '../../../infra/kafka/consumer';
import { testConfig, uniq } from '../../support/env';

/**
 * The engine's publisher (infra/kafka/client.ts) on the real broker: publishes made while a request
 * is in flight go together in the next one (fewer requests, acks=all), each call resolves once its
 * messages are acknowledged, every stream keeps its order in its partition, and a call whose content
 * the broker refuses fails alone.
 */
const cfg = testConfig();
const topic = `test-publisher-${uniq().toLowerCase()}`;
/** The topic's limit on a batch of one partition: a bigger message is refused by the broker (MESSAGE_TOO_LARGE). */
const LIMIT = 64 * 1024;
const admin = kafkaFor(cfg, 'publisher-test-admin').admin();

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(LIMIT) }] }] });
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

/** Every message of the topic up to its end as it stands now. */
async function readAll(): Promise<{ partition: number; key: string; value: string; headers: Record<string, string> }[]> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  const consumer = kafkaFor(cfg, 'publisher-test-reader').consumer({ groupId: `publisher-test-${uniq()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: { partition: number; offset: bigint; key: string; value: string; headers: Record<string, string> }[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push({ partition, offset: BigInt(message.offset), key: message.key!.toString(), value: message.value!.toString(), headers: headersOf(message.headers) });
      if (BigInt(message.offset) + 1n >= ends.get(partition)! && pending.delete(partition) && pending.size === 0) done();
    },
  });
  if (pending.size > 0) await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error(`read ${out.length} messages, partitions ${[...pending]} not to their end`)), 60_000))]);
  await consumer.disconnect();
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

describe('the engine publisher', () => {
  it('sends concurrent publishes together, in order per stream, each acknowledged; a refused call fails alone', { timeout: 120_000 }, async () => {
    const requests: { calls: number; messages: number }[] = [];
    const pub = await createPublisher(cfg, 'publisher-test', 'admin', undefined, { onRequest: (calls, messages) => requests.push({ calls, messages }) });
    const streams = 40;
    const sendsPerStream = 8;
    const perSend = 3;
    const message = (s: number, i: number, k: number): OutgoingMessage => ({ key: `S-${s}`, value: JSON.stringify({ s, n: i * perSend + k }), headers: { 'event-id': `S-${s}:${i * perSend + k}` } });
    // Each stream publishes its sends one after the other (as a workflow awaits its activity); the streams run at once.
    await Promise.all(Array.from({ length: streams }, async (_, s) => {
      for (let i = 0; i < sendsPerStream; i++) await pub.publish(topic, Array.from({ length: perSend }, (_, k) => message(s, i, k)));
    }));
    const calls = streams * sendsPerStream;
    expect(requests.reduce((n, r) => n + r.calls, 0)).toBe(calls);
    expect(requests.reduce((n, r) => n + r.messages, 0)).toBe(calls * perSend);
    // Coalesced: far fewer requests than calls, and several calls in some request.
    expect(requests.length).toBeLessThan(calls / 2);
    expect(Math.max(...requests.map((r) => r.calls))).toBeGreaterThan(1);

    // A message over the topic's limit, published at the same time as good ones (so in the same
    // request): only its call fails; the others are sent again on their own.
    const huge: OutgoingMessage = { key: 'S-huge', value: 'x'.repeat(LIMIT + 1024) };
    const mixed = await Promise.allSettled([
      ...Array.from({ length: 5 }, (_, s) => pub.publish(topic, [message(s, sendsPerStream, 0)])),
      pub.publish(topic, [huge]),
      ...Array.from({ length: 5 }, (_, s) => pub.publish(topic, [message(s, sendsPerStream, 1)])),
    ]);
    expect(mixed.map((r) => r.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')]);
    await pub.close();

    const read = await readAll();
    expect(read.some((m) => m.key === 'S-huge')).toBe(false);
    // A refused request may have written the partitions it did not refuse: those calls, sent again,
    // appear twice, which consumers drop by event id (here: the first of each n is kept).
    const byStream = new Map<string, { partition: number; n: number }[]>();
    for (const m of read) {
      const n = (JSON.parse(m.value) as { n: number }).n;
      const list = byStream.get(m.key) ?? [];
      if (!list.some((x) => x.n === n)) list.push({ partition: m.partition, n });
      byStream.set(m.key, list);
    }
    expect(byStream.size).toBe(streams);
    for (const [key, list] of byStream) {
      const s = Number(key.slice(2));
      const want = Array.from({ length: sendsPerStream * perSend }, (_, n) => n);
      if (s < 5) want.push(sendsPerStream * perSend, sendsPerStream * perSend + 1);
      // One partition per stream, its messages in the order they were published, none missing.
      expect(new Set(list.map((x) => x.partition)).size, key).toBe(1);
      expect(list.map((x) => x.n), key).toEqual(want);
    }
    expect(read.find((m) => m.key === 'S-0')!.headers['event-id']).toBe('S-0:0');
  });
});
