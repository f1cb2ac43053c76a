import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * Opaque bearer sessions. The token (32 random bytes, base64url) is shown once to the client;
 * Postgres keeps only its SHA-256, so a leaked table opens no session.
 */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export async function createSession(pool: pg.Pool, username: string, ttlMs: number): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const { rows } = await pool.query<{ expires_at: Date }>(
    `INSERT INTO staff_sessions (token_hash, username, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond') RETURNING expires_at`,
    [tokenHash(token), username, ttlMs],
  );
  return { token, expiresAt: rows[0]!.expires_at.toISOString() };
}

/** The live session of a token: not expired, not revoked, its account not disabled. */
export async function resolveSession(pool: pg.Pool, token: string): Promise<{ username: string; displayName: string; expiresAt: string } | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const { rows } = await pool.query<{ username: string; display_name: string; expires_at: Date }>(
    `SELECT s.username, u.display_name, s.expires_at FROM staff_sessions s JOIN staff_users u USING (username)
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`,
    [tokenHash(token)],
  );
  const r = rows[0];
  return r ? { username: r.username, displayName: r.display_name, expiresAt: r.expires_at.toISOString() } : null;
}

export async function revokeSession(pool: pg.Pool, token: string): Promise<void> {
  await pool.query('UPDATE staff_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash(token)]);
}
