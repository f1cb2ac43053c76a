import { z } from 'zod';

/**
 * Documents and proofs of a mobility (issue 13 item 6). A document is known to the engine by its
 * content only: an opaque id, its kind, the SHA-256 of its bytes, its size and the media type found
 * by reading its bytes. Never a file name (it often holds the participant's name).
 */
export const DOCUMENT_KINDS = [
  'grant-agreement', 'learning-agreement', 'certificate-of-attendance', 'transcript-of-records', 'report-confirmation', 'europass',
] as const;
export const DocumentKind = z.enum(DOCUMENT_KINDS);
export type DocumentKind = z.infer<typeof DocumentKind>;

/** What a document may be, by its bytes (magic numbers), not by what the uploader declares. */
export const DOCUMENT_MEDIA_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export const DocumentMediaType = z.enum(DOCUMENT_MEDIA_TYPES);
export type DocumentMediaType = z.infer<typeof DocumentMediaType>;

/** The largest document the engine keeps: 10 MiB (a scanned certificate is well under). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lower-case hexadecimal digits');
export const DocumentId = z.string().regex(/^DOC-[0-9a-f]{16}$/, 'document id: DOC- and 16 hexadecimal digits');
export const ByteSize = z.int().min(1).max(MAX_DOCUMENT_BYTES, `byteSize: at most ${MAX_DOCUMENT_BYTES} bytes (10 MiB)`);

/**
 * The staff actions a project's policy may make wait for a proof (by the command each gives).
 * Policy: `requiredProofs: { RecordCertificateOfAttendance: ['certificate-of-attendance'] }`.
 */
export const PROOF_COMMANDS = [
  'SignAgreement', 'ConfirmDeparture', 'ChangeLearningAgreement', 'RecordCertificateOfAttendance', 'RecordParticipantReportSubmitted',
  'RecordTranscriptOfRecords', 'RecordRecognition',
] as const;
export const ProofCommand = z.enum(PROOF_COMMANDS);
export type ProofCommand = z.infer<typeof ProofCommand>;
export const RequiredProofs = z.partialRecord(ProofCommand, z.array(DocumentKind).max(DOCUMENT_KINDS.length));
export type RequiredProofs = z.infer<typeof RequiredProofs>;

/** The document id of a kind and content: the same file attached again as the same kind has the same id. */
export const documentIdOf = (kind: DocumentKind, sha256: string): string => {
  // FNV-1a over "kind:sha256", 64 bits as two 32-bit halves: deterministic, no node: module in the domain.
  const text = `${kind}:${sha256}`;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return `DOC-${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
};
