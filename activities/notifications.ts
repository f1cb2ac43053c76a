import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type pg from 'pg';
import { z } from 'zod';
import { IsoDate, MobilityId, OrgId, ParticipantRef, ProjectId } from '../domain/ids';
import { addDays } from '../domain/dates';
import { loadConfig } from '../infra/config';
import { type LinkPurpose, LinkSigner, linkIdFor } from '../infra/links/tokens';

/**
 * Reminders to the participant carry a signed link (infra/links/tokens.ts) through which the fact the
 * workflow waits for is supplied without an account: the certificate of attendance while the participant
 * is abroad, the report confirmation once invited. The link is derived from the message (its id, its
 * due date), so a retried send carries the same link; it expires LINK_TTL_DAYS after the due date.
 */
export const LINK_FOR_DEADLINE: Readonly<Record<string, LinkPurpose>> = {
  'la-change-request': 'certificate-of-attendance',
  'extension-request': 'certificate-of-attendance',
  'certificate-of-attendance': 'certificate-of-attendance',
  'participant-report': 'report-confirmation',
};
export const REMINDER_LINK_TTL_DAYS = 180;
const LINK_TEXT: Record<LinkPurpose, string> = {
  'certificate-of-attendance': 'When your mobility ends, upload the certificate of attendance signed by your host, with your actual dates, here (no account needed)',
  'report-confirmation': 'Once you have submitted your participant report, confirm it here (no account needed)',
};

/** The signed link a reminder carries, or null (coordinators sign in; other deadlines wait for nothing a link can give). */
export async function reminderLink(r: Pick<ReminderRequest, 'mobilityId' | 'deadlineId' | 'attempt' | 'dueDate' | 'recipientRole' | 'kind'>, links: { signer: LinkSigner; baseUrl: string }) {
  const purpose = r.recipientRole === 'participant' && r.kind === 'reminder' ? LINK_FOR_DEADLINE[r.deadlineId] : undefined;
  if (!purpose) return null;
  const expiresOn = addDays(r.dueDate, REMINDER_LINK_TTL_DAYS);
  const token = await links.signer.sign({
    linkId: linkIdFor(messageIdFor(r)), mobilityId: r.mobilityId, audience: 'participant', purpose,
    expiresAt: Math.floor(Date.parse(`${expiresOn}T23:59:59Z`) / 1000),
  });
  return { purpose, url: `${links.baseUrl}/link/${token}`, expiresOn, text: `${LINK_TEXT[purpose]}; the link is for this mobility only and expires on ${expiresOn}:` };
}

/**
 * Reminders and escalations, delivered exactly once per (mobility, deadline, attempt) through a
 * Postgres outbox and sent over SMTP.
 *
 * Steps: insert the outbox row (ON CONFLICT DO NOTHING) → claim it (pending, or a 'sending' row
 * whose lease ran out) → resolve the address from participant_contacts / coordinator_contacts
 * (personal data never enters Temporal history or Kafka) → send with a deterministic Message-ID →
 * mark it 'sent'. A retry after any failure finds the row: once 'sent' it returns without
 * sending. The only window left is a crash between the SMTP server's accept and the 'sent'
 * mark (milliseconds); a resend there carries the same Message-ID, which mail clients collapse.
 */
export const ReminderRequest = z.strictObject({
  mobilityId: MobilityId,
  projectId: ProjectId,
  institutionId: OrgId,
  participantRef: ParticipantRef,
  deadlineId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  deadlineLabel: z.string().min(1),
  dueDate: IsoDate,
  /** 1 for the first message about this deadline, 2 for the next (≥ 24 h later), … */
  attempt: z.int().min(1),
  kind: z.enum(['reminder', 'escalation']),
  recipientRole: z.enum(['participant', 'coordinator']),
});
export type ReminderRequest = z.infer<typeof ReminderRequest>;

export interface ReminderResult {
  status: 'sent' | 'already-sent' | 'undeliverable';
  messageId: string;
}

export const messageIdFor = (r: Pick<ReminderRequest, 'mobilityId' | 'deadlineId' | 'attempt'>): string => `<${r.mobilityId}.${r.deadlineId}.${r.attempt}@mobility-engine.local>`;

/** Test hooks to simulate a crash at a given point of the first attempt(s). */
export interface NotificationFaults {
  afterClaim?(req: ReminderRequest, attempt: number): void;
  afterSent?(req: ReminderRequest, attempt: number): void;
  /** After the SMTP server accepted the message, before the outbox row is marked sent (e.g. Postgres going down). */
  beforeMarkSent?(req: ReminderRequest, attempt: number): void;
}

export function createNotificationActivities(deps: { pool: pg.Pool; transport: Transporter; from: string; leaseMs?: number; faults?: NotificationFaults; links?: { signer: LinkSigner; baseUrl: string } }) {
  const leaseMs = deps.leaseMs ?? 30_000;
  /**
   * Messages the SMTP server accepted from this process whose outbox row is not marked 'sent' yet (the mark
   * failed, e.g. Postgres restarting). The retry, in this process, marks the row without sending again; only a
   * process that dies between the two can leave a message to be sent twice (same Message-ID).
   */
  const acceptedUnmarked = new Set<string>();
  const markSent = (messageId: string) => deps.pool.query(`UPDATE notification_outbox SET status = 'sent', sent_at = now() WHERE message_id = $1`, [messageId]);
  let links = deps.links ?? null;
  const linksOf = () => {
    if (!links) {
      const cfg = loadConfig();
      links = { signer: LinkSigner.forDataDir(cfg.dataDir), baseUrl: cfg.console.url };
    }
    return links;
  };
  const text = (r: ReminderRequest, name: string) => {
    const subject = r.kind === 'escalation'
      ? `[Overdue] ${r.deadlineLabel} — mobility ${r.mobilityId} (due ${r.dueDate})`
      : `Reminder: ${r.deadlineLabel} — mobility ${r.mobilityId} (due ${r.dueDate})`;
    const greeting = name ? `Dear ${name},` : 'Hello,';
    const body = r.kind === 'escalation'
      ? `${greeting}\n\nThe deadline "${r.deadlineLabel}" of mobility ${r.mobilityId} (project ${r.projectId}) was due on ${r.dueDate} and is still open.\nPlease follow up with the participant.\n`
      : `${greeting}\n\nThis is a reminder that "${r.deadlineLabel}" for mobility ${r.mobilityId} is due on ${r.dueDate}.\n`;
    return { subject, body };
  };

  return {
    async sendReminder(raw: ReminderRequest): Promise<ReminderResult> {
      const r = ReminderRequest.parse(raw);
      const attempt = Context.current().info.attempt;
      const messageId = messageIdFor(r);
      const recipientRef = r.recipientRole === 'participant' ? r.participantRef : r.institutionId;
      const generic = text(r, '');
      if (acceptedUnmarked.has(messageId)) {
        await markSent(messageId);
        acceptedUnmarked.delete(messageId);
        return { status: 'sent', messageId };
      }
      await deps.pool.query(
        `INSERT INTO notification_outbox (mobility_id, deadline_id, attempt, kind, recipient_role, recipient_ref, message_id, subject, body, due_date)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING`,
        [r.mobilityId, r.deadlineId, r.attempt, r.kind, r.recipientRole, recipientRef, messageId, generic.subject, generic.body, r.dueDate],
      );
      const claimed = await deps.pool.query(
        `UPDATE notification_outbox SET status = 'sending', claims = claims + 1, claimed_at = now()
          WHERE mobility_id = $1 AND deadline_id = $2 AND attempt = $3
            AND (status = 'pending' OR (status = 'sending' AND claimed_at < now() - ($4 || ' milliseconds')::interval))
          RETURNING status`,
        [r.mobilityId, r.deadlineId, r.attempt, String(leaseMs)],
      );
      if (claimed.rowCount === 0) {
        const { rows } = await deps.pool.query<{ status: string }>('SELECT status FROM notification_outbox WHERE mobility_id = $1 AND deadline_id = $2 AND attempt = $3', [r.mobilityId, r.deadlineId, r.attempt]);
        const status = rows[0]?.status;
        if (status === 'sent') return { status: 'already-sent', messageId };
        if (status === 'undeliverable') return { status: 'undeliverable', messageId };
        // Another attempt holds a live lease (e.g. a worker that crashed mid-send): retry later.
        throw ApplicationFailure.retryable(`outbox row ${messageId} is being sent by another attempt`, 'OutboxBusy');
      }
      try {
        deps.faults?.afterClaim?.(r, attempt);
        const contact = r.recipientRole === 'participant'
          ? (await deps.pool.query<{ email: string; display_name: string }>('SELECT email, display_name FROM participant_contacts WHERE participant_ref = $1', [r.participantRef])).rows[0]
          : (await deps.pool.query<{ email: string; display_name: string }>(`SELECT email, '' AS display_name FROM coordinator_contacts WHERE institution_id = $1`, [r.institutionId])).rows[0];
        if (!contact) {
          await deps.pool.query(`UPDATE notification_outbox SET status = 'undeliverable' WHERE message_id = $1`, [messageId]);
          return { status: 'undeliverable', messageId };
        }
        const { subject, body: plain } = text(r, contact.display_name);
        const link = await reminderLink(r, linksOf());
        const body = link ? `${plain}\n${link.text}\n${link.url}\n` : plain;
        await deps.transport.sendMail({
          from: deps.from,
          to: contact.email,
          subject,
          text: body,
          messageId,
          headers: { 'X-Mobility-Id': r.mobilityId, 'X-Deadline-Id': r.deadlineId, 'X-Reminder-Attempt': String(r.attempt), 'X-Reminder-Kind': r.kind, ...(link ? { 'X-Link-Purpose': link.purpose } : {}) },
        });
        acceptedUnmarked.add(messageId);
        deps.faults?.beforeMarkSent?.(r, attempt);
        await markSent(messageId);
        acceptedUnmarked.delete(messageId);
      } catch (err) {
        // Sent but not marked: the retry marks it (above). Our own failure before sending: give the row back so the retry needs no lease wait.
        if (acceptedUnmarked.has(messageId)) throw err;
        await deps.pool.query(`UPDATE notification_outbox SET status = 'pending' WHERE message_id = $1 AND status = 'sending'`, [messageId]).catch(() => undefined);
        throw err;
      }
      deps.faults?.afterSent?.(r, attempt);
      return { status: 'sent', messageId };
    },
  };
}
