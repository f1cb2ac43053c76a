import { createHmac, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bytesToMultibase } from 'did-jwt';
import { loadConfig } from '../config';

/**
 * The engine's credential-issuer keys (Ed25519): they sign the open badges (Open Badges 3.0 /
 * W3C Verifiable Credentials, open-badge.ts). Each key is a `did:key` (the public key is the
 * identifier, so anyone verifies a badge offline, with no registry of ours).
 *
 * One file outside any workflow history, event or table: `<dataDir>/keys/badge-issuer.key`
 * (or ME_BADGE_ISSUER_KEY_FILE), mode 600, created once on first use, one key a line:
 * `<keyId> <base64 32-byte Ed25519 seed>`. The first line signs; every line's DID is an issuer
 * this engine recognises (rotation: put a new first line, keep the old ones for the badges they signed).
 */
export interface IssuerKey {
  readonly keyId: string;
  /** did:key:z6Mk… of the public key */
  readonly did: string;
  /** The 32-byte Ed25519 seed (private). */
  readonly seed: Buffer;
}

export interface IssuerKeys {
  readonly current: IssuerKey;
  readonly all: readonly IssuerKey[];
}

/** The key file of this deployment: ME_BADGE_ISSUER_KEY_FILE, else `<dataDir>/keys/badge-issuer.key`. */
export const issuerKeyFile = (env: NodeJS.ProcessEnv = process.env): string =>
  resolve(env.ME_BADGE_ISSUER_KEY_FILE ?? join(loadConfig(env).dataDir, 'keys', 'badge-issuer.key'));

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The did:key of an Ed25519 seed (multicodec ed25519-pub, base58btc). */
export function didOfSeed(seed: Buffer): string {
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(priv).export({ format: 'jwk' }).x!;
  return `did:key:${bytesToMultibase(Buffer.from(x, 'base64url'), 'base58btc', 'ed25519-pub')}`;
}

export function parseIssuerKeys(text: string, source = 'the issuer key file'): IssuerKeys {
  const all = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l): IssuerKey => {
    const [keyId, b64, extra] = l.split(/\s+/);
    if (!keyId || !b64 || extra !== undefined || !/^[A-Za-z0-9._-]{1,64}$/.test(keyId)) throw new Error(`${source}: each line must be "<keyId> <base64 Ed25519 seed>"`);
    const seed = Buffer.from(b64, 'base64');
    if (seed.length !== 32) throw new Error(`${source}: key ${keyId} is not a 32-byte Ed25519 seed`);
    return { keyId, seed, did: didOfSeed(seed) };
  });
  if (all.length === 0) throw new Error(`${source} holds no key`);
  return { current: all[0]!, all };
}

/** Creates the key file (one fresh Ed25519 key, mode 600) when it does not exist; returns its path. Two processes at once never make two keys. */
export function ensureIssuerKeys(file: string): string {
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const keyId = `b${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return file;
    throw err;
  }
  try {
    writeSync(fd, `${keyId} ${randomBytes(32).toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o600);
  return file;
}

/** The issuer keys, creating the file on first use. */
export function loadIssuerKeys(file: string = issuerKeyFile()): IssuerKeys {
  ensureIssuerKeys(file);
  return parseIssuerKeys(readFileSync(file, 'utf8'), file);
}

/**
 * A secret salt for one subject of one credential (HMAC of the current key's seed): the badge's hashed
 * identity cannot be reversed by guessing e-mail addresses, and the same mobility always gets the same salt.
 */
export const subjectSalt = (key: IssuerKey, credentialId: string): string =>
  createHmac('sha256', key.seed).update(`salt:${credentialId}`).digest('hex').slice(0, 32);
