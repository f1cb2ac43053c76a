import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureIssuerKeys, loadIssuerKeys, parseIssuerKeys } from '../../infra/credentials/issuer-key';
import { signCredential, verifyOpenBadge, type W3cCredential } from '../../infra/credentials/open-badge';

/** The issuer keys and the VC-JWT signing of open badges, without the stack (did-jwt-vc, offline did:key resolution). */
const dir = () => mkdtempSync(join(tmpdir(), 'me-credentials-'));
const badgeOf = (did: string): W3cCredential => ({
  '@context': ['https://www.w3.org/2018/credentials/v1', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'urn:uuid:00000000-0000-8000-8000-000000000001', type: ['VerifiableCredential', 'OpenBadgeCredential'], issuer: { id: did, type: ['Profile'], name: 'Test' },
  issuanceDate: '2026-01-02T03:04:05.000Z',
  credentialSubject: { type: ['AchievementSubject'], achievement: { id: 'urn:x', type: ['Achievement'], name: 'A' } },
});

describe('issuer keys', () => {
  it('are created once, mode 600, one Ed25519 did:key; a second call keeps the same key', () => {
    const file = join(dir(), 'keys', 'badge-issuer.key');
    const a = loadIssuerKeys(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(a.current.did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$/);
    ensureIssuerKeys(file);
    expect(loadIssuerKeys(file).current.did).toBe(a.current.did);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
  it('refuse a malformed file, naming the problem', () => {
    expect(() => parseIssuerKeys('k1 AAAA', 'f')).toThrow(/k1 is not a 32-byte Ed25519 seed/);
    expect(() => parseIssuerKeys('# nothing\n', 'f')).toThrow(/holds no key/);
  });
});

describe('open badges signed and verified', () => {
  it('given a badge of the current key, then it verifies; after rotation the old key still verifies its badges; a foreign key is unknown-issuer', async () => {
    const file = join(dir(), 'badge-issuer.key');
    const old = loadIssuerKeys(file);
    const signed = await signCredential(old.current, badgeOf(old.current.did));
    expect(await verifyOpenBadge(signed, old)).toMatchObject({ valid: true, issuer: old.current.did, credentialId: signed.id });
    // Rotation: a new first line signs, the old line stays to verify what it signed.
    const other = loadIssuerKeys(join(dir(), 'other.key'));
    writeFileSync(file, `${other.current.keyId} ${other.current.seed.toString('base64')}\n${readFileSync(file, 'utf8')}`);
    const rotated = loadIssuerKeys(file);
    expect(rotated.current.did).toBe(other.current.did);
    expect((await verifyOpenBadge(signed, rotated)).valid).toBe(true);
    const stranger = loadIssuerKeys(join(dir(), 'stranger.key'));
    const foreign = await signCredential(stranger.current, badgeOf(stranger.current.did));
    expect(await verifyOpenBadge(foreign, old)).toMatchObject({ valid: false, reason: 'unknown-issuer' });
  });
  it('given a credential that is not an open badge, or signed for another issuer, then it is refused', async () => {
    const keys = loadIssuerKeys(join(dir(), 'k.key'));
    const plain = await signCredential(keys.current, { ...badgeOf(keys.current.did), type: ['VerifiableCredential'] });
    expect(await verifyOpenBadge(plain, keys)).toMatchObject({ valid: false, reason: 'not-open-badge' });
    await expect(signCredential(keys.current, badgeOf('did:key:z6MkOther'))).rejects.toThrow(/is not the signing key/);
  });
});
