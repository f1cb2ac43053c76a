import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config';
import { TOPICS } from './topics';

/**
 * Who may do what on the engine's Kafka (SASL/SCRAM-SHA-256 users, ACLs of the StandardAuthorizer):
 * - `admin`     super user: the stack's own tooling (topics, ACLs, health), never an engine process;
 * - `worker`    the Temporal worker: the only principal that may write the event topics;
 * - `projector` reads the event topics, writes the dead-letter topic, manages its consumer groups;
 * - `analytics` read-only: the three topics, with consumer groups named `analytics-…` or `console-consumer-…`
 *               (Kafka's console consumer without --group); the API's readiness probe uses it too.
 * Passwords are generated once per data directory and kept in `<dataDir>/kafka/principals.json` (mode 600);
 * the broker receives them as SCRAM credentials when its storage is formatted.
 */
export const PRINCIPALS = ['admin', 'worker', 'projector', 'analytics'] as const;
export type Principal = (typeof PRINCIPALS)[number];

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';

export interface Credentials {
  username: string;
  password: string;
}

export const principalsFile = (cfg: Config) => join(cfg.dataDir, 'kafka', 'principals.json');
/** A ready-made client configuration for Kafka's own tools, as the analytics principal. */
export const analyticsClientConfig = (cfg: Config) => join(cfg.dataDir, 'kafka', 'analytics.properties');

/** The credentials of every principal for this data directory, created on first use. */
export function ensurePrincipals(cfg: Config): Record<Principal, Credentials> {
  const file = principalsFile(cfg);
  const existing = readPrincipals(cfg);
  if (existing) return existing;
  const all = Object.fromEntries(PRINCIPALS.map((p) => [p, { username: p, password: randomBytes(18).toString('hex') }])) as Record<Principal, Credentials>;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  writeFileSync(analyticsClientConfig(cfg), clientProperties(all.analytics), { mode: 0o600 });
  return all;
}

export function readPrincipals(cfg: Config): Record<Principal, Credentials> | null {
  const file = principalsFile(cfg);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as Record<Principal, Credentials>;
}

/**
 * The identity a client of this process uses: ME_KAFKA_USERNAME / ME_KAFKA_PASSWORD when set
 * (a deployment gives each process its own), else the local stack's principal of that name,
 * else none (a broker without authentication).
 */
export function credentialsFor(cfg: Config, principal: Principal): Credentials | null {
  if (cfg.kafka.username && cfg.kafka.password) return { username: cfg.kafka.username, password: cfg.kafka.password };
  return readPrincipals(cfg)?.[principal] ?? null;
}

export const clientProperties = (c: Credentials) =>
  [
    'security.protocol=SASL_PLAINTEXT',
    `sasl.mechanism=${SCRAM_MECHANISM}`,
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${c.username}" password="${c.password}";`,
    '',
  ].join('\n');

type Op = 'READ' | 'WRITE' | 'DESCRIBE' | 'DELETE';
export interface AclRule {
  principal: Principal;
  resource: 'topic' | 'group';
  name: string;
  pattern: 'literal' | 'prefixed';
  operations: Op[];
}

/** The ACLs the stack applies (idempotent) each time it starts. Everything not listed is denied. */
export const aclRules = (): AclRule[] => {
  const EVENTS = [TOPICS.mobilityEvents.name, TOPICS.projectEvents.name, TOPICS.incomingEvents.name];
  return [
  ...EVENTS.map((name): AclRule => ({ principal: 'worker', resource: 'topic', name, pattern: 'literal', operations: ['WRITE', 'DESCRIBE'] })),
  ...EVENTS.map((name): AclRule => ({ principal: 'projector', resource: 'topic', name, pattern: 'literal', operations: ['READ', 'DESCRIBE'] })),
  { principal: 'projector', resource: 'topic', name: TOPICS.deadLetter.name, pattern: 'literal', operations: ['WRITE', 'DESCRIBE'] },
  { principal: 'projector', resource: 'group', name: '*', pattern: 'literal', operations: ['READ', 'DESCRIBE', 'DELETE'] },
  ...[...EVENTS, TOPICS.deadLetter.name].map((name): AclRule => ({ principal: 'analytics', resource: 'topic', name, pattern: 'literal', operations: ['READ', 'DESCRIBE'] })),
  ...['analytics-', 'console-consumer-'].map((name): AclRule => ({ principal: 'analytics', resource: 'group', name, pattern: 'prefixed', operations: ['READ', 'DESCRIBE', 'DELETE'] })),
  ];
};
