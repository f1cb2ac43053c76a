import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { EventEnvelope, eventIdFor } from '../../../domain/envelope';
import { CURRENT_VERSION, EVENT_TYPES, MobilityEvent, isParseFailure, parseEvent, upcast } from '../../../domain/mobility';
import { MOB } from './fixtures';
import { sampleEvents } from './samples';

/** Every key name an event schema declares, with the zod kind of each leaf, walked recursively. */
const keysOf = (schema: z.ZodType, path = ''): { path: string; kind: string }[] => {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([k, s]) => [{ path: `${path}.${k}`, kind: kindOf(s) }, ...keysOf(s, `${path}.${k}`)]);
    case 'array': return keysOf(def.element as z.ZodType, `${path}[]`);
    case 'nullable': case 'optional': return keysOf(def.innerType as z.ZodType, path);
    default: return [];
  }
};
const kindOf = (s: z.ZodType): string => (s as unknown as { _zod: { def: { type: string } } })._zod.def.type;

const samples = sampleEvents();
const sampleOf = (type: string) => samples.find((e) => e.type === type)!;

describe('event registry (EVENT_TYPES)', () => {
  it('lists each (type, version) once, every type has a sample, and names are past tense', () => {
    const keys = EVENT_TYPES.map((e) => `${e.type}@${e.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(samples.map((e) => e.type))).toEqual(new Set(EVENT_TYPES.map((e) => e.type)));
    for (const { type } of EVENT_TYPES) expect(type).toMatch(/(ed|wn)(?=[A-Z]|$)/);
  });

  it('payloads have no optional field: absent facts are explicit nulls (STYLE.md §3, emmett event.md)', () => {
    for (const { type, schema } of EVENT_TYPES) {
      const optional = keysOf(schema).filter((k) => k.kind === 'optional');
      expect(optional, type).toEqual([]);
    }
  });

  it('every payload names who and when (actor, at); only ApplicationSubmitted, RecognitionRecorded and the co-funded grant events have a v2, and their v1 stays readable', () => {
    const V2 = ['ApplicationSubmitted', 'RecognitionRecorded', 'ParticipantSelected', 'GrantRecalculated', 'AttendanceCertified', 'TakeOverRecorded'];
    for (const e of EVENT_TYPES) {
      const paths = keysOf(e.schema).map((k) => k.path);
      expect(paths, e.type).toEqual(expect.arrayContaining(['.actor', '.at']));
      expect(e.version).toBe(V2.includes(e.type) ? CURRENT_VERSION[e.type] === e.version ? 2 : 1 : 1);
    }
    for (const type of V2) expect(EVENT_TYPES.filter((e) => e.type === type).map((e) => e.version)).toEqual([1, 2]);
  });
});

describe('GDPR: events carry no personal or special-category details', () => {
  const FORBIDDEN = /name|mail|phone|birth|gender|nationality|address|health|disab|illness|medical|explanation|criterion|income|quotient|comment|note/i;

  it('no event schema declares a field that could hold them', () => {
    for (const { type, schema } of EVENT_TYPES) {
      const bad = keysOf(schema).filter((k) => FORBIDDEN.test(k.path.split('.').pop()!));
      expect(bad, type).toEqual([]);
    }
  });

  it('fewer opportunities is only ever a boolean', () => {
    for (const { schema } of EVENT_TYPES) {
      for (const k of keysOf(schema).filter((k) => /fewerOpportunities$/.test(k.path))) expect(k.kind).toBe('boolean');
    }
  });

  it.each(['email', 'participantName', 'forceMajeureExplanation', 'fewerOpportunitiesCriterion', 'healthCondition'])(
    'every event schema rejects an extra %s field (strict objects)', (field) => {
      for (const { type, schema } of EVENT_TYPES.filter((e) => e.version === CURRENT_VERSION[e.type])) {
        const e = sampleOf(type);
        expect(schema.safeParse(e.payload).success, `${type} sample`).toBe(true);
        expect(schema.safeParse({ ...e.payload, [field]: 'x' }).success, `${type} + ${field}`).toBe(false);
      }
    });

  it('emitted events never contain an e-mail address or a criterion code', () => {
    const json = JSON.stringify(samples);
    expect(json).not.toMatch(/@/);
    expect(json).not.toMatch(/FO-0\d/);
  });
});

describe('parseEvent (reading from an envelope)', () => {
  const envelope = (e: MobilityEvent, sequence = 0): EventEnvelope => EventEnvelope.parse({
    eventId: eventIdFor(MOB, sequence), type: e.type, version: e.version, occurredAt: e.payload.at, mobilityId: MOB,
    projectId: '2024-1-FR01-KA131-HED-000123', institutionId: 'F-PARIS001', consortiumId: null, sequence, payload: e.payload,
  });

  it('round-trips every sample through the envelope', () => {
    samples.forEach((e, i) => expect(parseEvent(envelope(e, i))).toEqual(e));
  });

  it('reports unknown types and versions instead of throwing', () => {
    const e = sampleOf('ParticipantSelected');
    expect(parseEvent({ type: 'ParticipantTeleported', version: 1, payload: {} })).toEqual({ kind: 'unknown-type', type: 'ParticipantTeleported', version: 1 });
    expect(parseEvent({ ...envelope(e), version: 3 })).toEqual({ kind: 'unknown-version', type: 'ParticipantSelected', version: 3 });
  });

  it('names the faulty field of an invalid payload', () => {
    const e = sampleOf('PaymentOrdered');
    const r = parseEvent({ type: e.type, version: 1, payload: { ...e.payload, amountCents: 12.5 } });
    expect(isParseFailure(r) && r.kind === 'invalid-payload' && r.issues).toMatch(/^amountCents: /);
  });

  it('reads an ApplicationSubmitted v1 (before groups) as v2: no group, no accompanying person, no course days, no virtual component', () => {
    const v2 = sampleOf('ApplicationSubmitted') as Extract<MobilityEvent, { type: 'ApplicationSubmitted' }>;
    const { groupId: _g, plan, ...rest } = v2.payload;
    const { accompanyingPerson: _a, courseDays: _c, virtualComponent: _v, ...planV1 } = plan;
    const v1Payload = { ...rest, plan: planV1 };
    // The v1 schema still validates what old streams carry, and refuses the v2 fields.
    expect(EVENT_TYPES.find((e) => e.type === 'ApplicationSubmitted' && e.version === 1)!.schema.safeParse(v1Payload).success).toBe(true);
    const r = parseEvent({ type: 'ApplicationSubmitted', version: 1, payload: v1Payload });
    expect(r).toEqual({
      type: 'ApplicationSubmitted', version: 2,
      payload: { ...v1Payload, groupId: null, plan: { ...planV1, accompanyingPerson: false, courseDays: null, virtualComponent: null } },
    });
  });

  it('the upcaster hook chains v1 → v2 → v3 and reports a gap', () => {
    const chain = { 1: (p: Record<string, unknown>) => ({ ...p, added: null }), 2: (p: Record<string, unknown>) => ({ ...p, renamed: p.old, old: undefined }) };
    expect(upcast(chain, 1, 3, { old: 7 })).toEqual({ old: undefined, added: null, renamed: 7 });
    expect(upcast(chain, 3, 3, { x: 1 })).toEqual({ x: 1 });
    expect(upcast({ 2: chain[2] }, 1, 3, { old: 7 })).toBeNull();
    expect(CURRENT_VERSION.ParticipantSelected).toBe(2);
  });

  it('reads ParticipantSelected, GrantRecalculated and AttendanceCertified v1 (before co-funding) as v2 with no shares, and a TakeOverRecorded v1 with its steps so', () => {
    for (const type of ['ParticipantSelected', 'GrantRecalculated', 'AttendanceCertified'] as const) {
      const { funding: _, ...v1Payload } = sampleOf(type).payload as Record<string, unknown>;
      expect(EVENT_TYPES.find((e) => e.type === type && e.version === 1)!.schema.safeParse(v1Payload).success, type).toBe(true);
      expect(parseEvent({ type, version: 1, payload: v1Payload })).toEqual({ type, version: 2, payload: { ...v1Payload, funding: [] } });
    }
    const t = sampleOf('TakeOverRecorded') as Extract<MobilityEvent, { type: 'TakeOverRecorded' }>;
    const stepsV1 = t.payload.steps.map((s) => (s.type === 'ParticipantSelected' || s.type === 'AttendanceCertified' ? { ...s, version: 1, payload: (({ funding: _, ...p }) => p)(s.payload) } : s));
    const r = parseEvent({ type: 'TakeOverRecorded', version: 1, payload: { ...t.payload, steps: stepsV1 } });
    expect(r).toEqual({ ...t, version: 2 });
  });

  it('MobilityEvent validates every sample', () => {
    for (const e of samples) expect(MobilityEvent.safeParse(e).success, e.type).toBe(true);
  });
});
