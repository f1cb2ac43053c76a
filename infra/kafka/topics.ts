import kafkajs from 'kafkajs';
import type { Config } from '../config';
import { kafkaFor } from './client';
import { aclRules, readPrincipals } from './principals';

/**
 * The stream contract's topics. Mobility events are keyed by mobility id (one mobility's events
 * stay ordered in one partition) and kept forever so analytics and projections can replay them.
 */
export const TOPICS = {
  mobilityEvents: { name: 'mobility-events', partitions: 6 },
  /** Project and budget events (per-project budget workflow), keyed by project id. */
  projectEvents: { name: 'project-events', partitions: 6 },
  /** Incoming mobilities (the receiving side, domain/incoming), keyed by incoming id; never read by the budget projection. */
  incomingEvents: { name: 'incoming-events', partitions: 3 },
  /** Messages a projector could not fold: the original bytes, with the reason in headers. */
  deadLetter: { name: 'mobility-events-dlq', partitions: 1 },
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]['name'];

/** The topics whose events are projected (the dead-letter topic is for people and tools, not projectors). */
export const EVENT_TOPICS = [TOPICS.mobilityEvents.name, TOPICS.projectEvents.name] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

/** Headers of a dead-lettered message (values are strings). */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  detail: 'dlq-detail',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  projector: 'dlq-projector',
} as const;

/** Topic-level retention: kept forever, never compacted, so any consumer can replay from offset 0. */
export const KEEP_FOREVER = [
  { name: 'retention.ms', value: '-1' },
  { name: 'retention.bytes', value: '-1' },
  { name: 'cleanup.policy', value: 'delete' },
];

export async function ensureTopics(cfg: Config): Promise<void> {
  const admin = kafkaFor(cfg, 'topics').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(TOPICS).filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1, configEntries: KEEP_FOREVER })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Applies the ACLs of principals.ts (creating an existing binding again changes nothing). Only on
 * a broker with authentication, i.e. when the stack holds the principals' credentials.
 */
export async function ensureAcls(cfg: Config): Promise<number> {
  const users = readPrincipals(cfg);
  if (!users) return 0;
  const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
  const admin = kafkaFor(cfg, 'acls').admin();
  await admin.connect();
  try {
    const acl = aclRules().flatMap((r) =>
      r.operations.map((op) => ({
        resourceType: r.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
        resourceName: r.name,
        resourcePatternType: r.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
        principal: `User:${users[r.principal].username}`,
        host: '*',
        operation: AclOperationTypes[op],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    );
    await admin.createAcls({ acl });
    return acl.length;
  } finally {
    await admin.disconnect();
  }
}
