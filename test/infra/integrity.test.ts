import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, envelopeHash, streamRefOf } from '../../workers/projections/integrity';
import { decodeMessage, parseValue, readMessage } from '../../workers/projections/decode';
import { parseSigningKeys, signatureHeaders } from '../../infra/kafka/signing';
import { needsPostgres, needsTemporal } from '../../workers/api/health';

describe('the hash of an envelope', () => {
  it('does not depend on the order of keys, and changes with any value', () => {
    const a = { eventId: 'X:1', payload: { b: 1, a: [1, { y: 2, x: 1 }] }, sequence: 1 };
    const b = { sequence: 1, payload: { a: [1, { x: 1, y: 2 }], b: 1 }, eventId: 'X:1' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(envelopeHash(a)).toBe(envelopeHash(b));
    expect(envelopeHash({ ...a, payload: { ...a.payload, b: 2 } })).not.toBe(envelopeHash(a));
  });

  // The definition the ledger's stored hashes were made with: any faster implementation must give the same text.
  const reference = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  };

  it('given any JSON value, when made canonical, then the text is the reference definition\'s, and it parses back to the same value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const text = canonicalJson(v);
      expect(text).toBe(reference(v));
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
    }), { numRuns: 500 });
  });
});

describe('the stream position of a message', () => {
  const envelope = {
    eventId: '2024-1-FR01-KA131-HED-000042-MOB-00001:0', type: 'SomethingNew', version: 1, occurredAt: '2026-01-01T00:00:00.000Z',
    mobilityId: '2024-1-FR01-KA131-HED-000042-MOB-00001', projectId: '2024-1-FR01-KA131-HED-000042', institutionId: 'F-LYON-003',
    consortiumId: null, sequence: 0, payload: {},
  };
  const msg = (value: string, key: string | null = envelope.mobilityId) => ({ topic: 'mobility-events', partition: 0, offset: '7', key, value: Buffer.from(value), headers: {} });

  it('is known for a well-formed envelope, whatever becomes of its payload', () => {
    const m = msg(JSON.stringify(envelope));
    const ref = streamRefOf(m, decodeMessage(m));
    expect(ref).toMatchObject({ streamId: envelope.mobilityId, sequence: 0, eventId: envelope.eventId, type: 'SomethingNew' });
    expect(ref!.hash).toBe(envelopeHash(envelope));
  });

  it('given any message, when read once (readMessage), then decode and stream position are those of reading it twice', () => {
    const keys = parseSigningKeys(`k1 ${Buffer.alloc(32, 7).toString('base64')}\n`);
    const values = fc.oneof(
      fc.constant(JSON.stringify(envelope)),
      fc.record({ sequence: fc.integer({ min: 0, max: 3 }), payload: fc.dictionary(fc.string(), fc.jsonValue()) })
        .map(({ sequence, payload }) => JSON.stringify({ ...envelope, sequence, eventId: `${envelope.mobilityId}:${sequence}`, payload })),
      fc.string(),
    );
    fc.assert(fc.property(values, fc.boolean(), (value, sign) => {
      const m = { ...msg(value), headers: sign ? signatureHeaders(keys, envelope.mobilityId, value) : {} };
      const once = readMessage(m, keys);
      const twice = decodeMessage(m);
      if (sign) expect(once.d).toEqual(twice);
      else expect(once.d).toMatchObject({ kind: 'reject', reason: 'bad-signature' });
      expect(once.parsed).toEqual(parseValue(m));
      expect(streamRefOf(m, once.d, once.parsed)).toEqual(streamRefOf(m, once.d));
    }), { numRuns: 300 });
  });

  it('is unknown for a message without one (bad JSON, an id that does not match, another key)', () => {
    for (const m of [msg('{"not json'), msg(JSON.stringify({ ...envelope, eventId: 'other:0' })), msg(JSON.stringify(envelope), 'another-key')]) {
      expect(streamRefOf(m, decodeMessage(m))).toBeNull();
    }
  });
});

describe('which requests need which dependency', () => {
  it('changes and a mobility\'s detail need Temporal; signing in and out and reads do not', () => {
    expect(needsTemporal('POST', '/api/mobilities/:id/actions/select')).toBe(true);
    expect(needsTemporal('POST', '/api/mobilities')).toBe(true);
    expect(needsTemporal('GET', '/api/mobilities/:id')).toBe(true);
    expect(needsTemporal('GET', '/api/mobilities')).toBe(false);
    expect(needsTemporal('POST', '/api/login')).toBe(false);
    expect(needsTemporal('POST', '/api/participants')).toBe(false);
    expect(needsTemporal('DELETE', '/api/participants/:ref')).toBe(false);
    expect(needsTemporal('POST', '/api/projects')).toBe(true);
    expect(needsTemporal('GET', '/ready')).toBe(false);
  });

  it('everything under /api/ but the OpenAPI document needs Postgres', () => {
    expect(needsPostgres('/api/budget')).toBe(true);
    expect(needsPostgres('/api/openapi.json')).toBe(false);
    expect(needsPostgres('/health')).toBe(false);
  });
});
