import { describe, expect, it } from 'vitest';
import { decideRevocation, RevokeBadge } from '../../../domain/recognition/revocation';

/** Revoking an open badge: the request's validation (naming the field) and what it does given the badge's state. */
describe('RevokeBadge', () => {
  it('given a reason code, when parsed, then it is accepted; an unknown code is refused naming reasonCode', () => {
    expect(RevokeBadge.parse({ reasonCode: 'issued-in-error' })).toEqual({ reasonCode: 'issued-in-error' });
    const bad = RevokeBadge.safeParse({ reasonCode: 'because' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['reasonCode']);
  });

  it('given reason other, when no note is given, then the note is required; a note with an e-mail address is refused', () => {
    expect(RevokeBadge.safeParse({ reasonCode: 'other' }).error!.issues[0]!.path).toEqual(['note']);
    expect(RevokeBadge.parse({ reasonCode: 'other', note: '  recognised twice  ' }).note).toBe('recognised twice');
    const pii = RevokeBadge.safeParse({ reasonCode: 'holder-request', note: 'asked by ana@example.org' });
    expect(pii.error!.issues[0]!.path).toEqual(['note']);
    expect(pii.error!.issues[0]!.message).toMatch(/not the person/);
  });
});

describe('decideRevocation', () => {
  it('given no badge issued, then nothing to revoke (with the reason)', () => {
    expect(decideRevocation({ issued: false, revokedAt: null })).toMatchObject({ kind: 'no-badge', reason: expect.stringMatching(/no open badge/) });
  });
  it('given an issued badge not revoked, then revoke it', () => {
    expect(decideRevocation({ issued: true, revokedAt: null })).toEqual({ kind: 'revoke' });
  });
  it('given a revoked badge, then a second request changes nothing and answers the first revocation (idempotent)', () => {
    expect(decideRevocation({ issued: true, revokedAt: '2026-01-02T03:04:05.000Z' })).toEqual({ kind: 'already-revoked', revokedAt: '2026-01-02T03:04:05.000Z' });
  });
});
