import { describe, expect, it } from 'vitest';
import { isDataDbError, isTransientDbError } from '../../infra/db/pool';
import { isTransientKafkaError } from '../../infra/kafka/client';
import { aclRules } from '../../infra/kafka/principals';
import type { Service } from '../../infra/stack/service';
import { type ServiceEvent, watchServices } from '../../infra/stack/watch';

/** A service whose process can be made to die, and whose start can be made to fail. */
function fakeService(name: string, opts: { failStarts?: number } = {}) {
  let alive = true;
  let failStarts = opts.failStarts ?? 0;
  const s: Service & { kill(): void; starts: number } = {
    name, ports: [], logFile: `/tmp/${name}.log`, dataDir: '/tmp', startTimeoutMs: 2_000, starts: 0,
    async install() {},
    running: () => alive,
    async start() {
      s.starts++;
      if (failStarts-- > 0) throw new Error('port still in use');
      alive = true;
    },
    healthy: async () => alive,
    async stop() { alive = false; },
    endpoints: () => [],
    kill: () => { alive = false; },
  };
  return s;
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('watching the local services', () => {
  it('starts a service whose process is gone again, and reports down then back', async () => {
    const kafka = fakeService('kafka');
    const events: ServiceEvent[] = [];
    const stop = watchServices([kafka], (e) => events.push(e), 20, 50);
    kafka.kill();
    await until(() => events.some((e) => e.event === 'back'));
    await stop();
    expect(kafka.running()).toBe(true);
    expect(events.map((e) => e.event)).toEqual(['down', 'restarting', 'back']);
    expect(events[2]!.downMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps trying, with a back-off, when starting fails', async () => {
    const pg = fakeService('postgres', { failStarts: 1 });
    const events: ServiceEvent[] = [];
    const stop = watchServices([pg], (e) => events.push(e), 20, 50);
    pg.kill();
    await until(() => events.some((e) => e.event === 'back'), 8_000);
    await stop();
    expect(pg.starts).toBe(2);
    expect(events.map((e) => e.event)).toEqual(['down', 'restarting', 'restart-failed', 'restarting', 'back']);
    expect(events[2]!.error).toBe('port still in use');
  });

  it('leaves the other services alone', async () => {
    const [a, b] = [fakeService('temporal'), fakeService('smtp')];
    const events: ServiceEvent[] = [];
    const stop = watchServices([a, b], (e) => events.push(e), 20, 50);
    b.kill();
    await until(() => events.some((e) => e.event === 'back'));
    await stop();
    expect(a.starts).toBe(0);
    expect(new Set(events.map((e) => e.service))).toEqual(new Set(['smtp']));
  });
});

describe('which errors mean "try again later"', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'ERROR' });

  it('a lost or refused connection, a shutting-down server, a deadlock: transient', () => {
    expect(isTransientDbError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDbError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientDbError(pgError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isTransientDbError(pgError('08006'))).toBe(true);
    expect(isTransientDbError(pgError('40P01'))).toBe(true);
  });

  it('invalid text or a violated constraint: the data is at fault, never retried', () => {
    const nul = pgError('22P05', 'unsupported Unicode escape sequence');
    expect(isTransientDbError(nul)).toBe(false);
    expect(isDataDbError(nul)).toBe(true);
    expect(isDataDbError(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))).toBe(true);
    expect(isDataDbError(pgError('23514'))).toBe(true);
    expect(isDataDbError(pgError('42P01'))).toBe(false);
    expect(isDataDbError(new TypeError('boom'))).toBe(false);
    expect(isTransientDbError(new TypeError('boom'))).toBe(false);
  });

  it('kafkajs errors are transient unless they are a refusal of the principal', () => {
    expect(isTransientKafkaError(Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }))).toBe(true);
    expect(isTransientKafkaError(Object.assign(new Error('denied'), { name: 'KafkaJSProtocolError', type: 'TOPIC_AUTHORIZATION_FAILED' }))).toBe(false);
    expect(isTransientKafkaError(new Error('other'))).toBe(false);
  });
});

describe('the ACLs', () => {
  const allowed = (principal: string, resource: string, name: string, op: string) =>
    aclRules().some((r) => r.principal === principal && r.resource === resource && (r.pattern === 'literal' ? r.name === name || r.name === '*' : name.startsWith(r.name)) && r.operations.includes(op as never));

  it('let only the worker write the event topics', () => {
    for (const topic of ['mobility-events', 'project-events']) {
      expect(allowed('worker', 'topic', topic, 'WRITE')).toBe(true);
      for (const p of ['projector', 'analytics']) expect(allowed(p, 'topic', topic, 'WRITE'), `${p} ${topic}`).toBe(false);
    }
  });

  it('let the projector write only the dead-letter topic, and analytics nothing', () => {
    expect(allowed('projector', 'topic', 'mobility-events-dlq', 'WRITE')).toBe(true);
    expect(aclRules().filter((r) => r.principal === 'analytics').flatMap((r) => r.operations)).not.toContain('WRITE');
  });

  it('let analytics read every topic with its own groups only', () => {
    for (const topic of ['mobility-events', 'project-events', 'mobility-events-dlq']) expect(allowed('analytics', 'topic', topic, 'READ')).toBe(true);
    expect(allowed('analytics', 'group', 'analytics-dashboard', 'READ')).toBe(true);
    expect(allowed('analytics', 'group', 'console-consumer-12345', 'READ')).toBe(true);
    expect(allowed('analytics', 'group', 'projector-applications+budget+quality', 'READ')).toBe(false);
  });
});
