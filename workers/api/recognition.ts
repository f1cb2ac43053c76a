import { createHash, randomInt } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import { z } from 'zod';
import { MobilityId } from '../../domain/ids';
import type { OpenMobility } from '../../domain/mobility/state';
import {
  availability, careerDocument, europassDocument, type MobilitySummary, openBadgeCredential, type RecordDocument, type RecordKind, summaryOf,
} from '../../domain/recognition/records';
import { decideRevocation, RevokeBadge } from '../../domain/recognition/revocation';
import type { MobilityOwnership, Principal } from '../../domain/tenancy';
import { loadConfig } from '../../infra/config';
import { type IssuerKey, issuerKeyFile, type IssuerKeys, loadIssuerKeys, subjectSalt } from '../../infra/credentials/issuer-key';
import { sha256Hex, signCredential, verifyOpenBadge } from '../../infra/credentials/open-badge';
import { checkCredentialStatus, signStatusList, STATUS_LIST_LENGTH, statusEntry, type StatusEntry } from '../../infra/credentials/status-list';
import { mobility } from '../../workflows/client';
import { HttpError, ok, route, type RouteSpec, type Session } from './route';
import type { ApiDeps } from './routes';

/**
 * Recognition records of a mobility (domain/recognition/records.ts says what each contains):
 *
 * - GET  /api/mobilities/:id/europass.pdf       the Europass Mobility record (PDF, pdf-lib)
 * - GET  /api/mobilities/:id/badge              the open badge: an OB 3.0 OpenBadgeCredential, VC-JWT signed (Ed25519 did:key)
 * - GET  /api/mobilities/:id/career-record.pdf  a staff member's career record: their staff mobilities in your scope
 * - POST /api/mobilities/:id/badge/revoke      revoke the mobility's open badge (a reason, audited; idempotent)
 * - GET  /api/credentials/status/:listId        public: a status list (StatusList2021Credential, VC-JWT of the same issuer)
 * - POST /api/credentials/verify                public (no session): is this badge valid, and why not; revoked or not
 *
 * Each record names or identifies the person, so only staff who may read the participant registry get
 * it (institution- and site-level roles that register applications for the mobility's institution):
 * a mobility outside your scope answers 404, a role that reads the mobility but not the registry 403,
 * a record that does not exist yet 409 with the reason. The name and e-mail are read from the registry
 * at request time and written nowhere: not in events, histories, projections or tables. The badge's
 * subject is a salted SHA-256 of the e-mail address (OB 3.0 IdentityObject): the holder proves it is
 * theirs by showing the address; the badge alone names no one. Every handout is logged (who, when).
 */

const IdParams = z.strictObject({ id: MobilityId });
const JWT_MAX = 20_000;
const VerifyBody = z.strictObject({
  credential: z.union([
    z.string().min(1).max(JWT_MAX).describe('the VC-JWT'),
    z.looseObject({ proof: z.looseObject({ jwt: z.string().min(1).max(JWT_MAX) }) }).describe('the credential in JSON, as GET …/badge returns it'),
  ]).describe('the badge: its JWT, or its JSON with proof.jwt'),
});
const VerifyReply = z.object({
  valid: z.boolean(),
  reason: z.string().nullable().describe('why not: malformed, bad-signature, unknown-issuer, not-open-badge, content-mismatch, revoked'),
  message: z.string(),
  issuer: z.string().nullable(),
  credentialId: z.string().nullable(),
  issuedByThisEngine: z.boolean().describe('the engine recorded handing out exactly this credential'),
  achievement: z.string().nullable(),
  revoked: z.boolean().nullable().describe("the badge's bit in its issuer's status list (credentialStatus); null when the badge carries no status of this engine"),
  status: z.string().nullable().describe('what the status check found, in words'),
});
const ListParams = z.strictObject({ listId: z.string().regex(/^[a-z0-9-]{1,64}$/, 'listId: lower-case letters, digits and dashes') });
const RevokeReply = z.object({
  mobilityId: z.string(),
  credentialId: z.string(),
  revoked: z.literal(true),
  alreadyRevoked: z.boolean().describe('the badge was revoked before: nothing changed'),
  revokedAt: z.string(), revokedBy: z.string(), reasonCode: z.string(),
  credentialStatus: z.object({ id: z.string(), type: z.string(), statusPurpose: z.string(), statusListIndex: z.string(), statusListCredential: z.string() }),
});

const RECORDS = [{ kind: 'europass', file: 'europass.pdf' }, { kind: 'open-badge', file: 'badge' }, { kind: 'career-record', file: 'career-record.pdf' }] as const satisfies readonly { kind: RecordKind; file: string }[];
const RecordsReply = z.object({
  mobilityId: z.string(),
  records: z.array(z.object({
    kind: z.enum(['europass', 'open-badge', 'career-record']),
    available: z.boolean().describe('the record exists for this mobility now'),
    allowed: z.boolean().describe('you may download it (it names the participant: registry readers only)'),
    reason: z.string().nullable().describe('why not, when not available or not allowed'),
    href: z.string(),
    revokedAt: z.string().nullable().describe('the open badge was revoked then (null: not revoked, or not a badge)'),
    canRevoke: z.boolean().describe('you may revoke this open badge now'),
  })),
});

const E = (description: string) => ({ description });
const STD = { 400: E('invalid input: names each field'), 401: E('no live session') };
const GUARDED = {
  ...STD,
  403: E("a role that reads the mobility but may not read the participant registry (reason given)"),
  404: E('no such mobility in your scope'),
  409: E('the record does not exist (yet): the reason says why (e.g. recognition not recorded, not asked for, a learner mobility)'),
  410: E('the participant was erased from the registry: records naming them can no longer be produced'),
};

/** Only institution- and site-level grants reach personal data (as participants.ts). */
const staffOnly = (p: Principal): Principal => ({ userRef: p.userRef, roles: p.roles.filter((g) => g.scope.kind === 'institution' || g.scope.kind === 'site') });

interface Holder { givenName: string; familyName: string; email: string; dateOfBirth: string | null; nationality: string | null }

export function recognitionRoutes(deps: Pick<ApiDeps, 'pool' | 'temporal'>, opts: { issuerKeyFile?: string; publicUrl?: string } = {}): RouteSpec[] {
  const { pool } = deps;
  let keys: IssuerKeys | null = null;
  const issuerKeys = (): IssuerKeys => (keys ??= loadIssuerKeys(opts.issuerKeyFile ?? issuerKeyFile()));
  const statusBase = (opts.publicUrl ?? loadConfig().console.url).replace(/\/$/, '');
  const listUrl = (listId: string) => `${statusBase}/api/credentials/status/${listId}`;

  /**
   * The badge's entry in a status list of its issuer: assigned once (a random free index, herd privacy) and kept,
   * so the same mobility always gets the same badge. A list takes new badges until half full, then a new one starts.
   */
  async function statusEntryOf(credentialId: string, key: IssuerKey): Promise<StatusEntry> {
    const known = await pool.query<{ list_id: string; status_index: number }>('SELECT list_id, status_index FROM credential_status_entries WHERE credential_id = $1', [credentialId]);
    if (known.rows[0]) return statusEntry(listUrl(known.rows[0].list_id), known.rows[0].status_index);
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const open = await pool.query<{ list_id: string; length: number }>(
        `SELECT l.list_id, l.length FROM credential_status_lists l
          WHERE l.issuer_did = $1 AND l.purpose = 'revocation'
            AND (SELECT count(*) FROM credential_status_entries e WHERE e.list_id = l.list_id) < l.length / 2
          ORDER BY l.created_at, l.list_id LIMIT 1`, [key.did]);
      let list = open.rows[0];
      if (!list) {
        const n = (await pool.query<{ n: string }>('SELECT count(*) AS n FROM credential_status_lists')).rows[0]!.n;
        const listId = `revocation-${Number(n) + 1}`;
        await pool.query(`INSERT INTO credential_status_lists (list_id, issuer_did, purpose, length) VALUES ($1, $2, 'revocation', $3) ON CONFLICT (list_id) DO NOTHING`, [listId, key.did, STATUS_LIST_LENGTH]);
        continue;
      }
      await pool.query('INSERT INTO credential_status_entries (credential_id, list_id, status_index) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [credentialId, list.list_id, randomInt(list.length)]);
      const got = await pool.query<{ list_id: string; status_index: number }>('SELECT list_id, status_index FROM credential_status_entries WHERE credential_id = $1', [credentialId]);
      if (got.rows[0]) return statusEntry(listUrl(got.rows[0].list_id), got.rows[0].status_index);
    }
    throw new Error(`no free status list entry for ${credentialId}`);
  }

  /** A status list as its issuer signs it now: the revoked entries' bits set, dated by its last change (same state, same JWT). */
  async function statusListCredential(listId: string) {
    const { rows } = await pool.query<{ issuer_did: string; length: number; changed: Date; revoked: number[] }>(
      `SELECT l.issuer_did, l.length, greatest(l.created_at, max(r.revoked_at)) AS changed,
              coalesce(array_agg(e.status_index) FILTER (WHERE r.credential_id IS NOT NULL), '{}') AS revoked
         FROM credential_status_lists l
         LEFT JOIN credential_status_entries e ON e.list_id = l.list_id
         LEFT JOIN credential_revocations r ON r.credential_id = e.credential_id
        WHERE l.list_id = $1 GROUP BY l.list_id`, [listId]);
    const r = rows[0];
    if (!r) return null;
    const key = issuerKeys().all.find((k) => k.did === r.issuer_did);
    if (!key) throw new HttpError(410, 'gone', `the key of status list ${listId}'s issuer is no longer held by this engine`, { reason: 'issuer key gone' });
    return signStatusList(key, { url: listUrl(listId), issuerName: 'Mobility engine credential status', revoked: r.revoked, validFrom: r.changed.toISOString(), length: r.length });
  }

  const revocationOf = async (mobilityId: string) =>
    (await pool.query<{ credential_id: string; revoked_at: Date; revoked_by: string; reason_code: string }>(
      'SELECT credential_id, revoked_at, revoked_by, reason_code FROM credential_revocations WHERE mobility_id = $1', [mobilityId])).rows[0] ?? null;

  /** The mobility's state if readable (else 404); whoever may not read the registry for it gets 403. */
  async function guarded(session: Session, id: string): Promise<{ state: OpenMobility; ownership: MobilityOwnership }> {
    const notFound = new HttpError(404, 'not-found', `no mobility ${id} in your scope`);
    let state;
    try {
      state = await mobility(deps.temporal, id).state();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound;
      throw err;
    }
    if (state.stage === 'none') throw notFound;
    const { institutionId, consortiumId, siteId } = state.identity;
    const ownership = { institutionId, consortiumId, siteId };
    if (!session.directory.canRead(session.principal, ownership).allowed) throw notFound;
    const may = session.directory.canAct(staffOnly(session.principal), 'mobility.apply', { institutionId, consortiumId: null, siteId });
    if (!may.allowed) throw new HttpError(403, 'forbidden', `${may.reason}: recognition records name the participant, so they are for the staff of the institution who may read its participant registry`, { reason: may.reason });
    return { state, ownership };
  }

  const refuseUnless = (kind: RecordKind, s: MobilitySummary) => {
    const a = availability(kind, s);
    if (!a.ok) throw new HttpError(409, 'refused', a.reason, { reason: a.reason, code: `${kind}-unavailable` });
  };

  /** The holder from the registry, now; read is audited like any registry read. */
  async function holderOf(ref: string, actor: string): Promise<Holder> {
    const { rows } = await pool.query<{ given_name: string | null; family_name: string | null; email: string | null; date_of_birth: string | null; nationality: string | null; erased_at: Date | null }>(
      `SELECT given_name, family_name, email, to_char(date_of_birth, 'YYYY-MM-DD') AS date_of_birth, nationality, erased_at FROM participants WHERE participant_ref = $1`, [ref]);
    const r = rows[0];
    if (!r) throw new HttpError(409, 'refused', `participant ${ref} is not in the registry: the record cannot name its holder`, { reason: 'participant not registered', code: 'participant-unknown' });
    if (r.erased_at || !r.given_name || !r.family_name || !r.email) throw new HttpError(410, 'gone', `participant ${ref} was erased from the registry: records naming them can no longer be produced`, { reason: 'participant erased' });
    await pool.query('INSERT INTO participant_audit (participant_ref, action, actor) VALUES ($1, $2, $3)', [ref, 'read', actor]);
    return { givenName: r.given_name, familyName: r.family_name, email: r.email, dateOfBirth: r.date_of_birth, nationality: r.nationality };
  }

  const log = (mobilityId: string, kind: RecordKind, actor: string) =>
    pool.query('INSERT INTO recognition_record_log (mobility_id, kind, actor) VALUES ($1, $2, $3)', [mobilityId, kind, actor]);

  const issuerOf = (session: Session, institutionId: string) => ({
    institutionId,
    institutionName: session.directory.data.institutions.find((i) => i.id === institutionId)?.name ?? institutionId,
  });

  const pdfReply = (ctx: { reply: import('fastify').FastifyReply }, bytes: Uint8Array, filename: string) => {
    ctx.reply.header('content-type', 'application/pdf');
    ctx.reply.header('content-disposition', `attachment; filename="${filename}"`);
    ctx.reply.header('cache-control', 'no-store');
    return ok(Buffer.from(bytes));
  };

  return [
    route({
      method: 'GET', path: '/api/mobilities/:id/records', operationId: 'recognitionRecords', tag: 'recognition',
      summary: 'Which recognition records this mobility has now, and whether you may download them (the reason when not)',
      params: IdParams,
      responses: { 200: { description: 'one entry per record', schema: RecordsReply }, ...STD, 404: E('no such mobility in your scope') },
      handler: async ({ params, session }) => {
        let allowed: { ok: true } | { ok: false; reason: string } = { ok: true };
        let state: OpenMobility;
        try {
          state = (await guarded(session, params.id)).state;
        } catch (err) {
          if (!(err instanceof HttpError) || err.status !== 403) throw err;
          allowed = { ok: false, reason: err.message };
          state = (await mobility(deps.temporal, params.id).state()) as OpenMobility;
        }
        const s = summaryOf(state);
        const revocation = await revocationOf(s.mobilityId);
        const issued = (await pool.query("SELECT 1 FROM issued_credentials WHERE mobility_id = $1 AND kind = 'open-badge'", [s.mobilityId])).rows.length > 0;
        const mayRevoke = allowed.ok && session.directory.canAct(session.principal, 'mobility.record-recognition', { institutionId: s.institutionId, consortiumId: state.identity.consortiumId, siteId: state.identity.siteId }).allowed;
        const records = RECORDS.map(({ kind, file }) => {
          const a = availability(kind, s);
          const badge = kind === 'open-badge';
          return {
            kind, available: a.ok, allowed: allowed.ok, reason: !a.ok ? a.reason : !allowed.ok ? allowed.reason : null, href: `/api/mobilities/${s.mobilityId}/${file}`,
            revokedAt: badge && revocation ? revocation.revoked_at.toISOString() : null,
            canRevoke: badge && a.ok && issued && revocation === null && mayRevoke,
          };
        });
        return ok({ mobilityId: s.mobilityId, records });
      },
    }),
    route({
      method: 'GET', path: '/api/mobilities/:id/europass.pdf', operationId: 'europassRecord', tag: 'recognition',
      summary: 'The Europass Mobility record of a recognised mobility whose recognition asked for it (PDF; the holder\'s name read from the registry now)',
      params: IdParams,
      responses: { 200: E('application/pdf'), ...GUARDED },
      handler: async (ctx) => {
        const { state } = await guarded(ctx.session, ctx.params.id);
        const s = summaryOf(state);
        refuseUnless('europass', s);
        const holder = await holderOf(s.participantRef, ctx.session.username);
        const doc = europassDocument(s, holder, issuerOf(ctx.session, s.institutionId), new Date().toISOString().slice(0, 10));
        await log(s.mobilityId, 'europass', ctx.session.username);
        return pdfReply(ctx, await renderPdf(doc, s.mobilityId), `europass-mobility-${s.mobilityId}.pdf`);
      },
    }),
    route({
      method: 'GET', path: '/api/mobilities/:id/badge', operationId: 'openBadge', tag: 'recognition',
      summary: 'The open badge of a recognised mobility whose recognition asked for it: an Open Badges 3.0 OpenBadgeCredential (W3C VC), signed as a VC-JWT by the engine\'s Ed25519 did:key',
      params: IdParams,
      responses: { 200: E('the credential (JSON) with proof.jwt; the same mobility always gives the same badge'), ...GUARDED },
      handler: async (ctx) => {
        const { state } = await guarded(ctx.session, ctx.params.id);
        const s = summaryOf(state);
        refuseUnless('open-badge', s);
        const holder = await holderOf(s.participantRef, ctx.session.username);
        const key = issuerKeys().current;
        const credentialId = uuidUrn(`open-badge:${s.mobilityId}`);
        const salt = subjectSalt(key, credentialId);
        const identityHash = `sha256$${sha256Hex(holder.email.trim().toLowerCase() + salt)}`;
        const issuer = issuerOf(ctx.session, s.institutionId);
        const status = await statusEntryOf(credentialId, key);
        const credential = openBadgeCredential(s, { credentialId, issuer: { did: key.did, name: issuer.institutionName, institutionId: issuer.institutionId }, identity: { identityHash, salt }, status });
        const signed = await signCredential(key, credential);
        await pool.query(
          `INSERT INTO issued_credentials (credential_id, mobility_id, kind, issuer_did, jwt_sha256, issued_at) VALUES ($1, $2, 'open-badge', $3, $4, $5)
           ON CONFLICT (mobility_id, kind, issuer_did) DO UPDATE SET jwt_sha256 = excluded.jwt_sha256`,
          [credentialId, s.mobilityId, key.did, sha256Hex(signed.proof.jwt), credential.issuanceDate]);
        await log(s.mobilityId, 'open-badge', ctx.session.username);
        ctx.reply.header('content-disposition', `attachment; filename="open-badge-${s.mobilityId}.json"`);
        ctx.reply.header('cache-control', 'no-store');
        return ok(signed);
      },
    }),
    route({
      method: 'GET', path: '/api/mobilities/:id/career-record.pdf', operationId: 'staffCareerRecord', tag: 'recognition',
      summary: "A staff member's career record after a staff mobility (PDF): every staff mobility of the same participant in your scope, with dates, host, activity and outcome",
      params: IdParams,
      responses: { 200: E('application/pdf'), ...GUARDED },
      handler: async (ctx) => {
        const { state } = await guarded(ctx.session, ctx.params.id);
        const s = summaryOf(state);
        refuseUnless('career-record', s);
        const holder = await holderOf(s.participantRef, ctx.session.username);
        // The participant's other mobilities (the applications projection, by ref), each read from its workflow and kept only if in scope.
        const { rows } = await pool.query<{ mobility_id: string }>('SELECT mobility_id FROM mobility_applications WHERE participant_ref = $1 AND mobility_id <> $2 ORDER BY mobility_id LIMIT 200', [s.participantRef, s.mobilityId]);
        const others = await Promise.all(rows.map(async ({ mobility_id }) => {
          try {
            const st = await mobility(deps.temporal, mobility_id).state();
            if (st.stage === 'none' || st.identity.participantRef !== s.participantRef) return null;
            const { institutionId, consortiumId, siteId } = st.identity;
            return ctx.session.directory.canRead(ctx.session.principal, { institutionId, consortiumId, siteId }).allowed ? summaryOf(st) : null;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return null;
            throw err;
          }
        }));
        const all = [s, ...others.filter((x): x is MobilitySummary => x !== null)];
        const doc = careerDocument(all, holder, issuerOf(ctx.session, s.institutionId), new Date().toISOString().slice(0, 10));
        await log(s.mobilityId, 'career-record', ctx.session.username);
        return pdfReply(ctx, await renderPdf(doc, s.mobilityId), `career-record-${s.participantRef}.pdf`);
      },
    }),
    route({
      method: 'POST', path: '/api/mobilities/:id/badge/revoke', operationId: 'revokeOpenBadge', tag: 'recognition',
      summary: "Revoke the mobility's open badge (the staff who may record its recognition): its bit is set in its issuer's status list, so any verifier finds it revoked. A reason code (and a note), audited; a second request changes nothing",
      params: IdParams,
      body: RevokeBadge,
      responses: {
        200: { description: 'the badge is revoked (alreadyRevoked: it was before, nothing changed)', schema: RevokeReply },
        ...GUARDED,
        409: E('no open badge was issued for this mobility: nothing to revoke'),
      },
      handler: async ({ params, body, session }) => {
        const { state, ownership } = await guarded(session, params.id);
        const may = session.directory.canAct(session.principal, 'mobility.record-recognition', ownership);
        if (!may.allowed) throw new HttpError(403, 'forbidden', `${may.reason}: revoking a badge is for the staff who record the mobility's recognition`, { reason: may.reason });
        const mobilityId = state.identity.mobilityId;
        const issued = (await pool.query<{ credential_id: string; issuer_did: string }>(
          "SELECT credential_id, issuer_did FROM issued_credentials WHERE mobility_id = $1 AND kind = 'open-badge' ORDER BY issued_at LIMIT 1", [mobilityId])).rows[0];
        const prior = await revocationOf(mobilityId);
        const d = decideRevocation({ issued: issued !== undefined, revokedAt: prior?.revoked_at.toISOString() ?? null });
        if (d.kind === 'no-badge') throw new HttpError(409, 'refused', d.reason, { reason: d.reason, code: 'no-badge' });
        const key = issuerKeys().all.find((k) => k.did === issued!.issuer_did) ?? issuerKeys().current;
        const credentialStatus = await statusEntryOf(issued!.credential_id, key);
        // Two requests at once: the one whose row is written revokes; the other changes nothing and says so.
        const inserted = d.kind === 'revoke' && (await pool.query(
          `INSERT INTO credential_revocations (credential_id, mobility_id, reason_code, note, revoked_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (credential_id) DO NOTHING RETURNING credential_id`,
          [issued!.credential_id, mobilityId, body.reasonCode, body.note ?? null, session.username])).rows.length === 1;
        const alreadyRevoked = !inserted;
        const now = (await revocationOf(mobilityId))!;
        return ok({
          mobilityId, credentialId: issued!.credential_id, revoked: true as const, alreadyRevoked,
          revokedAt: now.revoked_at.toISOString(), revokedBy: now.revoked_by, reasonCode: now.reason_code, credentialStatus,
        });
      },
    }),
    route({
      method: 'GET', path: '/api/credentials/status/:listId', operationId: 'credentialStatusList', tag: 'recognition', public: true,
      summary: "A status list of the engine's open badges (no sign-in): a StatusList2021Credential, signed as a VC-JWT by the badges' issuer; a set bit is a revoked badge",
      params: ListParams,
      responses: { 200: E('the status list credential (JSON) with proof.jwt'), 400: E('invalid input: names the field'), 404: E('no such status list') },
      handler: async ({ params, reply }) => {
        const list = await statusListCredential(params.listId);
        if (!list) throw new HttpError(404, 'not-found', `no status list ${params.listId}`);
        reply.header('cache-control', 'no-cache');
        return ok(list);
      },
    }),
    route({
      method: 'POST', path: '/api/credentials/verify', operationId: 'verifyCredential', tag: 'recognition', public: true,
      summary: 'Verify an open badge (no sign-in): the signature against its did:key issuer, the issuer is this engine, an OB 3.0 OpenBadgeCredential, the JSON matches its JWT',
      body: VerifyBody,
      responses: { 200: { description: 'valid or invalid, with the reason', schema: VerifyReply }, 400: E('invalid input: names the field') },
      handler: async ({ body }) => {
        const v = await verifyOpenBadge(body.credential as string | { proof: { jwt: string } }, issuerKeys());
        if (!v.valid) return ok({ valid: false, reason: v.reason, message: v.message, issuer: null, credentialId: null, issuedByThisEngine: false, achievement: null, revoked: null, status: null });
        const { rows } = await pool.query('SELECT 1 FROM issued_credentials WHERE credential_id = $1 AND jwt_sha256 = $2', [v.credentialId, v.jwtSha256]);
        const achievement = (v.credential.credentialSubject as { achievement?: { name?: string } }).achievement?.name ?? null;
        // The status as any verifier finds it: the list the badge names (when it is one of ours), checked like any other.
        const entry = v.credential.credentialStatus as { statusListCredential?: unknown } | undefined;
        const listId = typeof entry?.statusListCredential === 'string' && entry.statusListCredential.startsWith(listUrl(''))
          ? entry.statusListCredential.slice(listUrl('').length) : null;
        const list = listId !== null && /^[a-z0-9-]{1,64}$/.test(listId) ? await statusListCredential(listId) : null;
        const status = list ? await checkCredentialStatus(v.credential, list, issuerKeys()) : null;
        const revoked = status?.ok ? status.revoked : null;
        return ok({
          valid: revoked !== true, reason: revoked === true ? 'revoked' : null,
          message: revoked === true ? `revoked by its issuer ${v.issuer}: its bit is set in ${status!.ok ? status!.listUrl : ''}` : `a valid Open Badges 3.0 credential signed by ${v.issuer}`,
          issuer: v.issuer, credentialId: v.credentialId, issuedByThisEngine: rows.length > 0, achievement, revoked,
          status: status === null ? 'the badge carries no status list of this engine' : status.ok ? `entry ${status.index} of ${status.listUrl}: ${status.revoked ? 'revoked' : 'not revoked'}` : status.message,
        });
      },
    }),
  ];
}

/** A name-based UUID (SHA-256, version 8 layout) as a urn:uuid: the same mobility always has the same credential id. */
export const uuidUrn = (name: string): string => {
  const h = createHash('sha256').update(`mobility-engine:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

// ---------- PDF (pdf-lib, standard Helvetica: WinAnsi text only) ----------
const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const BLUE = rgb(0.0, 0.2, 0.6);

/** Helvetica's WinAnsi encoding cannot draw every character: replace what it cannot (typographic dashes are fine). */
const printable = (font: PDFFont, s: string): string =>
  [...s].map((ch) => {
    try {
      font.encodeText(ch);
      return ch;
    } catch {
      return '?';
    }
  }).join('');

function wrap(font: PDFFont, size: number, text: string, width: number): string[] {
  // A word wider than the column (a mobility id) is cut where it must be.
  const words = printable(font, text).split(/\s+/).flatMap((w) => {
    const parts: string[] = [];
    let rest = w;
    while (rest.length > 1 && font.widthOfTextAtSize(rest, size) > width) {
      let n = rest.length - 1;
      while (n > 1 && font.widthOfTextAtSize(rest.slice(0, n), size) > width) n--;
      parts.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    return [...parts, rest];
  });
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (font.widthOfTextAtSize(next, size) > width && line) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** Draws a RecordDocument: title, sections of label–value lines or a table, footer; new pages as needed. */
export async function renderPdf(doc: RecordDocument, subject: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(`${doc.title} — ${subject}`);
  pdf.setSubject(subject);
  pdf.setProducer('mobility-engine');
  pdf.setCreator('mobility-engine recognition records');
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  let page: PDFPage = pdf.addPage(A4);
  let y = A4[1] - MARGIN;
  const need = (h: number) => {
    if (y - h < MARGIN + 30) {
      page = pdf.addPage(A4);
      y = A4[1] - MARGIN;
    }
  };
  const text = (s: string, x: number, size: number, f = font, color = rgb(0, 0, 0)) => page.drawText(printable(f, s), { x, y, size, font: f, color });

  page.drawRectangle({ x: 0, y: A4[1] - 8, width: A4[0], height: 8, color: BLUE });
  text(doc.title, MARGIN, 22, bold, BLUE);
  y -= 22;
  for (const l of wrap(font, 11, doc.subtitle, A4[0] - 2 * MARGIN)) { text(l, MARGIN, 11); y -= 14; }
  y -= 10;
  const labelW = 150;
  for (const section of doc.sections) {
    need(40);
    text(section.heading, MARGIN, 13, bold, BLUE);
    y -= 6;
    page.drawLine({ start: { x: MARGIN, y }, end: { x: A4[0] - MARGIN, y }, thickness: 0.5, color: BLUE });
    y -= 14;
    for (const [label, value] of section.lines) {
      const lines = wrap(font, 10, value, A4[0] - 2 * MARGIN - labelW);
      need(lines.length * 13);
      text(label, MARGIN, 10, bold);
      for (const l of lines) { text(l, MARGIN + labelW, 10); y -= 13; }
    }
    if (section.table) {
      const cols = section.table.columns;
      const widths = cols.length === 6 ? [100, 70, 30, 80, 110, 105] : cols.map(() => (A4[0] - 2 * MARGIN) / cols.length);
      const row = (cells: readonly string[], f: PDFFont) => {
        const wrapped = cells.map((c, i) => wrap(f, 8.5, c, widths[i]! - 4));
        const h = Math.max(...wrapped.map((w) => w.length)) * 11;
        need(h + 2);
        let x = MARGIN;
        wrapped.forEach((lines, i) => {
          lines.forEach((l, k) => page.drawText(l, { x, y: y - k * 11, size: 8.5, font: f }));
          x += widths[i]!;
        });
        y -= h + 3;
      };
      row(cols, bold);
      for (const r of section.table.rows) row(r, font);
    }
    y -= 10;
  }
  const pages = pdf.getPages();
  pages.forEach((p, i) => {
    const foot = `${printable(font, doc.footer)}   ${i + 1}/${pages.length}`;
    wrap(font, 8, foot, A4[0] - 2 * MARGIN).forEach((l, k) => p.drawText(l, { x: MARGIN, y: MARGIN - 10 - k * 10, size: 8, font, color: rgb(0.35, 0.35, 0.35) }));
  });
  // Deterministic metadata dates would hide when it was produced; keep pdf-lib's (now).
  return pdf.save();
}
