import { describe, expect, it } from 'vitest';
import { createPublisher } from '../../../infra/kafka/client';
import { topicOffsets } from '../../../infra/kafka/consumer';
import { type Principal, readPrincipals } from '../../../infra/kafka/principals';
import { EVENT_TOPICS, TOPICS } from '../../../infra/kafka/topics';
import { testConfig, uniq } from '../../support/env';

/**
 * Only the engine writes its topics: the stack's Kafka authenticates every client (SASL/SCRAM) and
 * its ACLs let the worker principal alone write mobility-events and project-events; projectors and
 * analytics consumers may read, and a client without credentials is refused at the door.
 */
const cfg = testConfig();

async function tryWrite(principal: Principal | 'nobody', topic: string): Promise<string> {
  const local = principal === 'nobody' ? { ...cfg, dataDir: `/nonexistent-${uniq()}` } : cfg;
  try {
    const pub = await createPublisher(local, `acl-test-${principal}`, principal === 'nobody' ? 'worker' : principal);
    try {
      await pub.publish(topic, [{ key: `acl-${uniq()}`, value: '{"not":"an event"}' }]);
    } finally {
      await pub.close().catch(() => undefined);
    }
    return 'written';
  } catch (err) {
    return (err as { type?: string }).type ?? (err as Error).name;
  }
}

describe('who may write and read the event topics', () => {
  it('the stack keeps one credential per principal', () => {
    const users = readPrincipals(cfg);
    expect(Object.keys(users ?? {}).sort()).toEqual(['admin', 'analytics', 'projector', 'worker']);
  });

  it('lets the worker write both event topics and refuses every other principal', { timeout: 60_000 }, async () => {
    for (const topic of EVENT_TOPICS) {
      expect(await tryWrite('worker', topic)).toBe('written');
      expect(await tryWrite('projector', topic)).toMatch(/AUTHORIZATION_FAILED/);
      expect(await tryWrite('analytics', topic)).toMatch(/AUTHORIZATION_FAILED/);
    }
    // The projector writes only the dead-letter topic.
    expect(await tryWrite('projector', TOPICS.deadLetter.name)).toBe('written');
  });

  it('refuses a client without credentials', { timeout: 60_000 }, async () => {
    expect(await tryWrite('nobody', TOPICS.mobilityEvents.name)).not.toBe('written');
  });

  it('lets the projector and analytics principals read the topics\' offsets', async () => {
    for (const p of ['projector', 'analytics'] as const) {
      const offsets = await topicOffsets(cfg, EVENT_TOPICS, p);
      expect(offsets.size).toBe(TOPICS.mobilityEvents.partitions + TOPICS.projectEvents.partitions);
    }
  });
});
