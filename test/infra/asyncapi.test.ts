import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { PROJECT_EVENT_TYPES, ProjectEventEnvelope } from '../../domain/budget/events';
import { EventEnvelope } from '../../domain/envelope';
import { EVENT_TYPES } from '../../domain/mobility/events';
import { TOPICS } from '../../infra/kafka/topics';
import { ASYNCAPI_FILE, renderAsyncApi, SCHEMA_FORMAT } from '../../workers/projections/asyncapi';
import { MOBILITY_SCHEMAS, PROJECT_SCHEMAS } from '../../workers/projections/registry';
import { scanForPii } from '../../workers/projections/pii-scan';
import { generateStream, mobilityStory, rng } from '../integration/projections/stream';

/**
 * asyncapi.yaml (the published stream contract) and the zod schemas cannot drift: every message
 * payload in the document is the JSON Schema of the envelope + payload zod schema of its event type
 * and version, every registered (type, version) has its message, and nothing else is there.
 */
type Doc = {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }>; bindings: { kafka: { partitions: number; topicConfiguration: Record<string, unknown> } } }>;
  components: { messages: Record<string, { name: string; payload: { schemaFormat: string; schema: Record<string, unknown> } }> };
};
const doc = parse(readFileSync(ASYNCAPI_FILE, 'utf8')) as Doc;

const toJson = (s: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

describe('asyncapi.yaml, the stream contract', () => {
  it('is the document generated from the current zod schemas (regenerate: npx tsx workers/projections/asyncapi.ts --write)', () => {
    expect(readFileSync(ASYNCAPI_FILE, 'utf8')).toBe(renderAsyncApi());
    expect(doc.asyncapi).toBe('3.0.0');
  });

  it('gives every mobility event type and version of the domain registry its message, with the zod payload schema', () => {
    const channel = doc.channels.mobilityEvents!;
    expect(channel.address).toBe(TOPICS.mobilityEvents.name);
    expect(channel.bindings.kafka.partitions).toBe(TOPICS.mobilityEvents.partitions);
    expect(channel.bindings.kafka.topicConfiguration['retention.ms']).toBe(-1);
    for (const e of EVENT_TYPES) {
      const name = `${e.type}V${e.version}`;
      expect(channel.messages[name], name).toEqual({ $ref: `#/components/messages/${name}` });
      const payload = doc.components.messages[name]!.payload;
      expect(payload.schemaFormat).toBe(SCHEMA_FORMAT);
      expect(payload.schema, name).toEqual(toJson(EventEnvelope.extend({ type: z.literal(e.type), version: z.literal(e.version), payload: e.schema })));
    }
    // Nothing beyond the domain registry.
    expect(Object.keys(channel.messages).sort()).toEqual(MOBILITY_SCHEMAS.map((s) => `${s.type}V${s.version}`).sort());
    expect(MOBILITY_SCHEMAS.filter((s) => !EVENT_TYPES.some((e) => e.type === s.type)).map((s) => s.type)).toEqual([]);
  });

  it('gives every project (budget) event its message on project-events, with the zod payload schema', () => {
    const channel = doc.channels.projectEvents!;
    expect(channel.address).toBe(TOPICS.projectEvents.name);
    expect([...new Set(PROJECT_SCHEMAS.map((s) => s.type))].sort()).toEqual([...PROJECT_EVENT_TYPES].sort());
    for (const s of PROJECT_SCHEMAS) {
      const name = `${s.type}V${s.version}`;
      expect(doc.components.messages[name]!.payload.schema, name).toEqual(toJson(ProjectEventEnvelope.extend({ type: z.literal(s.type), version: z.literal(s.version), payload: s.payload })));
    }
    expect(Object.keys(channel.messages).sort()).toEqual(PROJECT_SCHEMAS.map((s) => `${s.type}V${s.version}`).sort());
    expect(doc.channels.deadLetter!.address).toBe(TOPICS.deadLetter.name);
  });

  it('is explained, type by type, in the table of workers/projections/README.md', () => {
    const readme = readFileSync(new URL('../../workers/projections/README.md', import.meta.url), 'utf8');
    for (const s of [...MOBILITY_SCHEMAS, ...PROJECT_SCHEMAS]) expect(readme, s.type).toContain(`| \`${s.type}\` | ${s.version} |`);
  });

  it('accepts, by its JSON Schemas alone (Ajv, no zod), every event of a generated stream, and refuses a broken one', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validators = new Map(Object.entries(doc.components.messages).map(([k, m]) => [k, ajv.compile(m.payload.schema)]));
    const s = generateStream(99, 'DOC', 40, 2);
    for (const e of [...s.mobilityEvents, ...s.projectEvents]) {
      const v = validators.get(`${e.type}V${e.version}`)!;
      expect(v(e), `${e.type}: ${JSON.stringify(v.errors)}`).toBe(true);
    }
    const e = s.mobilityEvents.find((x) => x.type === 'ParticipantSelected')!;
    expect(validators.get('ParticipantSelectedV1')!({ ...e, payload: { ...e.payload, participantEmail: 'x@example.org' } })).toBe(false);
  });
});

describe('scanForPii: events carry pseudonymous ids only', () => {
  it('finds nothing in a broad generated stream of every event type', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 25; seed++) {
      const s = generateStream(seed, `S${seed}`, 30, 2);
      for (const e of [...s.mobilityEvents, ...s.projectEvents]) {
        seen.add(e.type);
        expect(scanForPii(e), `${e.type} ${e.eventId}`).toEqual([]);
      }
    }
    // The stream covers the money, follow-up and lifecycle events the dashboards read.
    for (const t of ['ApplicationSubmitted', 'ParticipantSelected', 'AgreementSigned', 'PaymentOrdered', 'AttendanceCertified', 'RecoveryOrdered', 'ParticipantReportSubmitted', 'RecognitionRecorded', 'DeadlineMissed', 'MobilityCancelled', 'ProjectRegistered']) {
      expect(seen, t).toContain(t);
    }
  });

  it('flags names, e-mail addresses, phone numbers and special-category keys or values, wherever they hide', () => {
    const { events } = mobilityStory(rng(1), { projectId: '2024-1-FR01-KA131-HED-000123', institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'selected');
    const base = events[0]!;
    const kinds = (extra: Record<string, unknown>) => scanForPii({ ...base, payload: { ...base.payload, ...extra } }).map((f) => `${f.kind}@${f.path}`);
    expect(kinds({ firstName: 'Jane' })).toEqual(['name@payload.firstName']);
    expect(kinds({ note: 'Jane Doe' })).toEqual(['name@payload.note']);
    expect(kinds({ note: 'Marie-Claire Dupont' })).toEqual(['name@payload.note']);
    expect(kinds({ contact: 'write to jane.doe@example.org' })).toEqual(['email@payload.contact']);
    expect(kinds({ participantEmail: 'x' })).toEqual(['email@payload.participantEmail']);
    expect(kinds({ contact: '+33 6 12 34 56 78' })).toEqual(['phone@payload.contact']);
    expect(kinds({ contact: '06 12 34 56 78' })).toEqual(['phone@payload.contact']);
    expect(kinds({ phoneNumber: '0612345678' })).toEqual(['phone@payload.phoneNumber', 'phone@payload.phoneNumber']);
    expect(kinds({ healthCondition: 'x' })).toEqual(['special-category@payload.healthCondition']);
    expect(kinds({ forceMajeureExplanation: 'x' })).toEqual(['special-category@payload.forceMajeureExplanation']);
    expect(kinds({ nested: [{ reason: 'participant has a disability' }] })).toEqual(['special-category@payload.nested[0].reason']);
    expect(kinds({ religion: 'x' })).toEqual(['special-category@payload.religion']);
    expect(kinds({ dateOfBirth: '2001-02-03' })).toEqual(['birth-date@payload.dateOfBirth']);
    // Ids, dates, codes and amounts are not personal data.
    expect(kinds({ note: '2024-1-FR01-KA131-HED-000123-MOB-00001', when: '2025-01-05T00:00:00.000Z', code: 'FO-03', ref: 'P-7f3a9c21', city: 'Le Havre' })).toEqual([]);
  });
});
