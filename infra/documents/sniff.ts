import { fileTypeFromBuffer } from 'file-type';
import { DOCUMENT_MEDIA_TYPES, type DocumentMediaType } from '../../domain/documents';

/**
 * The media type of a document by its bytes (magic numbers, read by the file-type library), never by
 * the name or the Content-Type the uploader sent: a document is a PDF, a PNG or a JPEG, or it is refused.
 */
export async function sniffDocument(bytes: Buffer): Promise<{ mediaType: DocumentMediaType } | { mediaType: null; found: string }> {
  const found = await fileTypeFromBuffer(bytes);
  const mime = found?.mime ?? 'unknown';
  return (DOCUMENT_MEDIA_TYPES as readonly string[]).includes(mime) ? { mediaType: mime as DocumentMediaType } : { mediaType: null, found: mime };
}
