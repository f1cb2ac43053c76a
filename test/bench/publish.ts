/**
 * Event publishing: the engine's publishEvents activity (envelope validation, serialisation, the
 * idempotent publisher of infra/kafka/client.ts) against a raw kafkajs producer sending the same
 * bytes. Both send the lifecycle's own events (read back from mobility-events), grouped per send as
 * the workflow groups them (one publishEvents call per group, from the history), each mobility's
 * sends in order, `concurrency` mobilities at a time; and the raw producer once more in sends of
 * 500 (what the broker takes at best). Everything goes to a topic of the bench's own, so the
 * projections never see these copies.
 */
import type { Config } from '../../infra/config';
import { createEventActivities } from '../../activities/events';
import type { EventEnvelope } from '../../domain/envelope';
import { createPublisher, kafkaFor, type OutgoingMessage, type Publisher } from '../../infra/kafka/client';
import { loadSigningKeys } from '../../infra/kafka/signing';
import { readToEnd } from '../../infra/kafka/consumer';
import { TOPICS } from '../../infra/kafka/topics';
import { asMessage, generateStream } from '../integration/projections/stream';
import { figure, type Figure, pool as inParallel, progress, say } from './lib';
import type { LifecycleShape } from './lifecycle';

const BENCH_TOPIC = 'bench-mobility-events';

async function lifecycleEvents(cfg: Config): Promise<OutgoingMessage[]> {
  const out: OutgoingMessage[] = [];
  await readToEnd(cfg, 'bench-read', [TOPICS.mobilityEvents.name], async (b) => {
    for (const m of b.messages) if (m.key && m.value) out.push({ key: m.key, value: m.value.toString('utf8'), headers: m.headers });
  });
  return out;
}

/** Each mobility's events in sequence order, cut into the sends the workflow makes. */
function sends(messages: OutgoingMessage[], sizes: number[]): OutgoingMessage[][][] {
  const byMobility = new Map<string, Map<number, OutgoingMessage>>();
  for (const m of messages) {
    const seq = (JSON.parse(m.value) as { sequence: number }).sequence;
    const s = byMobility.get(m.key) ?? new Map<number, OutgoingMessage>();
    s.set(seq, m); // a re-sent event (activity retry) counts once
    byMobility.set(m.key, s);
  }
  return [...byMobility.values()].map((s) => {
    const events = [...s.entries()].sort(([a], [b]) => a - b).map(([, m]) => m);
    const out: OutgoingMessage[][] = [];
    let i = 0;
    for (const n of sizes.length > 0 ? sizes : [1]) {
      if (i >= events.length) break;
      out.push(events.slice(i, i + Math.max(1, n)));
      i += Math.max(1, n);
    }
    while (i < events.length) out.push(events.slice(i, ++i));
    return out;
  });
}

export async function publishBench(cfg: Config, shape: LifecycleShape | null, concurrency: number, repeat: number): Promise<Figure[]> {
  let messages = await lifecycleEvents(cfg);
  if (messages.length === 0) {
    // No lifecycle ran in this bench: generated lifecycles of the same kinds of events.
    messages = generateStream(5, `PUB${Date.now().toString(36).toUpperCase()}`, 200, 2).mobilityEvents.map(asMessage);
  }
  const groups = sends(messages, shape?.publishSizes ?? []);
  const total = groups.reduce((s, g) => s + g.reduce((t, x) => t + x.length, 0), 0);
  const flat = groups.flat().flat();
  const bytes = flat.reduce((s, m) => s + Buffer.byteLength(m.value), 0);
  say(`  ${total} events of ${groups.length} mobilities (${(bytes / total).toFixed(0)} bytes each on average), ${groups[0]?.length ?? 0} sends per mobility, ${concurrency} mobilities at a time`);

  const admin = kafkaFor(cfg, 'bench-admin', 'admin').admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(BENCH_TOPIC)) {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: BENCH_TOPIC, numPartitions: TOPICS.mobilityEvents.partitions, replicationFactor: 1 }] });
  }
  await admin.disconnect();

  // The engine: the worker's activity over the worker's publisher, its topic redirected to the bench's.
  const real = await createPublisher(cfg, 'bench-engine', 'admin');
  const redirected: Publisher = { publish: (_topic, msgs) => real.publish(BENCH_TOPIC, msgs), close: () => real.close() };
  const { publishEvents } = createEventActivities({ publisher: redirected, keys: loadSigningKeys(cfg) });
  const envelopes = groups.map((g) => g.map((s) => s.map((m) => JSON.parse(m.value) as EventEnvelope)));
  const producer = kafkaFor(cfg, 'bench-raw', 'admin').producer();
  await producer.connect();
  const rawSend = (msgs: OutgoingMessage[]) => producer.send({ topic: BENCH_TOPIC, messages: msgs.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });

  const timed = async (label: string, work: (tick: () => void) => Promise<void>) => {
    const bar = progress(label, groups.length);
    let done = 0;
    const t0 = performance.now();
    await work(() => bar.tick(++done));
    const rate = total / ((performance.now() - t0) / 1000);
    bar.done(`${rate.toFixed(0)} events/s`);
    return rate;
  };
  const engine: number[] = [];
  const raw: number[] = [];
  const bulk: number[] = [];
  try {
    await publishEvents(envelopes[0]![0]!); // connect and warm up
    await rawSend(groups[0]![0]!);
    for (let r = 1; r <= repeat; r++) {
      engine.push(await timed(`engine publishEvents ${r}/${repeat}`, (tick) => inParallel(groups.length, concurrency, async (i) => {
        for (const s of envelopes[i]!) await publishEvents(s);
        tick();
      }).then(() => undefined)));
      raw.push(await timed(`raw kafkajs, same sends ${r}/${repeat}`, (tick) => inParallel(groups.length, concurrency, async (i) => {
        for (const s of groups[i]!) await rawSend(s);
        tick();
      }).then(() => undefined)));
      bulk.push(await timed(`raw kafkajs, sends of 500 ${r}/${repeat}`, async (tick) => {
        for (let i = 0; i < flat.length; i += 500) await rawSend(flat.slice(i, i + 500));
        for (let i = 0; i < groups.length; i++) tick();
      }));
    }
  } finally {
    await producer.disconnect();
    await real.close();
  }
  return [
    figure({ id: 'publish', figure: `event publishing, events/s (the lifecycle's ${total} events, as the workflow groups them, ${concurrency} mobilities at a time)`, unit: 'events/s', engineRuns: engine, baselineName: 'raw kafkajs producer, same bytes, same sends', baselineRuns: raw, higherIsBetter: true }),
    figure({ id: 'publish-bulk', figure: 'event publishing against the broker\'s best (events/s)', unit: 'events/s', engineRuns: engine, baselineName: 'raw kafkajs producer, same bytes, sends of 500', baselineRuns: bulk, higherIsBetter: true }),
  ];
}
