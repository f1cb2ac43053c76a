import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config';

/**
 * Event signing: the engine signs every envelope it publishes on the event topics with
 * HMAC-SHA256, so a projector folds only what the engine wrote, whoever holds Kafka write
 * credentials. The MAC covers the message key and the exact value bytes:
 *
 *   HMAC-SHA256(secret, "<UTF-8 byte length of the key>:" ‖ key ‖ value)
 *
 * hex in the header `signature`; the id of the key in `signature-key-id`. The secret lives in
 * one file outside any workflow history and outside the topics (`<dataDir>/keys/event-signing.key`,
 * mode 600, or ME_EVENT_SIGNING_KEY_FILE), one key a line: `<keyId> <base64 secret>`. The first line
 * signs; every line verifies, so a key is rotated by putting a new first line and dropping the old
 * one once nothing signed with it is left to read (a rebuild reads the topics from the beginning).
 */
export const SIGNATURE_HEADERS = { signature: 'signature', keyId: 'signature-key-id' } as const;
export const SIGNATURE_ALGORITHM = 'HMAC-SHA256';

export interface SigningKeys {
  /** The key that signs (the file's first line). */
  readonly current: { id: string; secret: Buffer };
  /** Every key that verifies, by id. */
  readonly byId: ReadonlyMap<string, Buffer>;
}

export const signingKeyFile = (cfg: Pick<Config, 'signing'>): string => cfg.signing.keyFile;

export function parseSigningKeys(text: string, source = 'the signing key file'): SigningKeys {
  const entries = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const [id, b64, extra] = l.split(/\s+/);
    if (!id || !b64 || extra !== undefined || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`${source}: each line must be "<keyId> <base64 secret>"`);
    const secret = Buffer.from(b64, 'base64');
    if (secret.length < 32) throw new Error(`${source}: key ${id} is shorter than 32 bytes`);
    return [id, secret] as const;
  });
  if (entries.length === 0) throw new Error(`${source} holds no key`);
  return { current: { id: entries[0]![0], secret: entries[0]![1] }, byId: new Map(entries) };
}

/** The keys of this deployment; throws when the file is missing (the stack or the migration creates it). */
export function loadSigningKeys(cfg: Pick<Config, 'signing'>): SigningKeys {
  const file = signingKeyFile(cfg);
  if (!existsSync(file)) throw new Error(`event signing key ${file} is missing: run npm run stack:up (or the migration) to create it, or set ME_EVENT_SIGNING_KEY_FILE`);
  return parseSigningKeys(readFileSync(file, 'utf8'), file);
}

/** Creates the key file (one fresh 256-bit key, mode 600) when it does not exist; returns its path. */
export function ensureSigningKeys(cfg: Pick<Config, 'signing'>): string {
  const file = signingKeyFile(cfg);
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  let fd: number;
  try {
    // 'wx': two processes creating it at once never end up with different keys.
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return file;
    throw err;
  }
  try {
    writeSync(fd, `${id} ${randomBytes(32).toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o600);
  return file;
}

const mac = (secret: Buffer, key: string | null, value: Buffer | string): Buffer => {
  const k = Buffer.from(key ?? '', 'utf8');
  return createHmac('sha256', secret).update(`${k.length}:`).update(k).update(typeof value === 'string' ? Buffer.from(value, 'utf8') : value).digest();
};

/** The headers that sign a message (added to its other headers). */
export function signatureHeaders(keys: SigningKeys, key: string | null, value: Buffer | string): Record<string, string> {
  return { [SIGNATURE_HEADERS.signature]: mac(keys.current.secret, key, value).toString('hex'), [SIGNATURE_HEADERS.keyId]: keys.current.id };
}

/** Null when the message carries a valid signature of a known key; otherwise why not. */
export function signatureProblem(keys: SigningKeys, m: { key: string | null; value: Buffer | null; headers: Record<string, string> }): string | null {
  const sig = m.headers[SIGNATURE_HEADERS.signature];
  const keyId = m.headers[SIGNATURE_HEADERS.keyId];
  if (sig === undefined) return 'unsigned: no signature header';
  if (keyId === undefined) return 'no signature-key-id header';
  const secret = keys.byId.get(keyId);
  if (!secret) return `signed with unknown key ${keyId.slice(0, 64)}`;
  if (!/^[0-9a-f]{64}$/.test(sig)) return 'malformed signature';
  const expected = mac(secret, m.key, m.value ?? Buffer.alloc(0));
  return timingSafeEqual(expected, Buffer.from(sig, 'hex')) ? null : `signature does not match key ${keyId}: the message was not written by the engine, or was altered`;
}
