import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Policy } from '../../../domain/calendar/policy';
import { DOCUMENT_KINDS, type DocumentKind, MAX_DOCUMENT_BYTES, documentIdOf } from '../../../domain/documents';
import { AttachDocument, type MobilityCommand, type MobilityState, decide, evolve, foldEvents, initialState, isRejection } from '../../../domain/mobility';
import { DeciderSpecification } from '../support/decider-spec';
import { cmd, estimatedGrant, history, path, spec } from './fixtures';

/** Documents and proofs (issue 13 item 6): what the engine keeps of a file is its content's SHA-256, never its name. */
const sha = (c: string) => c.repeat(64).slice(0, 64);
const attach = (on: string, kind: DocumentKind, sha256 = sha('a'), actor?: string) => ({
  ...cmd('AttachDocument', on, { documentId: documentIdOf(kind, sha256), kind, sha256, byteSize: 182_044, mediaType: 'application/pdf' }),
  ...(actor ? { actor } : {}),
});
const certificate = (on = '2026-02-05') => cmd('RecordCertificateOfAttendance', on, { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', finalGrant: estimatedGrant });

describe('AttachDocument', () => {
  it('given a departed mobility, when the host\'s certificate is attached, then DocumentAttached carries id, kind, sha256, size, media type and who', () =>
    spec.given(history(path.departed())).when(attach('2026-02-01', 'certificate-of-attendance', sha('c'), 'link:host'))
      .then([{
        type: 'DocumentAttached', version: 1,
        payload: {
          actor: 'link:host', at: '2026-02-01T09:00:00Z', documentId: documentIdOf('certificate-of-attendance', sha('c')), kind: 'certificate-of-attendance',
          sha256: sha('c'), byteSize: 182_044, mediaType: 'application/pdf',
        },
      }]));

  it('given the same content already attached as that kind, when attached again, then it is refused (nothing is appended)', () => {
    const once = [...path.agreed(), attach('2025-06-11', 'grant-agreement', sha('1'))];
    spec.given(history(once)).when(attach('2025-06-12', 'grant-agreement', sha('1'))).thenRejects('document-already-attached', /same document .* was attached on 2025-06-11/);
    // the same bytes as another kind are another proof
    spec.given(history(once)).when(attach('2025-06-12', 'learning-agreement', sha('1'))).thenMatches([{ type: 'DocumentAttached', payload: { kind: 'learning-agreement' } }]);
  });

  it('given a closed mobility (rejected), when a document is attached, then the stage refuses it', () =>
    spec.given(history([...path.applied(), cmd('RejectApplication', '2025-04-01', { reasonCode: 'no-budget' })]))
      .when(attach('2025-04-02', 'grant-agreement')).thenRejects('wrong-stage', /cannot attach a document/));

  it('the state lists the documents in order, with who attached them and when', () => {
    const s = foldEvents(history([...path.departed(), attach('2025-09-03', 'learning-agreement', sha('b')), attach('2026-02-01', 'certificate-of-attendance', sha('c'), 'link:host')]));
    if (s.stage === 'none') throw new Error('no mobility');
    expect(s.documents.map((d) => [d.kind, d.attachedBy, d.attachedAt.slice(0, 10)])).toEqual([
      ['learning-agreement', 'staff-0042', '2025-09-03'], ['certificate-of-attendance', 'link:host', '2026-02-01'],
    ]);
  });

  it('refuses a file name, an oversized file, a media type the bytes cannot be, and a malformed sha256 (schema)', () => {
    const good = { type: 'AttachDocument', mobilityId: cmd('AttachDocument', '2025-01-01', {} as never).mobilityId, actor: 'staff-1', at: '2025-01-01T00:00:00Z', documentId: documentIdOf('europass', sha('e')), kind: 'europass', sha256: sha('e'), byteSize: 10, mediaType: 'image/png' };
    expect(AttachDocument.safeParse(good).success).toBe(true);
    expect(AttachDocument.safeParse({ ...good, fileName: 'Ada Lovelace certificate.pdf' }).success).toBe(false);
    expect(AttachDocument.safeParse({ ...good, byteSize: MAX_DOCUMENT_BYTES + 1 }).error?.issues[0]?.message).toMatch(/10 MiB/);
    expect(AttachDocument.safeParse({ ...good, mediaType: 'text/html' }).success).toBe(false);
    expect(AttachDocument.safeParse({ ...good, sha256: 'ABC' }).success).toBe(false);
  });

  it('a document id is a function of kind and content (a retried upload names the same document)', () => {
    fc.assert(fc.property(fc.constantFrom(...DOCUMENT_KINDS), fc.constantFrom(...DOCUMENT_KINDS), fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[0-9a-f]{64}$/), (k1, k2, h1, h2) => {
      expect(documentIdOf(k1, h1)).toBe(documentIdOf(k1, h1));
      expect(documentIdOf(k1, h1)).toMatch(/^DOC-[0-9a-f]{16}$/);
      if (k1 !== k2 || h1 !== h2) expect(documentIdOf(k1, h1)).not.toBe(documentIdOf(k2, h2));
    }), { numRuns: 300 });
  });
});

describe('requiredProofs: a project\'s policy makes an action wait for a proof', () => {
  const policy = Policy.parse({ requiredProofs: { RecordCertificateOfAttendance: ['certificate-of-attendance'] } });
  const strict = DeciderSpecification.for({ decide: (c: MobilityCommand, s: MobilityState) => decide(c, s, policy), evolve, initialState, isRejection });

  it('defaults to none: the certificate is recorded without a document (existing histories decide as before)', () => {
    expect(Policy.parse({}).requiredProofs).toEqual({});
    spec.given(history(path.departed())).when(certificate()).thenMatches([{ type: 'AttendanceCertified' }]);
  });

  it('given a policy requiring the certificate of attendance and none attached, when the certificate is recorded, then proof-required names the kind', () =>
    strict.given(history(path.departed())).when(certificate()).thenRejects('proof-required', /requires the certificate-of-attendance to be attached first/));

  it('given another kind attached only, then still refused; given the certificate attached, then accepted', () => {
    strict.given(history([...path.departed(), attach('2026-02-01', 'transcript-of-records')])).when(certificate()).thenRejects('proof-required');
    strict.given(history([...path.departed(), attach('2026-02-01', 'certificate-of-attendance')])).when(certificate()).thenMatches([{ type: 'AttendanceCertified' }]);
  });

  it('a stage refusal stays a stage refusal (the table speaks first)', () =>
    strict.given(history(path.agreed())).when(certificate()).thenRejects('wrong-stage'));

  it('refuses a policy naming an action no proof can be required for, or an unknown kind', () => {
    expect(Policy.safeParse({ requiredProofs: { SelectParticipant: ['grant-agreement'] } }).success).toBe(false);
    expect(Policy.safeParse({ requiredProofs: { RecordCertificateOfAttendance: ['selfie'] } }).success).toBe(false);
  });

  it('only the listed action waits: other actions are decided as without the policy', () => {
    const s = foldEvents(history(path.agreed()));
    const depart = cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' });
    expect(decide(depart, s, policy)).toEqual(decide(depart, s));
  });
});
