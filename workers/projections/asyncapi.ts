import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ProjectEventEnvelope } from '../../domain/budget/events';
import { EventEnvelope } from '../../domain/envelope';
import { INCOMING_EVENT_TYPES, IncomingEnvelope } from '../../domain/incoming/events';
import { ROOT } from '../../infra/config';
import { DLQ_HEADERS, KEEP_FOREVER, TOPICS } from '../../infra/kafka/topics';
import { type EventSchema, MOBILITY_SCHEMAS, PROJECT_SCHEMAS } from './registry';

/**
 * The stream contract as an AsyncAPI 3.0 document, generated from the zod schemas (envelopes and
 * the registry of event types and versions). `asyncapi.yaml` at the repository root is this
 * document; test/infra/asyncapi.test.ts fails when the two differ.
 * Regenerate: `npx tsx workers/projections/asyncapi.ts --write`.
 */
export const ASYNCAPI_FILE = join(ROOT, 'asyncapi.yaml');
export const SCHEMA_FORMAT = 'application/schema+json;version=draft-07';

export const messageName = (s: Pick<EventSchema, 'type' | 'version'>) => `${s.type}V${s.version}`;

const jsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** The full message (envelope with its type and version fixed, and the payload schema) as JSON Schema. */
export const mobilityMessageSchema = (s: EventSchema) =>
  jsonSchema(EventEnvelope.extend({ type: z.literal(s.type), version: z.literal(s.version), payload: s.payload }));
export const projectMessageSchema = (s: EventSchema) =>
  jsonSchema(ProjectEventEnvelope.extend({ type: z.literal(s.type), version: z.literal(s.version), payload: s.payload }));
export const incomingMessageSchema = (s: EventSchema) =>
  jsonSchema(IncomingEnvelope.extend({ type: z.literal(s.type), version: z.literal(s.version), payload: s.payload }));
/** The incoming-events topic's types (domain/incoming/events.ts), in the registry's shape. */
export const INCOMING_SCHEMAS: EventSchema[] = INCOMING_EVENT_TYPES.map((e) => ({ type: e.type, version: e.version, payload: e.schema, meaning: e.meaning }));

const eventHeaders = {
  type: 'object',
  properties: {
    'event-id': { type: 'string', description: 'Same as the envelope eventId' },
    'event-type': { type: 'string', description: 'Same as the envelope type' },
    'event-version': { type: 'string', description: 'Same as the envelope version, as a decimal string' },
  },
};

const topicBinding = (t: { name: string; partitions: number }) => ({
  kafka: {
    topic: t.name,
    partitions: t.partitions,
    replicas: 1,
    topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': -1, 'retention.bytes': -1 },
    bindingVersion: '0.5.0',
  },
});

export function buildAsyncApi(): Record<string, unknown> {
  if (KEEP_FOREVER.find((c) => c.name === 'retention.ms')?.value !== '-1') throw new Error('topics are expected to be kept forever');
  const messages: Record<string, unknown> = {};
  const mobilityRefs: Record<string, unknown> = {};
  const projectRefs: Record<string, unknown> = {};
  const incomingRefs: Record<string, unknown> = {};
  const add = <S extends EventSchema>(
    schemas: readonly S[], refs: Record<string, unknown>, key: string, schemaOf: (s: S) => unknown,
  ) => {
    for (const s of schemas) {
      const name = messageName(s);
      messages[name] = {
        name,
        title: `${s.type} v${s.version}`,
        summary: s.meaning,
        contentType: 'application/json',
        headers: eventHeaders,
        bindings: { kafka: { key: { type: 'string', description: key }, bindingVersion: '0.5.0' } },
        payload: { schemaFormat: SCHEMA_FORMAT, schema: schemaOf(s) },
      };
      refs[name] = { $ref: `#/components/messages/${name}` };
    }
  };
  add(MOBILITY_SCHEMAS, mobilityRefs, 'The mobility id (all events of a mobility in one partition, in order)', mobilityMessageSchema);
  add(PROJECT_SCHEMAS, projectRefs, 'The project id (all events of a project in one partition, in order)', projectMessageSchema);
  add(INCOMING_SCHEMAS, incomingRefs, 'The incoming id (all events of an incoming mobility in one partition, in order)', incomingMessageSchema);
  messages.DeadLetter = {
    name: 'DeadLetter',
    title: 'Dead-lettered message',
    summary: 'A message a projector could not fold: the original key and bytes, unchanged, with the reason and the source position in headers.',
    contentType: 'application/json',
    headers: {
      type: 'object',
      required: [DLQ_HEADERS.reason, DLQ_HEADERS.sourceTopic, DLQ_HEADERS.sourcePartition, DLQ_HEADERS.sourceOffset],
      properties: {
        [DLQ_HEADERS.reason]: { type: 'string', enum: ['invalid-json', 'invalid-envelope', 'invalid-payload', 'key-mismatch', 'unknown-topic', 'unknown-version', 'unknown-type'] },
        [DLQ_HEADERS.detail]: { type: 'string', description: 'What failed (first schema issues), at most 1000 characters' },
        [DLQ_HEADERS.sourceTopic]: { type: 'string' },
        [DLQ_HEADERS.sourcePartition]: { type: 'string' },
        [DLQ_HEADERS.sourceOffset]: { type: 'string', description: 'Source offset: with topic and partition, identifies a re-sent duplicate' },
        [DLQ_HEADERS.projector]: { type: 'string', description: 'Consumer group of the projector that dead-lettered it' },
      },
    },
    payload: { schemaFormat: SCHEMA_FORMAT, schema: { description: 'The original message value, byte for byte (may not be JSON)' } },
  };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Mobility engine event streams',
      version: '1.0.0',
      description: [
        'Domain events of Erasmus+ mobilities and of project budgets. Every message is a versioned JSON envelope',
        '(domain/envelope.ts, domain/budget/events.ts): eventId is deterministic (`<stream id>:<sequence>`), so a re-sent',
        'event carries the same id and consumers fold it once. Topics are kept forever: read from offset 0 to rebuild',
        'any view. Participants appear only as pseudonymous refs (P-…); no names, e-mail addresses, phone numbers or',
        'special-category data. Money is in integer euro cents. Generated from the zod schemas; do not edit by hand.',
      ].join(' '),
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'npm start (dev profile); the test profile uses 19092' },
    },
    channels: {
      mobilityEvents: { address: TOPICS.mobilityEvents.name, description: 'Events of each mobility, keyed by mobility id.', messages: mobilityRefs, bindings: topicBinding(TOPICS.mobilityEvents) },
      projectEvents: { address: TOPICS.projectEvents.name, description: 'Project (budget guard) events, keyed by project id.', messages: projectRefs, bindings: topicBinding(TOPICS.projectEvents) },
      incomingEvents: { address: TOPICS.incomingEvents.name, description: 'Events of each incoming mobility (the receiving side), keyed by incoming id. No money: the budget projection does not read it.', messages: incomingRefs, bindings: topicBinding(TOPICS.incomingEvents) },
      deadLetter: { address: TOPICS.deadLetter.name, description: 'Messages projectors could not fold, with the reason.', messages: { DeadLetter: { $ref: '#/components/messages/DeadLetter' } }, bindings: topicBinding(TOPICS.deadLetter) },
    },
    operations: {
      publishMobilityEvents: { action: 'send', channel: { $ref: '#/channels/mobilityEvents' }, summary: 'The mobility workflows publish each event once it is decided (idempotent producer).' },
      publishProjectEvents: { action: 'send', channel: { $ref: '#/channels/projectEvents' }, summary: 'The per-project budget workflow publishes its events.' },
      projectMobilityEvents: { action: 'receive', channel: { $ref: '#/channels/mobilityEvents' }, summary: 'Projectors fold events into Postgres, exactly once in effect.' },
      projectProjectEvents: { action: 'receive', channel: { $ref: '#/channels/projectEvents' }, summary: 'Projectors fold budget allocations and reservations.' },
      publishIncomingEvents: { action: 'send', channel: { $ref: '#/channels/incomingEvents' }, summary: 'The incoming workflows publish each event once it is decided (idempotent producer).' },
      projectIncomingEvents: { action: 'receive', channel: { $ref: '#/channels/incomingEvents' }, summary: 'The incoming projection folds them into incoming_mobilities, exactly once in effect.' },
      deadLetterMessages: { action: 'send', channel: { $ref: '#/channels/deadLetter' }, summary: 'Projectors send what they cannot fold here and carry on.' },
    },
    components: { messages },
  };
}

export const renderAsyncApi = (): string =>
  `# Generated from the zod schemas by workers/projections/asyncapi.ts; do not edit by hand.\n${stringify(buildAsyncApi(), { lineWidth: 0, aliasDuplicateObjects: false })}`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) {
    writeFileSync(ASYNCAPI_FILE, renderAsyncApi());
    console.log(`wrote ${ASYNCAPI_FILE}`);
  } else process.stdout.write(renderAsyncApi());
}
