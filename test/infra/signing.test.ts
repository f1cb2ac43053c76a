import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureSigningKeys, loadSigningKeys, parseSigningKeys, SIGNATURE_HEADERS, signatureHeaders, signatureProblem } from '../../infra/kafka/signing';
import { checkSignature } from '../../workers/projections/decode';

const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'me-signing-'));
  const cfg = { signing: { keyFile: join(dir, 'keys', 'event-signing.key') } };
  ensureSigningKeys(cfg);
  return { cfg, keys: loadSigningKeys(cfg) };
};

const envelope = JSON.stringify({ eventId: 'M-1:3', mobilityId: 'M-1', sequence: 3, type: 'PaymentOrdered', version: 1, payload: { amountCents: 100 } });
const message = (keys: ReturnType<typeof fresh>['keys'], key = 'M-1', value = envelope) => ({ key, value: Buffer.from(value), headers: { 'event-id': 'M-1:3', ...signatureHeaders(keys, key, value) } as Record<string, string> });

describe('event signing (HMAC-SHA256 over key and value)', () => {
  it('creates one key file, mode 600, once', () => {
    const { cfg, keys } = fresh();
    const before = readFileSync(cfg.signing.keyFile, 'utf8');
    ensureSigningKeys(cfg);
    expect(readFileSync(cfg.signing.keyFile, 'utf8')).toBe(before);
    expect(statSync(cfg.signing.keyFile).mode & 0o777).toBe(0o600);
    expect(keys.current.secret.length).toBe(32);
  });

  it('verifies what it signed', () => {
    const { keys } = fresh();
    const m = message(keys);
    expect(m.headers[SIGNATURE_HEADERS.keyId]).toBe(keys.current.id);
    expect(m.headers[SIGNATURE_HEADERS.signature]).toMatch(/^[0-9a-f]{64}$/);
    expect(signatureProblem(keys, m)).toBeNull();
    expect(checkSignature(m, keys)).toBeNull();
  });

  it('refuses a tampered value, another message key, a wrong key, a missing header', () => {
    const { keys } = fresh();
    const m = message(keys);
    const tampered = { ...m, value: Buffer.from(envelope.replace('"amountCents":100', '"amountCents":900')) };
    expect(signatureProblem(keys, tampered)).toMatch(/does not match/);
    expect(signatureProblem(keys, { ...m, key: 'M-2' })).toMatch(/does not match/);
    const other = fresh().keys;
    // Same key id, other secret: the signature does not match; other key id: unknown.
    const wrong = parseSigningKeys(`${keys.current.id} ${other.current.secret.toString('base64')}\n`);
    expect(signatureProblem(wrong, m)).toMatch(/does not match/);
    expect(signatureProblem(other, m)).toMatch(/unknown key/);
    const { [SIGNATURE_HEADERS.signature]: _s, ...noSignature } = m.headers;
    expect(signatureProblem(keys, { ...m, headers: noSignature })).toMatch(/unsigned/);
    const { [SIGNATURE_HEADERS.keyId]: _k, ...noKeyId } = m.headers;
    expect(signatureProblem(keys, { ...m, headers: noKeyId })).toMatch(/signature-key-id/);
    expect(signatureProblem(keys, { ...m, headers: { ...m.headers, [SIGNATURE_HEADERS.signature]: 'zz' } })).toMatch(/malformed/);
    const rejected = checkSignature({ ...m, headers: noSignature }, keys);
    expect(rejected).toMatchObject({ kind: 'reject', reason: 'bad-signature', eventId: 'M-1:3', type: 'PaymentOrdered', version: 1 });
  });

  it('rotates: the first key signs, every listed key verifies', () => {
    const { cfg, keys } = fresh();
    const old = message(keys);
    const next = fresh().keys.current;
    writeFileSync(cfg.signing.keyFile, `${next.id}x ${next.secret.toString('base64')}\n${readFileSync(cfg.signing.keyFile, 'utf8')}`);
    const rotated = loadSigningKeys(cfg);
    expect(rotated.current.id).toBe(`${next.id}x`);
    expect(signatureProblem(rotated, old)).toBeNull();
    expect(signatureProblem(rotated, message(rotated))).toBeNull();
    expect(signatureProblem(keys, message(rotated))).toMatch(/unknown key/);
  });

  it('refuses a malformed key file', () => {
    expect(() => parseSigningKeys('')).toThrow(/no key/);
    expect(() => parseSigningKeys('k1 c2hvcnQ=\n')).toThrow(/shorter/);
    expect(() => loadSigningKeys({ signing: { keyFile: join(tmpdir(), 'me-signing-missing', 'x.key') } })).toThrow(/missing/);
  });
});
