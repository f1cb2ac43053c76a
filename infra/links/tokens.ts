import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { MobilityId } from '../../domain/ids';
import { ensureSigningKeys, loadSigningKeys, type SigningKeys } from '../kafka/signing';

/**
 * Signed, expiring links for people without an account (the participant, the host): a JWT (RFC 7519,
 * HS256, the jose library) whose claims are the mobility (`sub`), the audience (`aud`: participant or
 * host), the purpose (`pur`: what the link may do), the expiry (`exp`) and the link's id (`jti`).
 * Nothing personal: no name, no e-mail. The key is the engine's own, in `<dataDir>/keys/link-signing.key`
 * (mode 600, the event-signing key file's format: `<keyId> <base64 secret>` a line, the first signs,
 * every line verifies, by `kid`), so a link can be neither forged nor altered without it.
 */
export const LINK_AUDIENCES = ['participant', 'host'] as const;
export const LinkAudience = z.enum(LINK_AUDIENCES);
export type LinkAudience = z.infer<typeof LinkAudience>;
export const LINK_PURPOSES = ['certificate-of-attendance', 'report-confirmation'] as const;
export const LinkPurpose = z.enum(LINK_PURPOSES);
export type LinkPurpose = z.infer<typeof LinkPurpose>;
/** Who may use a link of each purpose. */
export const PURPOSE_AUDIENCES: Record<LinkPurpose, readonly LinkAudience[]> = {
  'certificate-of-attendance': ['host', 'participant'],
  'report-confirmation': ['participant'],
};

export const LinkClaims = z.strictObject({
  linkId: z.string().regex(/^L-[0-9a-f]{16}$/),
  mobilityId: MobilityId,
  audience: LinkAudience,
  purpose: LinkPurpose,
  /** Seconds since the epoch. */
  expiresAt: z.int().positive(),
});
export type LinkClaims = z.infer<typeof LinkClaims>;

export const linkKeyFile = (dataDir: string): string => join(dataDir, 'keys', 'link-signing.key');
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');
/** A link id derived from a stable name (e.g. the reminder's Message-ID), so a retried send makes the same link. */
export const linkIdFor = (name: string): string => `L-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;

export type LinkRefusal = { ok: false; code: 'link-expired' | 'link-invalid'; message: string; linkId: string | null; mobilityId: string | null };

export class LinkSigner {
  private constructor(private readonly keys: SigningKeys) {}

  /** The signer of this data directory (the key file is created on first use). */
  static forDataDir(dataDir: string): LinkSigner {
    const keyFile = linkKeyFile(dataDir);
    ensureSigningKeys({ signing: { keyFile } });
    return new LinkSigner(loadSigningKeys({ signing: { keyFile } }));
  }

  /** Deterministic: the same claims give the same token (HMAC, no issue time), so a retry sends the same link. */
  async sign(c: LinkClaims): Promise<string> {
    const claims = LinkClaims.parse(c);
    if (!PURPOSE_AUDIENCES[claims.purpose].includes(claims.audience)) throw new Error(`a ${claims.purpose} link is not for the ${claims.audience}`);
    return new SignJWT({ pur: claims.purpose })
      .setProtectedHeader({ alg: 'HS256', kid: this.keys.current.id, typ: 'JWT' })
      .setSubject(claims.mobilityId)
      .setAudience(claims.audience)
      .setJti(claims.linkId)
      .setExpirationTime(claims.expiresAt)
      .sign(this.keys.current.secret);
  }

  /** The claims of a valid, unexpired link of this engine; otherwise why not (nothing is trusted from a refused token). */
  async verify(token: string, nowMs = Date.now()): Promise<{ ok: true; claims: LinkClaims } | LinkRefusal> {
    const invalid = (message: string): LinkRefusal => ({ ok: false, code: 'link-invalid', message, linkId: null, mobilityId: null });
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) || token.length > 2000) return invalid('this is not a link of the engine');
    try {
      const { payload } = await jwtVerify(token, async (header) => {
        const secret = header.kid ? this.keys.byId.get(header.kid) : undefined;
        if (!secret) throw new errors.JWSSignatureVerificationFailed();
        return secret;
      }, { algorithms: ['HS256'], currentDate: new Date(nowMs), clockTolerance: 0 });
      const claims = LinkClaims.safeParse({ linkId: payload.jti, mobilityId: payload.sub, audience: payload.aud, purpose: payload.pur, expiresAt: payload.exp });
      if (!claims.success) return invalid('the link does not say what it is for');
      return { ok: true, claims: claims.data };
    } catch (err) {
      if (err instanceof errors.JWTExpired) {
        const p = err.payload;
        return { ok: false, code: 'link-expired', message: `this link expired on ${new Date((p.exp ?? 0) * 1000).toISOString().slice(0, 10)}: ask the sending institution for a new one`, linkId: typeof p.jti === 'string' ? p.jti : null, mobilityId: typeof p.sub === 'string' ? p.sub : null };
      }
      return invalid('this link is not valid (it was altered, or is not a link of the engine)');
    }
  }
}
