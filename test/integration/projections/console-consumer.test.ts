import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPublisher } from '../../../infra/kafka/client';
import { analyticsClientConfig } from '../../../infra/kafka/principals';
import { TOPICS } from '../../../infra/kafka/topics';
import { kafkaLibs } from '../../../infra/stack/kafka';
import { scanForPii } from '../../../workers/projections/pii-scan';
import { testConfig, uniq } from '../../support/env';
import { asMessage, mobilityStory, rng } from './stream';

/**
 * workers/projections/README.md tells analytics consumers to read the stream with Kafka's own
 * console consumer from the cached jars. This runs that exact command (class
 * org.apache.kafka.tools.consumer.ConsoleConsumer in Kafka 3.9.2) against the stack.
 */
const cfg = testConfig();

describe('reading the stream with a client other than this project', () => {
  it('Kafka\'s console consumer reads mobility-events from the beginning, key and envelope JSON', { timeout: 120_000 }, async () => {
    const tag = uniq();
    const { events } = mobilityStory(rng(8), { projectId: `2024-1-FR01-KA131-HED-${tag}`, institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'recognised');
    const pub = await createPublisher(cfg, 'console-test');
    await pub.publish(TOPICS.mobilityEvents.name, events.map(asMessage));
    await pub.close();

    const args = [
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp', `${join(kafkaLibs(cfg))}/*`,
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server', cfg.kafka.brokers[0]!,
      // As the read-only analytics principal (SASL/SCRAM), with the client configuration the stack writes.
      '--consumer.config', analyticsClientConfig(cfg),
      '--topic', TOPICS.mobilityEvents.name,
      '--from-beginning',
      '--property', 'print.key=true',
      '--property', 'key.separator=\t',
      '--timeout-ms', '8000',
    ];
    const run = spawnSync('java', args, { encoding: 'utf8', timeout: 100_000, maxBuffer: 512 * 1024 * 1024 });
    expect(run.error).toBeUndefined();
    const lines = run.stdout.split('\n').filter((l) => l.includes(events[0]!.mobilityId));
    const read = lines.map((l) => {
      const [key, value] = [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)];
      return { key, event: JSON.parse(value) as (typeof events)[number] };
    });
    // All of the mobility's events, keyed by its mobility id, in order (one partition), unchanged.
    expect(read.map((r) => r.key)).toEqual(events.map((e) => e.mobilityId));
    expect(read.map((r) => r.event)).toEqual(events);
    for (const r of read) expect(scanForPii(r.event)).toEqual([]);
  });
});
