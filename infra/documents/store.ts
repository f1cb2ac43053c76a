import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the bytes of documents and proofs live, by the SHA-256 of their content (content-addressed:
 * the same bytes are stored once, and a name can never hold personal data). The engine records the
 * hash in the mobility's DocumentAttached event; the store only keeps bytes. An S3-compatible store
 * implements the same three calls (PutObject with the hash as key and If-None-Match, GetObject, HeadObject).
 */
export interface DocumentStore {
  /** Stores the bytes under their SHA-256 (idempotent: the same bytes again change nothing); returns the hash. */
  put(bytes: Buffer): Promise<{ sha256: string; byteSize: number; created: boolean }>;
  /** The bytes stored under a hash, or null. They are checked against the hash on the way out. */
  get(sha256: string): Promise<Buffer | null>;
  exists(sha256: string): Promise<boolean>;
}

const HEX64 = /^[0-9a-f]{64}$/;
export const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The file store: `<dataDir>/documents/<first two hex digits>/<sha256>`, written to a temporary file
 * and renamed (a reader never sees half a file), mode 600.
 */
export class FileDocumentStore implements DocumentStore {
  constructor(readonly root: string) {}

  static under(dataDir: string): FileDocumentStore {
    return new FileDocumentStore(join(dataDir, 'documents'));
  }

  private pathOf(sha256: string): string {
    if (!HEX64.test(sha256)) throw new Error(`not a sha256: ${sha256.slice(0, 80)}`);
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(bytes: Buffer) {
    const sha256 = sha256Of(bytes);
    const file = this.pathOf(sha256);
    if (await this.exists(sha256)) return { sha256, byteSize: bytes.length, created: false };
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
    return { sha256, byteSize: bytes.length, created: true };
  }

  async get(sha256: string) {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (sha256Of(bytes) !== sha256) throw new Error(`document ${sha256} is corrupt in the store (its bytes no longer match their hash)`);
    return bytes;
  }

  async exists(sha256: string) {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}
