import { createHash } from 'node:crypto';
import { decodeJWT, EdDSASigner } from 'did-jwt';
import { createVerifiableCredentialJwt, verifyCredential } from 'did-jwt-vc';
import { Resolver } from 'did-resolver';
import { getResolver } from 'key-did-resolver';
import type { IssuerKey, IssuerKeys } from './issuer-key';

/**
 * Open Badges 3.0 credentials as W3C Verifiable Credentials secured with a JWT (VC-JWT, the OB 3.0
 * "VC-JWT" proof format), signed EdDSA (Ed25519) by a did:key issuer with did-jwt-vc, and verified
 * with the same library and an offline did:key resolver (key-did-resolver): no network, no registry.
 *
 * The library implements the VC Data Model 1.1 (first @context https://www.w3.org/2018/credentials/v1,
 * issuanceDate); the OB 3.0 context follows it. The JWT is deterministic for a given credential
 * (Ed25519 is deterministic; iat = nbf = the issuance instant), so issuing again gives the same badge.
 */
export interface W3cCredential {
  '@context': string[];
  id: string;
  type: string[];
  issuer: { id: string; [k: string]: unknown };
  issuanceDate: string;
  [k: string]: unknown;
}

/** The badge as handed out: the credential in JSON with its proof (the JWT that secures it). */
export type SignedCredential = W3cCredential & { proof: { type: 'JwtProof2020'; jwt: string } };

const resolver = new Resolver(getResolver());

/** Sign a credential (issuer.id must be the key's DID). */
export async function signCredential(key: IssuerKey, credential: W3cCredential): Promise<SignedCredential> {
  if (credential.issuer.id !== key.did) throw new Error(`credential issuer ${credential.issuer.id} is not the signing key's ${key.did}`);
  const { id, issuanceDate, ...vc } = credential;
  const at = Math.floor(Date.parse(issuanceDate) / 1000);
  // VC-JWT carries credentialSubject.id as `sub` (the library drops it from vc otherwise).
  const subjectId = (vc.credentialSubject as { id?: unknown } | undefined)?.id;
  const jwt = await createVerifiableCredentialJwt({ jti: id, nbf: at, iat: at, ...(typeof subjectId === 'string' ? { sub: subjectId } : {}), vc } as never, { did: key.did, signer: EdDSASigner(key.seed), alg: 'EdDSA' });
  return { ...credential, proof: { type: 'JwtProof2020', jwt } };
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export type Verification =
  | { valid: true; issuer: string; credentialId: string; credential: W3cCredential; jwtSha256: string }
  | { valid: false; reason: VerificationFailure; message: string };
export type VerificationFailure = 'malformed' | 'bad-signature' | 'unknown-issuer' | 'not-open-badge' | 'content-mismatch';

/** Keys sorted, so two JSON values compare by content. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
    : v !== null && typeof v === 'object' ? `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
      : JSON.stringify(v);

/** The credential the JWT secures, in the JSON form signCredential hands out (without the proof). */
function credentialOf(jwt: string): W3cCredential {
  const { payload } = decodeJWT(jwt);
  const p = payload as { jti?: string; nbf?: number; iss?: string; sub?: string; vc?: Record<string, unknown> };
  if (!p.vc || typeof p.jti !== 'string' || typeof p.nbf !== 'number') throw new Error('the JWT carries no verifiable credential (vc, jti, nbf)');
  // VC-JWT moves credentialSubject.id to `sub` (VC Data Model 1.1 §6.3.1): put it back.
  const subject = p.vc.credentialSubject as Record<string, unknown> | undefined;
  const vc = typeof p.sub === 'string' && subject && typeof subject === 'object' && !Array.isArray(subject) && subject.id === undefined
    ? { ...p.vc, credentialSubject: { id: p.sub, ...subject } } : p.vc;
  return { ...(vc as Omit<W3cCredential, 'id' | 'issuanceDate'>), id: p.jti, issuanceDate: new Date(p.nbf * 1000).toISOString() } as W3cCredential;
}

type Checked = { valid: true; issuer: string; credentialId: string; credential: W3cCredential; jwtSha256: string };
type Failed<R extends string> = { valid: false; reason: R; message: string };

/**
 * Verify a VC-JWT credential of this engine: the JWT alone, or the JSON form whose proof.jwt must secure exactly
 * that content. Valid = the signature checks against the issuer's did:key, the issuer is one of `trusted`, `kind`
 * finds nothing wrong with it (its type), and the JSON shown (if any) is what the JWT secures.
 */
export async function verifySignedCredential<K extends string>(
  input: string | { proof?: { jwt?: unknown } },
  trusted: IssuerKeys,
  kind: { reason: K; problem: (c: W3cCredential) => string | null },
): Promise<Checked | Failed<'malformed' | 'bad-signature' | 'unknown-issuer' | 'content-mismatch' | K>> {
  const jwt = typeof input === 'string' ? input.trim() : input?.proof?.jwt;
  if (typeof jwt !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jwt)) {
    return { valid: false, reason: 'malformed', message: 'not a VC-JWT: expected a JWT, or a credential whose proof.jwt is one' };
  }
  let credential: W3cCredential;
  try {
    credential = credentialOf(jwt);
  } catch (err) {
    return { valid: false, reason: 'malformed', message: `the JWT cannot be read: ${(err as Error).message}` };
  }
  try {
    await verifyCredential(jwt, resolver);
  } catch (err) {
    return { valid: false, reason: 'bad-signature', message: `the signature does not verify: ${(err as Error).message}` };
  }
  const issuer = credential.issuer?.id;
  if (!trusted.all.some((k) => k.did === issuer)) {
    return { valid: false, reason: 'unknown-issuer', message: `signed by ${issuer}, which is not an issuer of this engine` };
  }
  const problem = kind.problem(credential);
  if (problem !== null) return { valid: false, reason: kind.reason, message: problem };
  if (typeof input !== 'string') {
    const { proof: _proof, ...shown } = input as Record<string, unknown>;
    if (canonical(shown) !== canonical(credential)) {
      return { valid: false, reason: 'content-mismatch', message: 'the credential\'s JSON differs from what its proof (the JWT) secures' };
    }
  }
  return { valid: true, issuer, credentialId: credential.id, credential, jwtSha256: sha256Hex(jwt) };
}

/**
 * Verify a badge: the JWT alone, or the JSON form whose proof.jwt must secure exactly that content.
 * Valid = the signature checks against the issuer's did:key, the issuer is one of `trusted`, and the
 * credential is an OpenBadgeCredential with an achievement.
 */
export async function verifyOpenBadge(input: string | { proof?: { jwt?: unknown } }, trusted: IssuerKeys): Promise<Verification> {
  return verifySignedCredential(input, trusted, {
    reason: 'not-open-badge',
    problem: (credential) => {
      const subject = credential.credentialSubject as { achievement?: { type?: unknown } } | undefined;
      return !credential.type?.includes('OpenBadgeCredential') || !Array.isArray(subject?.achievement?.type) || !subject.achievement.type.includes('Achievement')
        ? 'the credential is not an OpenBadgeCredential with an Achievement' : null;
    },
  });
}
