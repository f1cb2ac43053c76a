import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadIssuerKeys } from '../../infra/credentials/issuer-key';
import { signCredential, type W3cCredential } from '../../infra/credentials/open-badge';
import { checkCredentialStatus, encodeStatusList, signStatusList, STATUS_LIST_LENGTH, statusBit, statusEntry } from '../../infra/credentials/status-list';

/** Status lists (StatusList2021) without the stack: the bitstring as the spec lays it out, signing and the verifier's checks. */
const keysIn = (name: string) => loadIssuerKeys(join(mkdtempSync(join(tmpdir(), 'me-status-')), name));
const URL_ = 'https://engine.example/api/credentials/status/revocation-1';
const badge = (did: string, index: number, listUrl = URL_): W3cCredential => ({
  '@context': ['https://www.w3.org/2018/credentials/v1', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', 'https://w3id.org/vc/status-list/2021/v1'],
  id: 'urn:uuid:00000000-0000-8000-8000-000000000001', type: ['VerifiableCredential', 'OpenBadgeCredential'], issuer: { id: did, type: ['Profile'], name: 'Test' },
  issuanceDate: '2026-01-02T03:04:05.000Z',
  credentialSubject: { type: ['AchievementSubject'], achievement: { id: 'urn:x', type: ['Achievement'], name: 'A' } },
  credentialStatus: statusEntry(listUrl, index),
});

describe('the encoded list', () => {
  it('is GZIP then base64url of 16 KiB, bit 0 the most significant bit of the first byte (the spec\'s order)', async () => {
    const encoded = await encodeStatusList([0, 9, STATUS_LIST_LENGTH - 1]);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    const raw = gunzipSync(Buffer.from(encoded, 'base64url'));
    expect(raw.length).toBe(16_384);
    expect(raw[0]).toBe(0b1000_0000);
    expect(raw[1]).toBe(0b0100_0000);
    expect(raw[16_383]).toBe(0b0000_0001);
  });
  it('property: the bits read back are exactly the ones set', async () => {
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: STATUS_LIST_LENGTH - 1 }), { maxLength: 30 }), fc.integer({ min: 0, max: STATUS_LIST_LENGTH - 1 }), async (set, probe) => {
      const encoded = await encodeStatusList(set);
      expect(await statusBit(encoded, probe)).toBe(set.includes(probe));
      for (const i of set) expect(await statusBit(encoded, i)).toBe(true);
    }), { numRuns: 25 });
  });
});

describe('a verifier checks a badge against its status list', () => {
  it('not revoked, then revoked once its bit is set; a list tampered with, of another issuer or another list is refused', async () => {
    const keys = keysIn('k.key');
    const b = badge(keys.current.did, 4242);
    const fresh = await signStatusList(keys.current, { url: URL_, issuerName: 'Test', revoked: [7], validFrom: '2026-01-02T00:00:00Z' });
    expect(fresh.type).toContain('StatusList2021Credential');
    expect(await checkCredentialStatus(b, fresh, keys)).toEqual({ ok: true, revoked: false, listUrl: URL_, index: 4242 });
    const after = await signStatusList(keys.current, { url: URL_, issuerName: 'Test', revoked: [7, 4242], validFrom: '2026-01-03T00:00:00Z' });
    expect(await checkCredentialStatus(b, after, keys)).toMatchObject({ ok: true, revoked: true });
    expect(await checkCredentialStatus(b, after.proof.jwt, keys)).toMatchObject({ ok: true, revoked: true });

    // Someone serves the old list's bits under the new list's proof: the JSON is not what the JWT secures.
    const tampered = { ...after, credentialSubject: { ...(after.credentialSubject as object), encodedList: (fresh.credentialSubject as { encodedList: string }).encodedList } };
    expect(await checkCredentialStatus(b, tampered, keys)).toMatchObject({ ok: false, reason: 'status-list-invalid', message: expect.stringMatching(/content-mismatch/) });
    // The JWT's payload changed: its signature no longer verifies.
    const [h, p, s] = after.proof.jwt.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.vc.credentialSubject.encodedList = (fresh.credentialSubject as { encodedList: string }).encodedList;
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await checkCredentialStatus(b, forged, keys)).toMatchObject({ ok: false, reason: 'status-list-invalid', message: expect.stringMatching(/bad-signature/) });

    // A list signed by a key the engine knows but that did not issue the badge; a stranger's list; another list; not a list.
    const both = { current: keys.current, all: [...keys.all, ...keysIn('o.key').all] };
    const otherIssuer = await signStatusList(both.all[1]!, { url: URL_, issuerName: 'Other', revoked: [], validFrom: '2026-01-02T00:00:00Z' });
    expect(await checkCredentialStatus(b, otherIssuer, both)).toMatchObject({ ok: false, reason: 'status-list-mismatch' });
    const stranger = keysIn('s.key');
    expect(await checkCredentialStatus(b, await signStatusList(stranger.current, { url: URL_, issuerName: 'S', revoked: [], validFrom: '2026-01-02T00:00:00Z' }), keys))
      .toMatchObject({ ok: false, reason: 'status-list-invalid', message: expect.stringMatching(/unknown-issuer/) });
    expect(await checkCredentialStatus(badge(keys.current.did, 1, `${URL_}-2`), fresh, keys)).toMatchObject({ ok: false, reason: 'status-list-mismatch' });
    const notAList = await signCredential(keys.current, { ...b, id: URL_, credentialStatus: undefined });
    expect(await checkCredentialStatus(b, notAList, keys)).toMatchObject({ ok: false, reason: 'status-list-invalid' });
    expect(await checkCredentialStatus({ ...b, credentialStatus: undefined }, fresh, keys)).toMatchObject({ ok: false, reason: 'no-status' });
  });
});
