import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DocumentId, DocumentKind, type DocumentMediaType, MAX_DOCUMENT_BYTES, documentIdOf } from '../../domain/documents';
import { MobilityId } from '../../domain/ids';
import { decide } from '../../domain/mobility/decide';
import { isRejection } from '../../domain/mobility/rejection';
import type { AttachedDocument, OpenMobility } from '../../domain/mobility/state';
import type { Action, Principal, TenantDirectory } from '../../domain/tenancy';
import { loadConfig } from '../../infra/config';
import { sniffDocument } from '../../infra/documents/sniff';
import { type DocumentStore, FileDocumentStore, sha256Of } from '../../infra/documents/store';
import type { mobility } from '../../workflows/client';
import { HttpError, ok, route, type RouteSpec } from './route';
import { type ApiDeps, readable, updateFailure } from './routes';

/**
 * Documents and proofs of a mobility (issue 13 item 6): the bytes go to the document store under their
 * SHA-256, the mobility's workflow records DocumentAttached (the `attachDocument` Update: id, kind, hash,
 * size, media type, who) — never a file name. Each upload is checked by its bytes (PDF, PNG or JPEG, read
 * by file-type, whatever the Content-Type says) and its size (at most MAX_DOCUMENT_BYTES, 10 MiB; more is
 * 413 naming the limit). Nothing is stored for a refused upload. Who may attach a kind is the tenancy
 * permission of the action it proves; who may download is any staff role of the mobility's scope but observers.
 */
export const KIND_PERMISSION: Record<DocumentKind, Action> = {
  'grant-agreement': 'mobility.sign-agreement',
  'learning-agreement': 'mobility.sign-agreement',
  'certificate-of-attendance': 'mobility.certify-attendance',
  'report-confirmation': 'mobility.record-report',
  'transcript-of-records': 'mobility.record-recognition',
  europass: 'mobility.record-recognition',
};

const EXTENSION: Record<DocumentMediaType, string> = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg' };
/** Content types an upload may be sent as (the bytes decide what it is). */
export const UPLOAD_CONTENT_TYPES = ['application/octet-stream', 'application/pdf', 'image/png', 'image/jpeg'];
/** Past the limit, an upload is read (and dropped) up to this many bytes so the client gets its 413, then the connection is cut. */
const DRAIN_LIMIT = 4 * MAX_DOCUMENT_BYTES;

/** The raw bytes of an upload. Kept in a private field, so the input guard's walk over the body finds no text in it. */
export class Upload {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }
  get bytes(): Buffer {
    return this.#bytes;
  }
}

export const tooLarge = () =>
  new HttpError(413, 'too-large', `the document exceeds the limit of ${MAX_DOCUMENT_BYTES} bytes (10 MiB); nothing was stored`, { limitBytes: MAX_DOCUMENT_BYTES, issues: [{ field: 'body', message: `at most ${MAX_DOCUMENT_BYTES} bytes (10 MiB)` }] });

/** Reads an upload's body as bytes (at most MAX_DOCUMENT_BYTES) for the upload content types. Register before the routes. */
export function acceptUploads(app: FastifyInstance): void {
  app.addContentTypeParser(UPLOAD_CONTENT_TYPES, (req, payload: Readable, done) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > DRAIN_LIMIT) {
      payload.destroy();
      return done(tooLarge(), undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_DOCUMENT_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT) payload.destroy();
    });
    payload.on('error', (err) => done(size > MAX_DOCUMENT_BYTES ? tooLarge() : err, undefined));
    payload.on('close', () => {
      if (size > DRAIN_LIMIT) done(tooLarge(), undefined);
    });
    payload.on('end', () => done(size > MAX_DOCUMENT_BYTES ? tooLarge() : null, size > MAX_DOCUMENT_BYTES ? undefined : new Upload(Buffer.concat(chunks))));
  });
}

let defaultStore: DocumentStore | null = null;
/** The store of this deployment: files under `<dataDir>/documents` (ME_DATA_DIR). */
export const documentStore = (): DocumentStore => (defaultStore ??= FileDocumentStore.under(loadConfig().dataDir));

export const DocumentView = z.object({
  documentId: z.string(), kind: DocumentKind, sha256: z.string(), byteSize: z.number(), mediaType: z.string(),
  attachedBy: z.string(), attachedAt: z.string(), downloadPath: z.string(),
});
const view = (mobilityId: string, d: AttachedDocument) => ({ ...d, downloadPath: `/api/mobilities/${mobilityId}/documents/${d.documentId}` });

/** The bytes of an upload, or a 400 naming the body. */
export function uploadedBytes(body: unknown): Buffer {
  if (!(body instanceof Upload)) {
    throw new HttpError(400, 'bad-request', `send the document's bytes as the body, with Content-Type ${UPLOAD_CONTENT_TYPES.join(', ')}`, { issues: [{ field: 'body', message: 'the file itself (PDF, PNG or JPEG), not JSON or a form' }] });
  }
  if (body.bytes.length === 0) throw new HttpError(400, 'bad-request', 'the document is empty', { issues: [{ field: 'body', message: 'an empty file' }] });
  return body.bytes;
}

/**
 * Check the bytes, store them and attach them to the mobility through its workflow. Checks come first
 * (type by content, the domain's decision on the current state), so a refused upload stores nothing.
 * The same content attached again as the same kind answers the document already there.
 */
export async function storeAndAttach(m: ReturnType<typeof mobility>, state: OpenMobility, bytes: Buffer, kind: DocumentKind, actor: string, store = documentStore()) {
  if (bytes.length > MAX_DOCUMENT_BYTES) throw tooLarge();
  const sniffed = await sniffDocument(bytes);
  if (sniffed.mediaType === null) {
    throw new HttpError(415, 'unsupported-media-type', `the file is not a PDF, PNG or JPEG by its content (found: ${sniffed.found}); nothing was stored`, { issues: [{ field: 'body', message: `a PDF, PNG or JPEG (found ${sniffed.found})` }] });
  }
  const sha256 = sha256Of(bytes);
  const existing = state.documents.find((d) => d.kind === kind && d.sha256 === sha256);
  if (existing) return { document: existing, created: false, stage: state.stage, events: [] as string[] };
  const payload = { actor, documentId: documentIdOf(kind, sha256), kind, sha256, byteSize: bytes.length, mediaType: sniffed.mediaType };
  // The domain's decision on the state we read: a refusal (a closed mobility) stores nothing.
  const precheck = decide({ type: 'AttachDocument', mobilityId: state.identity.mobilityId, at: new Date().toISOString(), ...payload }, state);
  if (isRejection(precheck)) throw new HttpError(409, 'refused', precheck.reason, { reason: precheck.reason, code: precheck.code, ruleId: precheck.ruleId });
  await store.put(bytes);
  try {
    const r = await m.act('attachDocument', payload, `attachDocument:${payload.documentId}`);
    const after = await m.state();
    const document = after.stage === 'none' ? undefined : after.documents.find((d) => d.documentId === payload.documentId);
    return { document: document ?? { ...payload, attachedBy: actor, attachedAt: new Date().toISOString() }, created: true, stage: r.stage, events: r.events };
  } catch (err) {
    const mapped = updateFailure(err);
    if (mapped) throw mapped;
    throw err;
  }
}

const IdParams = z.strictObject({ id: MobilityId });
const DocParams = z.strictObject({ id: MobilityId, documentId: DocumentId });
const UploadQuery = z.strictObject({ kind: DocumentKind });

/** Any staff role of the mobility's scope but a read-only one (observers read the mobility, not its proofs). */
const mayDownload = (dir: TenantDirectory, p: Principal, ownership: Parameters<TenantDirectory['canRead']>[1]) =>
  p.roles.some((g) => g.role !== 'observer' && dir.canRead({ userRef: p.userRef, roles: [g] }, ownership).allowed);

export function documentRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    route({
      method: 'POST', path: '/api/mobilities/:id/documents', operationId: 'uploadDocument', tag: 'documents',
      summary: `Upload a proof (body: the file's bytes, Content-Type application/octet-stream, application/pdf, image/png or image/jpeg; ?kind=). Checked by content (PDF, PNG, JPEG) and size (at most ${MAX_DOCUMENT_BYTES} bytes); stored by SHA-256 and recorded as DocumentAttached`,
      params: IdParams, query: UploadQuery,
      responses: {
        201: { description: 'stored and attached', schema: z.object({ mobilityId: z.string(), document: DocumentView, stage: z.string(), events: z.array(z.string()) }) },
        200: { description: 'the same content was already attached as this kind (nothing changed)' },
        400: { description: 'no body, an empty file, or an unknown kind (names the field)' }, 401: { description: 'no live session' },
        403: { description: 'your roles may not attach this kind of document here (reason given)' }, 404: { description: 'no such mobility in your scope' },
        409: { description: 'the domain refused (the mobility is closed); nothing stored' },
        413: { description: 'larger than the limit (named); nothing stored' }, 415: { description: 'not a PDF, PNG or JPEG by its bytes; nothing stored' },
      },
      handler: async ({ params, query, session, req }) => {
        const { m, state, ownership } = await readable(deps, session.directory, session.principal, params.id);
        const may = session.directory.canAct(session.principal, KIND_PERMISSION[query.kind], ownership);
        if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
        const r = await storeAndAttach(m, state, uploadedBytes(req.body), query.kind, session.username);
        return ok({ mobilityId: params.id, document: view(params.id, r.document), stage: r.stage, events: r.events }, r.created ? 201 : 200);
      },
    }),
    route({
      method: 'GET', path: '/api/mobilities/:id/documents', operationId: 'listDocuments', tag: 'documents',
      summary: "The mobility's documents: kind, SHA-256, size, media type, who attached it and when, and where to download it",
      params: IdParams,
      responses: { 200: { description: 'the documents, in the order attached', schema: z.object({ mobilityId: z.string(), documents: z.array(DocumentView), maxBytes: z.number() }) }, 401: { description: 'no live session' }, 404: { description: 'no such mobility in your scope' } },
      handler: async ({ params, session }) => {
        const { state } = await readable(deps, session.directory, session.principal, params.id);
        const documents = state.documents.map((d) => view(params.id, d));
        return ok({ mobilityId: params.id, documents, maxBytes: MAX_DOCUMENT_BYTES });
      },
    }),
    route({
      method: 'GET', path: '/api/mobilities/:id/documents/:documentId', operationId: 'downloadDocument', tag: 'documents',
      summary: "Download a document's bytes (checked against the SHA-256 recorded in its event); any staff role of the mobility's scope but observers",
      params: DocParams,
      responses: { 200: { description: 'the bytes, with the media type found at upload' }, 401: { description: 'no live session' }, 403: { description: 'a read-only role' }, 404: { description: 'no such mobility in your scope, or no such document' } },
      handler: async ({ params, session, reply }) => {
        const { state, ownership } = await readable(deps, session.directory, session.principal, params.id);
        if (!mayDownload(session.directory, session.principal, ownership)) throw new HttpError(403, 'forbidden', 'a read-only role may not download proofs', { reason: 'read-only' });
        const doc = state.documents.find((d) => d.documentId === params.documentId);
        if (!doc) throw new HttpError(404, 'not-found', `no document ${params.documentId} on mobility ${params.id}`);
        const bytes = await documentStore().get(doc.sha256);
        if (!bytes) throw new HttpError(404, 'not-found', `the bytes of document ${params.documentId} are not in the store`);
        reply.header('content-type', doc.mediaType)
          .header('content-disposition', `attachment; filename="${doc.documentId}.${EXTENSION[doc.mediaType as DocumentMediaType] ?? 'bin'}"`)
          .header('x-content-type-options', 'nosniff')
          .header('x-document-sha256', doc.sha256)
          .header('cache-control', 'private, no-store');
        return ok(bytes);
      },
    }),
  ];
}
