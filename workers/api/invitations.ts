import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type pg from 'pg';
import { z } from 'zod';
import { loadConfig } from '../../infra/config';
import { passwordProblem, StaffPassword } from './directory';
import { hashPassword } from './passwords';
import { HttpError, ok, route, type RouteSpec } from './route';
import { tokenHash } from './sessions';

/**
 * Staff invitations (migration 350). Creating a staff account issues an invitation: 32 random bytes
 * (base64url) go out once, in the e-mail's set-password link; Postgres keeps only their SHA-256. The
 * link sets the password once, within 72 hours, unless a newer invitation of the same account
 * superseded it. An expired, used, superseded or tampered token is refused and changes nothing.
 *
 * The e-mail goes over the same SMTP server as the reminders (cfg.smtp; the development mailbox in
 * dev and test) with a deterministic Message-ID per invitation; the invitation row records when it
 * was sent. The token is never stored, so a send that failed is not retried with it: the manager
 * sends a new invitation (POST /api/organisation/staff/:username/invitation), which supersedes it.
 */
export const INVITATION_TTL_MS = 72 * 3600_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const InvitationToken = z.string().regex(TOKEN, 'the token of the invitation link (43 characters)');

export interface Mailer {
  send(msg: { to: string; subject: string; text: string; messageId: string; headers?: Record<string, string> }): Promise<void>;
}

let transport: Transporter | null = null;
/** The SMTP path of the reminders (cfg.smtp), one pooled transport per process. */
export const smtpMailer = (): Mailer => ({
  async send(msg) {
    const cfg = loadConfig();
    transport ??= nodemailer.createTransport({ host: cfg.smtp.host, port: cfg.smtp.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'Mobility engine <no-reply@mobility-engine.local>', ...msg });
  },
});

/** Where the console is reached (the link's origin): configured, never taken from a request's Host header. */
export const consoleUrl = (): string => loadConfig().console.url;

export interface Issued { token: string; expiresAt: string; messageId: string }

/** Issues a new invitation for the account (inside the caller's transaction); older unused ones are superseded. */
export async function issueInvitation(tx: pg.PoolClient, username: string, createdBy: string, ttlMs = INVITATION_TTL_MS): Promise<Issued> {
  const token = randomBytes(32).toString('base64url');
  const hash = tokenHash(token);
  const messageId = `<invitation.${hash.slice(0, 24)}@mobility-engine.local>`;
  await tx.query('UPDATE staff_invitations SET superseded_at = now() WHERE username = $1 AND used_at IS NULL AND superseded_at IS NULL', [username]);
  const { rows } = await tx.query<{ expires_at: Date }>(
    `INSERT INTO staff_invitations (token_hash, username, created_by, expires_at, message_id)
     VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', $5) RETURNING expires_at`,
    [hash, username, createdBy, ttlMs, messageId],
  );
  return { token, expiresAt: rows[0]!.expires_at.toISOString(), messageId };
}

/** Sends the invitation e-mail (after the transaction committed) and records it; false if the SMTP server refused. */
export async function sendInvitation(
  pool: pg.Pool, mailer: Mailer,
  inv: Issued & { username: string; displayName: string; email: string; invitedBy: string },
): Promise<boolean> {
  const link = `${consoleUrl()}/set-password#token=${inv.token}`;
  const expires = inv.expiresAt.replace('T', ' ').slice(0, 16) + ' UTC';
  try {
    await mailer.send({
      to: inv.email,
      subject: 'Your account on the mobility engine — choose your password / Votre compte : choisissez votre mot de passe',
      text:
        `Hello ${inv.displayName},\n\n${inv.invitedBy} created your staff account "${inv.username}" on the mobility engine.\n` +
        `Choose your password here (the link works once, until ${expires}):\n\n${link}\n\n` +
        `Then sign in with the username ${inv.username}.\n\n— \n` +
        `Bonjour ${inv.displayName},\n\n${inv.invitedBy} a créé votre compte « ${inv.username} ». Choisissez votre mot de passe ` +
        `(lien valable une fois, jusqu'au ${expires}) :\n\n${link}\n`,
      messageId: inv.messageId,
      headers: { 'X-Invitation-For': inv.username },
    });
  } catch {
    return false;
  }
  await pool.query('UPDATE staff_invitations SET sent_at = now() WHERE message_id = $1 AND sent_at IS NULL', [inv.messageId]);
  return true;
}

const AcceptBody = z.strictObject({ token: InvitationToken, password: StaffPassword });

const refused = (message: string) => new HttpError(400, 'bad-request', `token: ${message}`, { issues: [{ field: 'token', message }] });

/** Sets the password of an invited account with its token: once, before expiry; anything else changes nothing. */
export async function acceptInvitation(pool: pg.Pool, token: string, password: string): Promise<{ username: string }> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const { rows } = await tx.query<{ username: string; expired: boolean; used_at: Date | null; superseded_at: Date | null; disabled: boolean }>(
      `SELECT i.username, i.expires_at <= now() AS expired, i.used_at, i.superseded_at, u.disabled
         FROM staff_invitations i JOIN staff_users u USING (username) WHERE i.token_hash = $1 FOR UPDATE OF i, u`,
      [tokenHash(token)],
    );
    const inv = rows[0];
    if (!inv) throw refused('this link is not valid: use the link of your invitation e-mail as it is');
    if (inv.used_at) throw refused('this link was already used: sign in, or ask for a new invitation');
    if (inv.superseded_at) throw refused('a newer invitation replaced this link: use the latest e-mail');
    if (inv.expired) throw refused('this link has expired: ask for a new invitation');
    if (inv.disabled) throw refused('this account is disabled');
    const problem = passwordProblem(password, inv.username);
    if (problem) throw new HttpError(400, 'bad-request', `password: ${problem}`, { issues: [{ field: 'password', message: problem }] });
    await tx.query('UPDATE staff_users SET password_hash = $2 WHERE username = $1', [inv.username, await hashPassword(password)]);
    await tx.query('UPDATE staff_invitations SET used_at = now() WHERE token_hash = $1', [tokenHash(token)]);
    await tx.query('UPDATE staff_invitations SET superseded_at = now() WHERE username = $1 AND used_at IS NULL AND superseded_at IS NULL', [inv.username]);
    // Sessions opened before (none for a new account; any for a reset) end with the new password.
    await tx.query('UPDATE staff_sessions SET revoked_at = now() WHERE username = $1 AND revoked_at IS NULL', [inv.username]);
    // The coordinator's reminders and escalations of an institution that has no address on file go to its
    // first institution coordinator who joins (coordinator_contacts, read by the mail activity).
    await tx.query(
      `INSERT INTO coordinator_contacts (institution_id, email)
       SELECT g.scope_id, u.email FROM staff_role_grants g JOIN staff_users u USING (username)
        WHERE g.username = $1 AND g.role = 'institution-coordinator' AND g.scope_kind = 'institution' AND u.email IS NOT NULL
       ON CONFLICT (institution_id) DO NOTHING`, [inv.username]);
    const grant = await tx.query<{ scope_kind: string; scope_id: string }>('SELECT scope_kind, scope_id FROM staff_role_grants WHERE username = $1 ORDER BY 1, 2 LIMIT 1', [inv.username]);
    const unit = grant.rows[0];
    if (unit) {
      await tx.query(
        `INSERT INTO organisation_audit (actor, action, unit_kind, unit_id, subject, before, after) VALUES ($1, 'invitation-accepted', $2, $3, $1, NULL, $4)`,
        [inv.username, unit.scope_kind, unit.scope_id, JSON.stringify({ username: inv.username, password: 'set' })],
      );
    }
    await tx.query('COMMIT');
    return { username: inv.username };
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

export function invitationRoutes(deps: { pool: pg.Pool }): RouteSpec[] {
  return [
    route({
      method: 'POST', path: '/api/invitations/accept', operationId: 'acceptInvitation', tag: 'session', public: true,
      summary: 'Set the password of an invited staff account with the token of its invitation link (once, within 72 h); then sign in',
      body: AcceptBody,
      responses: {
        200: { description: 'password set', schema: z.object({ username: z.string() }) },
        400: { description: 'bad password (policy named), or a token that is not valid, used, superseded or expired: nothing changed' },
      },
      handler: async ({ body }) => ok(await acceptInvitation(deps.pool, body.token, body.password)),
    }),
  ];
}
