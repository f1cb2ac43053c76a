import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { Nationality } from './countries';
import { IsoDate, OrgId } from '../../domain/ids';
import { FewerOpportunitiesCriterion, SiteId } from '../../domain/mobility/codes';
import type { MobilityOwnership, Principal, TenantDirectory } from '../../domain/tenancy';
import { HttpError, ok, route, type RouteSpec, type Session } from './route';
import type { ApiDeps } from './routes';

/**
 * The participant registry (migration 340): the one place where a participant's personal data
 * lives. The server gives each participant an opaque ref (`P-` and 12 base32 characters, no
 * meaning); applications, workflows, their histories, events and projections carry that ref and
 * nothing else about the person. The mail activity reads the address from participant_contacts,
 * which the registry keeps in step (written on registration, removed on erasure).
 *
 * Access: a record belongs to the institution (and site, if given) that registered it. Only staff
 * of that institution or site whose role may register applications (mobility.apply: institution
 * and site coordinators) register, read, export or erase it. Consortium and network roles, and
 * observers, never see personal data: outside the institution a ref answers 404, like a ref that
 * does not exist; an institution's observer gets 403. Every registration, read, export and erasure
 * is recorded in participant_audit.
 *
 * - POST   /api/participants              register → 201 { participantRef }
 * - GET    /api/participants/:ref         the record (personal fields null once erased)
 * - GET    /api/participants/:ref/export  everything held about the participant (GDPR art. 15/20)
 * - DELETE /api/participants/:ref         erasure (art. 17): personal fields and contact removed, the ref kept
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A fresh opaque ref: P- and 12 characters of RFC 4648 base32 (60 random bits). */
export const newParticipantRef = (): string => `P-${Array.from({ length: 12 }, () => ALPHABET[randomInt(32)]).join('')}`;
export const RegistryRef = z.string().regex(/^P-[A-Z2-7]{12}$/, 'participant ref: "P-" and 12 characters A–Z, 2–7, as the registry generated it');

const PersonName = z.string().trim().min(1).max(100);
const today = () => new Date().toISOString().slice(0, 10);
export const Gender = z.enum(['female', 'male', 'non-binary', 'undisclosed']);
export const StudentNumber = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$/, "student number: the institution's own reference, letters, digits, . _ / - (at most 40)");
export const IscedF = z.string().regex(/^\d{4}$/, 'field of education: an ISCED-F 2013 detailed field, 4 digits (e.g. 0613)');

export const NewParticipant = z.strictObject({
  institutionId: OrgId,
  siteId: SiteId.optional().describe('the site the participant belongs to (a site coordinator must give its own)'),
  givenName: PersonName,
  familyName: PersonName,
  email: z.email().max(254),
  dateOfBirth: IsoDate.refine((d) => d >= '1900-01-01' && d <= today(), 'date of birth: between 1900-01-01 and today'),
  gender: Gender,
  nationality: Nationality,
  fewerOpportunitiesCriterion: FewerOpportunitiesCriterion.optional().describe('the code only (FO-01…FO-09), never the details'),
  // The other per-participant fields of the Beneficiary Module (migration 351).
  studentNumber: StudentNumber.optional().describe("the participant ID of the Beneficiary Module: the institution's own student or apprentice number"),
  fieldOfEducation: IscedF.optional().describe('ISCED-F 2013 field of education of the programme (4 digits, e.g. 0613)'),
  eqfLevel: z.int().min(1).max(8).optional().describe('EQF level of the programme (1–8: 6 bachelor, 7 master, 8 doctorate)'),
});
export type NewParticipant = z.infer<typeof NewParticipant>;

const Participant = z.object({
  participantRef: z.string(), institutionId: z.string(), siteId: z.string().nullable(),
  givenName: z.string().nullable(), familyName: z.string().nullable(), email: z.string().nullable(), dateOfBirth: z.string().nullable(),
  gender: z.string().nullable(), nationality: z.string().nullable(), fewerOpportunitiesCriterion: z.string().nullable(),
  studentNumber: z.string().nullable(), fieldOfEducation: z.string().nullable(), eqfLevel: z.number().nullable(),
  createdBy: z.string(), createdAt: z.string(), updatedAt: z.string(), erasedAt: z.string().nullable(),
});
type Participant = z.infer<typeof Participant>;

const RefParams = z.strictObject({ ref: RegistryRef });
type Db = pg.Pool | pg.PoolClient;

const SELECT = `SELECT participant_ref, institution_id, site_id, given_name, family_name, email, to_char(date_of_birth, 'YYYY-MM-DD') AS date_of_birth,
                       gender, nationality, fewer_opportunities_criterion, student_number, field_of_education, eqf_level,
                       created_by, created_at, updated_at, erased_at
                  FROM participants`;
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toParticipant = (r: Record<string, any>): Participant => ({
  participantRef: r.participant_ref, institutionId: r.institution_id, siteId: r.site_id,
  givenName: r.given_name, familyName: r.family_name, email: r.email, dateOfBirth: r.date_of_birth,
  gender: r.gender, nationality: r.nationality, fewerOpportunitiesCriterion: r.fewer_opportunities_criterion,
  studentNumber: r.student_number, fieldOfEducation: r.field_of_education, eqfLevel: r.eqf_level,
  createdBy: r.created_by, createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!, erasedAt: iso(r.erased_at),
});

async function find(db: Db, ref: string, lock = false): Promise<Participant | null> {
  const { rows } = await db.query(`${SELECT} WHERE participant_ref = $1${lock ? ' FOR UPDATE' : ''}`, [ref]);
  return rows[0] ? toParticipant(rows[0]) : null;
}

const audit = (db: Db, ref: string, action: 'registered' | 'read' | 'exported' | 'erased', actor: string) =>
  db.query('INSERT INTO participant_audit (participant_ref, action, actor) VALUES ($1, $2, $3)', [ref, action, actor]);

/** Whether the ref is registered, not erased, and belongs to the institution: for the submit route. */
export async function participantBelongsTo(db: Db, ref: string, institutionId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM participants WHERE participant_ref = $1 AND institution_id = $2 AND erased_at IS NULL', [ref, institutionId]);
  return rows.length > 0;
}

/** The participant's fewer-opportunities criterion code (FO-01…FO-09), or null (none, erased, or no such ref). */
export async function fewerOpportunitiesCriterionOf(db: Db, ref: string): Promise<string | null> {
  const { rows } = await db.query<{ c: string | null }>('SELECT fewer_opportunities_criterion AS c FROM participants WHERE participant_ref = $1', [ref]);
  return rows[0]?.c ?? null;
}

/** Registers a participant (with the mail contact) and returns the new ref. */
export async function registerParticipant(pool: pg.Pool, raw: NewParticipant, actor: string): Promise<string> {
  const p = NewParticipant.parse(raw);
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    let ref = '';
    // 60 random bits: a collision is all but impossible, and would only draw again.
    for (let tries = 0; !ref; tries++) {
      const candidate = newParticipantRef();
      const { rowCount } = await tx.query(
        `INSERT INTO participants (participant_ref, institution_id, site_id, given_name, family_name, email, date_of_birth, gender, nationality, fewer_opportunities_criterion,
                                   student_number, field_of_education, eqf_level, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (participant_ref) DO NOTHING`,
        [candidate, p.institutionId, p.siteId ?? null, p.givenName, p.familyName, p.email, p.dateOfBirth, p.gender, p.nationality, p.fewerOpportunitiesCriterion ?? null,
          p.studentNumber ?? null, p.fieldOfEducation ?? null, p.eqfLevel ?? null, actor],
      );
      if (rowCount === 1) ref = candidate;
      else if (tries > 5) throw new Error('could not draw a free participant ref');
    }
    await tx.query(
      `INSERT INTO participant_contacts (participant_ref, email, display_name) VALUES ($1, $2, $3)
       ON CONFLICT (participant_ref) DO UPDATE SET email = excluded.email, display_name = excluded.display_name, updated_at = now()`,
      [ref, p.email, `${p.givenName} ${p.familyName}`],
    );
    await audit(tx, ref, 'registered', actor);
    await tx.query('COMMIT');
    return ref;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/** Erases a participant's personal data and contact; the ref stays. Idempotent: erasing again changes nothing. */
export async function eraseParticipant(pool: pg.Pool, ref: string, actor: string): Promise<{ erasedAt: string; contactRemoved: boolean; already: boolean }> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const before = await find(tx, ref, true);
    if (!before) throw new Error(`no participant ${ref}`);
    if (before.erasedAt) {
      await tx.query('COMMIT');
      return { erasedAt: before.erasedAt, contactRemoved: false, already: true };
    }
    const { rows } = await tx.query<{ erased_at: Date }>(
      `UPDATE participants SET given_name = NULL, family_name = NULL, email = NULL, date_of_birth = NULL, gender = NULL, nationality = NULL,
              fewer_opportunities_criterion = NULL, student_number = NULL, field_of_education = NULL, eqf_level = NULL, erased_at = now(), updated_at = now()
        WHERE participant_ref = $1 RETURNING erased_at`, [ref]);
    const contact = await tx.query('DELETE FROM participant_contacts WHERE participant_ref = $1', [ref]);
    await audit(tx, ref, 'erased', actor);
    await tx.query('COMMIT');
    return { erasedAt: rows[0]!.erased_at.toISOString(), contactRemoved: (contact.rowCount ?? 0) > 0, already: false };
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

const ownershipOf = (p: Pick<Participant, 'institutionId' | 'siteId'>): MobilityOwnership => ({ institutionId: p.institutionId, consortiumId: null, siteId: p.siteId });
/** Only institution- and site-level grants ever reach personal data. */
const staffOnly = (p: Principal): Principal => ({ userRef: p.userRef, roles: p.roles.filter((g) => g.scope.kind === 'institution' || g.scope.kind === 'site') });

/** Whether these roles may read the personal data of a participant registered by this institution (and site): the registry's rule, for exports. */
export const mayReadPersonalData = (directory: TenantDirectory, principal: Principal, owner: { institutionId: string; siteId: string | null }): boolean =>
  directory.canAct(staffOnly(principal), 'mobility.apply', ownershipOf(owner)).allowed;

/** The record, if the session may handle it; 404 outside its institution (existence does not leak), 403 for its read-only roles. */
async function handled(pool: pg.Pool, session: Session, ref: string): Promise<Participant> {
  const p = await find(pool, ref);
  const notFound = new HttpError(404, 'not-found', `no participant ${ref} in your scope`);
  if (!p) throw notFound;
  const staff = staffOnly(session.principal);
  const may = session.directory.canAct(staff, 'mobility.apply', ownershipOf(p));
  if (may.allowed) return p;
  if (session.directory.canRead(staff, ownershipOf(p)).allowed) {
    throw new HttpError(403, 'forbidden', `${may.reason}: personal data is for the staff who register applications`, { reason: may.reason });
  }
  throw notFound;
}

const E = (description: string) => ({ description });
const STD = { 400: E('invalid input: names each field'), 401: E('no live session') };
const NOT_HERE = { 403: E("a read-only role of the participant's institution (reason given)"), 404: E('no such participant in your scope') };

export function participantRoutes(deps: Pick<ApiDeps, 'pool'>): RouteSpec[] {
  const { pool } = deps;
  return [
    route({
      method: 'POST', path: '/api/participants', operationId: 'registerParticipant', tag: 'participants',
      summary: 'Register a participant in the protected registry: returns the opaque ref that applications use (needs mobility.apply for the institution or site)',
      body: NewParticipant,
      responses: {
        201: { description: 'registered', schema: z.object({ participantRef: z.string(), institutionId: z.string(), siteId: z.string().nullable() }) }, ...STD,
        403: E('your roles may not register participants there (reason given)'),
        409: E('the student number is already registered for another participant of the institution'),
      },
      handler: async ({ body, session }) => {
        const may = session.directory.canAct(session.principal, 'mobility.apply', ownershipOf({ institutionId: body.institutionId, siteId: body.siteId ?? null }));
        if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
        const participantRef = await registerParticipant(pool, body, session.username).catch((err: { code?: string; constraint?: string }) => {
          if (err.code === '23505' && err.constraint === 'participants_student_number')
            throw new HttpError(409, 'conflict', `studentNumber: ${body.studentNumber} is already registered at ${body.institutionId}`, { issues: [{ field: 'studentNumber', message: 'already registered for another participant of the institution' }] });
          throw err;
        });
        return ok({ participantRef, institutionId: body.institutionId, siteId: body.siteId ?? null }, 201);
      },
    }),
    route({
      method: 'GET', path: '/api/participants/:ref', operationId: 'getParticipant', tag: 'participants',
      summary: "A participant's record (only staff of its institution or site who register applications; personal fields null once erased)",
      params: RefParams,
      responses: { 200: { description: 'the record', schema: Participant }, ...STD, ...NOT_HERE },
      handler: async ({ params, session }) => {
        const p = await handled(pool, session, params.ref);
        await audit(pool, p.participantRef, 'read', session.username);
        return ok(p);
      },
    }),
    route({
      method: 'GET', path: '/api/participants/:ref/export', operationId: 'exportParticipant', tag: 'participants',
      summary: 'Everything held about a participant (GDPR access and portability): the record, the mail contact, the mobilities under the ref, the audit trail',
      params: RefParams,
      responses: { 200: { description: 'the export (JSON)' }, ...STD, ...NOT_HERE },
      handler: async ({ params, session }) => {
        const p = await handled(pool, session, params.ref);
        await audit(pool, p.participantRef, 'exported', session.username);
        const [contact, mobilities, payments, trail] = await Promise.all([
          pool.query('SELECT email, display_name AS "displayName", updated_at AS "updatedAt" FROM participant_contacts WHERE participant_ref = $1', [p.participantRef]),
          pool.query(`SELECT mobility_id AS "mobilityId", project_id AS "projectId", institution_id AS "institutionId", activity, applied_at AS "appliedAt"
                        FROM mobility_applications WHERE participant_ref = $1 ORDER BY applied_at`, [p.participantRef]),
          pool.query(`SELECT mobility_id AS "mobilityId", kind, sequence, amount_cents::bigint::text AS "amountCents", to_char(due_date, 'YYYY-MM-DD') AS "dueDate", created_at AS "orderedAt"
                        FROM payment_orders WHERE participant_ref = $1 ORDER BY created_at`, [p.participantRef]),
          pool.query('SELECT action, actor, at FROM participant_audit WHERE participant_ref = $1 ORDER BY at, id', [p.participantRef]),
        ]);
        return ok({
          exportedAt: new Date().toISOString(),
          participant: p,
          contact: contact.rows[0] ?? null,
          mobilities: mobilities.rows,
          paymentOrders: payments.rows.map((r) => ({ ...r, amountCents: Number(r.amountCents) })),
          audit: trail.rows,
        });
      },
    }),
    route({
      method: 'DELETE', path: '/api/participants/:ref', operationId: 'eraseParticipant', tag: 'participants',
      summary: "Erase a participant (GDPR art. 17): every personal field and the mail contact are removed; the opaque ref stays so streams and histories remain consistent",
      params: RefParams,
      responses: {
        200: { description: 'erased (again: unchanged)', schema: z.object({ participantRef: z.string(), erasedAt: z.string(), contactRemoved: z.boolean(), alreadyErased: z.boolean() }) },
        ...STD, ...NOT_HERE,
      },
      handler: async ({ params, session }) => {
        const p = await handled(pool, session, params.ref);
        const r = await eraseParticipant(pool, p.participantRef, session.username);
        return ok({ participantRef: p.participantRef, erasedAt: r.erasedAt, contactRemoved: r.contactRemoved, alreadyErased: r.already });
      },
    }),
  ];
}
