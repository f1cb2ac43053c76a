import { z } from 'zod';

/**
 * Revoking an open badge (reference §2, recognition records): the sending institution's staff withdraw a badge
 * they issued, with a reason. A verifier then finds the badge's bit set in its issuer's status list. The reason is
 * a code and, at most, a short staff note about the badge — never about the person (no e-mail address).
 */
export const RevocationReasonCode = z.enum(['issued-in-error', 'recognition-withdrawn', 'fraud', 'holder-request', 'other']);
export type RevocationReasonCode = z.infer<typeof RevocationReasonCode>;

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;

export const RevokeBadge = z
  .strictObject({
    reasonCode: RevocationReasonCode.describe('why the badge is revoked'),
    note: z.string().trim().min(1).max(300)
      .refine((s) => !EMAIL.test(s), 'note: describe the reason, not the person (no e-mail address)')
      .optional().describe('a short note for the audit trail (required with reasonCode other)'),
  })
  .superRefine((r, ctx) => {
    if (r.reasonCode === 'other' && r.note === undefined) ctx.addIssue({ code: 'custom', path: ['note'], message: 'note: say why, when the reason is other' });
  });
export type RevokeBadge = z.infer<typeof RevokeBadge>;

/** What a revocation request does, given the badge's present state: revoke it now, or nothing (already revoked). */
export type RevocationDecision =
  | { readonly kind: 'revoke' }
  | { readonly kind: 'already-revoked'; readonly revokedAt: string }
  | { readonly kind: 'no-badge'; readonly reason: string };

export const decideRevocation = (badge: { readonly issued: boolean; readonly revokedAt: string | null }): RevocationDecision =>
  !badge.issued ? { kind: 'no-badge', reason: 'no open badge was issued for this mobility: nothing to revoke' }
  : badge.revokedAt !== null ? { kind: 'already-revoked', revokedAt: badge.revokedAt }
  : { kind: 'revoke' };
