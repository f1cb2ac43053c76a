import type pg from 'pg';
import { z } from 'zod';
import { OrgId } from '../../domain/ids';
import { StaffRef } from '../../domain/mobility/codes';
import {
  decideOrgChange, ErasmusCode, managedUnits, mayGrant, mayManage, mayManageAccount, Oid, reaches, Role, ScopeKind,
  type ConsortiumFunction, type OnboardingDecision, type OrgChange, type OrgUnit, type Principal, type RoleGrant, type TenantDirectory,
} from '../../domain/tenancy';
import { loadDirectory, loadGrants } from './directory';
import { invitationRoutes, issueInvitation, type Mailer, sendInvitation, smtpMailer } from './invitations';
import { HttpError, ok, route, type RouteSpec, type Session } from './route';

/**
 * Onboarding: the organisation (networks, consortia and their members' functions, institutions with
 * their Erasmus code or OID, sites), staff accounts and their role grants, created and edited within
 * the actor's own scope. Who may do what is domain/tenancy/onboarding.ts (mayManage, mayGrant,
 * mayManageAccount, decideOrgChange); this file validates the input, asks the domain, writes what it
 * answered in one transaction (directory changes serialised by an advisory lock, the whole directory
 * validated again before commit) and files an audit row under the unit it touched.
 *
 * Outside the actor's view: 404 (as if it did not exist); a role that may read but not manage: 403.
 * Every body is a strict object; a refusal names the field.
 */

const E = (description: string) => ({ description });
const STD = { 400: E('invalid input: names each field; nothing changed'), 401: E('no live session'), 403: E('your roles may read this but not manage it (reason given)'), 404: E('not in your scope') };
const CHANGED = (what: string) => ({ 200: E(`${what}: the unit as stored`), ...STD, 409: E('conflicts with the directory (a taken id or code, a consortium without one coordinator…): field and reason given') });

const Name = z.string().trim().min(1).max(200);
const IdParams = z.strictObject({ id: OrgId });
const MemberParams = z.strictObject({ id: OrgId, institutionId: OrgId });
const UserParams = z.strictObject({ username: StaffRef });

const CreateInstitution = z.strictObject({
  id: OrgId.describe('the internal id of the institution (letters, digits, . _ -)'),
  name: Name,
  erasmusCode: ErasmusCode.optional().describe('Erasmus institutional code (higher education), e.g. F  LYON03'),
  oid: Oid.optional().describe('organisation ID (OID), E and 8 digits: give it or the Erasmus code'),
  consortiumId: OrgId.optional().describe('the consortium it joins (a consortium coordinator gives its own)'),
  networkId: OrgId.optional().describe('its network (a network director; else the consortium’s)'),
});
const UpdateInstitution = z.strictObject({ name: Name.optional(), erasmusCode: ErasmusCode.nullable().optional(), oid: Oid.nullable().optional() });
const CreateSite = z.strictObject({ id: OrgId, institutionId: OrgId, name: Name });
const Rename = z.strictObject({ name: Name });
const CreateConsortium = z.strictObject({ id: OrgId, networkId: OrgId, name: Name, coordinatorInstitutionId: OrgId.describe('the member that coordinates and manages the money (the beneficiary)') });
const SetMember = z.strictObject({
  institutionId: OrgId,
  coordinationFinance: z.boolean().default(false),
  administrativeManagement: z.boolean().default(false),
  qualityControl: z.boolean().default(false),
});
const GrantBody = z.strictObject({ role: Role, scopeKind: ScopeKind, scopeId: OrgId });
const CreateStaff = z.strictObject({
  username: StaffRef.describe('the sign-in name, also written in audit trails (never an e-mail address)'),
  displayName: Name,
  email: z.email().max(254).describe('where the invitation goes'),
  role: Role, scopeKind: ScopeKind, scopeId: OrgId,
});
const AuditQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

const functionsOf = (b: z.infer<typeof SetMember>): ConsortiumFunction[] => [
  ...(b.coordinationFinance ? ['coordination-finance' as const] : []),
  ...(b.administrativeManagement ? ['administrative-management' as const] : []),
  ...(b.qualityControl ? ['quality-control' as const] : []),
];
const grantOf = (b: { role: Role; scopeKind: ScopeKind; scopeId: string }): RoleGrant => ({ role: b.role, scope: { kind: b.scopeKind, id: b.scopeId } });

/** A refusal of the domain as an HTTP answer naming the field. */
function refusal(d: { status: number; field?: string; reason: string }): HttpError {
  const code = ({ 400: 'bad-request', 403: 'forbidden', 404: 'not-found', 409: 'conflict' } as Record<number, string>)[d.status] ?? 'refused';
  const issues = d.field ? [{ field: d.field, message: d.reason }] : undefined;
  return new HttpError(d.status, code, issues ? `${d.field}: ${d.reason}` : d.reason, { reason: d.reason, ...(issues ? { issues } : {}), ...(d.status === 409 ? { code: 'organisation-conflict' } : {}) });
}
const must = (d: OnboardingDecision): RoleGrant => {
  if (!d.allowed) throw refusal(d);
  return d.grant;
};

type Tx = pg.PoolClient;
const audit = (tx: Tx, actor: string, action: string, unit: OrgUnit, subject: string | null, before: unknown, after: unknown) =>
  tx.query('INSERT INTO organisation_audit (actor, action, unit_kind, unit_id, subject, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [actor, action, unit.kind, unit.id, subject, before === null ? null : JSON.stringify(before), after === null ? null : JSON.stringify(after)]);

/** Runs `f` in a transaction that holds the directory's write lock, with the directory as it is now. */
async function withDirectory<T>(pool: pg.Pool, f: (tx: Tx, dir: TenantDirectory) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    await tx.query('SELECT pg_advisory_xact_lock(350)');
    const out = await f(tx, await loadDirectory(tx));
    await loadDirectory(tx); // the directory must still be valid as a whole, or nothing is written
    await tx.query('COMMIT');
    return out;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/** Writes a change the domain accepted. */
async function write(tx: Tx, c: OrgChange & Record<string, any>, after: any): Promise<void> {
  switch (c.kind) {
    case 'update-network': await tx.query('UPDATE tenancy_networks SET name = $2 WHERE id = $1', [c.id, c.name]); return;
    case 'create-consortium':
      await tx.query('INSERT INTO tenancy_consortia (id, network_id, name) VALUES ($1, $2, $3)', [c.id, c.networkId, c.name]);
      await tx.query(`INSERT INTO tenancy_consortium_members (consortium_id, institution_id, functions) VALUES ($1, $2, '{coordination-finance}')`, [c.id, c.coordinatorInstitutionId]);
      return;
    case 'update-consortium': await tx.query('UPDATE tenancy_consortia SET name = $2 WHERE id = $1', [c.id, c.name]); return;
    case 'create-institution':
      await tx.query('INSERT INTO tenancy_institutions (id, network_id, name, erasmus_code, oid) VALUES ($1, $2, $3, $4, $5)', [after.id, after.networkId, after.name, after.erasmusCode ?? null, after.oid ?? null]);
      if (after.consortiumId) await tx.query('INSERT INTO tenancy_consortium_members (consortium_id, institution_id, functions) VALUES ($1, $2, $3)', [after.consortiumId, after.id, after.functions]);
      return;
    case 'update-institution':
      await tx.query('UPDATE tenancy_institutions SET name = $2, erasmus_code = $3, oid = $4 WHERE id = $1', [after.id, after.name, after.erasmusCode ?? null, after.oid ?? null]);
      return;
    case 'create-site': await tx.query('INSERT INTO tenancy_sites (id, institution_id, name) VALUES ($1, $2, $3)', [c.id, c.institutionId, c.name]); return;
    case 'update-site': await tx.query('UPDATE tenancy_sites SET name = $2 WHERE id = $1', [c.id, c.name]); return;
    case 'set-member':
      await tx.query(
        `INSERT INTO tenancy_consortium_members (consortium_id, institution_id, functions) VALUES ($1, $2, $3)
         ON CONFLICT (consortium_id, institution_id) DO UPDATE SET functions = excluded.functions`, [c.consortiumId, c.institutionId, c.functions]);
      return;
    case 'remove-member': await tx.query('DELETE FROM tenancy_consortium_members WHERE consortium_id = $1 AND institution_id = $2', [c.consortiumId, c.institutionId]); return;
  }
}

/** Decides, writes and audits one change of the organisation. */
async function change(pool: pg.Pool, session: Session, c: OrgChange): Promise<unknown> {
  return withDirectory(pool, async (tx, dir) => {
    const r = decideOrgChange(dir.data, session.principal, c);
    if (!r.ok) throw refusal(r);
    await write(tx, c as OrgChange & Record<string, any>, r.after);
    await audit(tx, session.username, c.kind, r.unit, null, r.before, r.after);
    return r.after ?? r.before;
  });
}

/** The account's grants and status, or 404 when it does not exist. */
async function account(db: pg.Pool | Tx, username: string) {
  const { rows } = await db.query<{ username: string; display_name: string; email: string | null; active: boolean; disabled: boolean }>(
    'SELECT username, display_name, email, password_hash IS NOT NULL AS active, disabled FROM staff_users WHERE username = $1', [username]);
  const row = rows[0];
  if (!row) return null;
  return { ...row, grants: (await loadGrants(db, [username])).get(username) ?? [] };
}

export function onboardingRoutes(deps: { pool: pg.Pool; mailer?: Mailer }): RouteSpec[] {
  const { pool } = deps;
  const mailer = deps.mailer ?? smtpMailer();

  /** Creates the invitation of an account inside `tx`; the e-mail goes after the commit. */
  const invite = async (session: Session, a: { username: string; displayName: string; email: string }, issue: () => Promise<Awaited<ReturnType<typeof issueInvitation>>>) => {
    const inv = await issue();
    return async () => {
      const sent = await sendInvitation(pool, mailer, { ...inv, ...a, invitedBy: session.displayName });
      return { expiresAt: inv.expiresAt, sent };
    };
  };

  return [
    route({
      method: 'GET', path: '/api/organisation', operationId: 'organisation', tag: 'organisation',
      summary: 'Your part of the organisation: networks, consortia (members and functions), institutions, sites, each with whether you manage it; the staff accounts you manage; where you may grant roles',
      responses: { 200: E('the organisation in your view'), 401: STD[401] },
      handler: async ({ session }) => {
        const d = session.directory.data;
        const p = session.principal;
        const seen = (kind: ScopeKind) => (x: { id: string }) => reaches(d, p, { kind, id: x.id });
        const manage = (kind: ScopeKind, id: string) => mayManage(d, p, { kind, id }).allowed;
        const managed = managedUnits(d, p);
        const grants = await loadGrants(pool);
        const users = (await pool.query<{ username: string; display_name: string; email: string | null; active: boolean; disabled: boolean; pending_until: Date | null }>(
          `SELECT u.username, u.display_name, u.email, u.password_hash IS NOT NULL AS active, u.disabled,
                  (SELECT max(i.expires_at) FROM staff_invitations i WHERE i.username = u.username AND i.used_at IS NULL AND i.superseded_at IS NULL) AS pending_until
             FROM staff_users u ORDER BY u.username`)).rows;
        const staff = users.flatMap((u) => {
          const gs = grants.get(u.username) ?? [];
          if (!gs.some((g) => managed[g.scope.kind].includes(g.scope.id))) return [];
          return [{
            username: u.username, displayName: u.display_name, email: u.email, grants: gs,
            status: u.disabled ? 'disabled' : u.active ? 'active' : 'invited', invitationExpiresAt: u.active ? null : u.pending_until?.toISOString() ?? null,
            manage: mayManageAccount(d, p, u.username, gs).allowed,
          }];
        });
        return ok({
          networks: d.networks.filter(seen('network')).map((n) => ({ ...n, manage: manage('network', n.id) })),
          consortia: d.consortia.filter(seen('consortium')).map((c) => ({ ...c, manage: manage('consortium', c.id) })),
          institutions: d.institutions.filter(seen('institution')).map((i) => ({ ...i, manage: manage('institution', i.id) })),
          sites: d.sites.filter(seen('site')).map((s) => ({ ...s, manage: manage('site', s.id) })),
          managed,
          staff,
          roles: Role.options.map((role) => ({ role, scopeKinds: ScopeKind.options.filter((k) => managed[k].some((id) => mayGrant(d, p, { role, scope: { kind: k, id } }).allowed)) })).filter((r) => r.scopeKinds.length > 0),
        });
      },
    }),
    route({
      method: 'GET', path: '/api/organisation/audit', operationId: 'organisationAudit', tag: 'organisation',
      summary: 'The audit trail of the organisation units you manage: who changed what, when, ids and values before and after (never a password or e-mail)',
      query: AuditQuery,
      responses: { 200: E('audit rows, newest first'), ...STD },
      handler: async ({ query, session }) => {
        const m = managedUnits(session.directory.data, session.principal);
        if (Object.values(m).every((ids) => ids.length === 0)) throw new HttpError(403, 'forbidden', `${session.username} manages no part of the organisation`, { reason: 'only a network director, consortium coordinator or institution coordinator reads the audit trail of what they manage' });
        const { rows } = await pool.query(
          `SELECT id::text, at, actor, action, unit_kind AS "unitKind", unit_id AS "unitId", subject, before, after FROM organisation_audit
            WHERE (unit_kind = 'network' AND unit_id = ANY($1)) OR (unit_kind = 'consortium' AND unit_id = ANY($2))
               OR (unit_kind = 'institution' AND unit_id = ANY($3)) OR (unit_kind = 'site' AND unit_id = ANY($4))
            ORDER BY at DESC, id DESC LIMIT $5`, [m.network, m.consortium, m.institution, m.site, query.limit]);
        return ok({ rows });
      },
    }),
    route({
      method: 'POST', path: '/api/organisation/networks/:id', operationId: 'updateNetwork', tag: 'organisation', summary: 'Rename a network (its director)',
      params: IdParams, body: Rename, responses: CHANGED('renamed'),
      handler: async ({ params, body, session }) => ok(await change(pool, session, { kind: 'update-network', id: params.id, name: body.name })),
    }),
    route({
      method: 'POST', path: '/api/organisation/consortia', operationId: 'createConsortium', tag: 'organisation',
      summary: 'Create a consortium in your network with its coordinating member (network director)',
      body: CreateConsortium, responses: { ...CHANGED('created'), 201: E('created') },
      handler: async ({ body, session }) => ok(await change(pool, session, { kind: 'create-consortium', ...body }), 201),
    }),
    route({
      method: 'POST', path: '/api/organisation/consortia/:id', operationId: 'updateConsortium', tag: 'organisation', summary: 'Rename a consortium',
      params: IdParams, body: Rename, responses: CHANGED('renamed'),
      handler: async ({ params, body, session }) => ok(await change(pool, session, { kind: 'update-consortium', id: params.id, name: body.name })),
    }),
    route({
      method: 'POST', path: '/api/organisation/consortia/:id/members', operationId: 'setConsortiumMember', tag: 'organisation',
      summary: 'Set the functions of a member of the consortium (coordination and finance, administrative management, quality control), or bring in an institution you also manage',
      params: IdParams, body: SetMember, responses: CHANGED('member set'),
      handler: async ({ params, body, session }) => ok(await change(pool, session, { kind: 'set-member', consortiumId: params.id, institutionId: body.institutionId, functions: functionsOf(body) })),
    }),
    route({
      method: 'POST', path: '/api/organisation/consortia/:id/members/:institutionId/remove', operationId: 'removeConsortiumMember', tag: 'organisation',
      summary: 'Remove a member from the consortium (never its coordinator)',
      params: MemberParams, responses: CHANGED('member removed'),
      handler: async ({ params, session }) => ok(await change(pool, session, { kind: 'remove-member', consortiumId: params.id, institutionId: params.institutionId })),
    }),
    route({
      method: 'POST', path: '/api/organisation/institutions', operationId: 'createInstitution', tag: 'organisation',
      summary: 'Create an institution with its Erasmus code or OID: in your consortium (it joins it) or your network',
      body: CreateInstitution, responses: { ...CHANGED('created'), 201: E('created') },
      handler: async ({ body, session }) => ok(await change(pool, session, { kind: 'create-institution', ...body }), 201),
    }),
    route({
      method: 'POST', path: '/api/organisation/institutions/:id', operationId: 'updateInstitution', tag: 'organisation',
      summary: 'Edit an institution: name, Erasmus code, OID (null removes one; it keeps at least one)',
      params: IdParams, body: UpdateInstitution, responses: CHANGED('edited'),
      handler: async ({ params, body, session }) => ok(await change(pool, session, { kind: 'update-institution', id: params.id, ...body })),
    }),
    route({
      method: 'POST', path: '/api/organisation/sites', operationId: 'createSite', tag: 'organisation', summary: 'Create a site of an institution you manage',
      body: CreateSite, responses: { ...CHANGED('created'), 201: E('created') },
      handler: async ({ body, session }) => ok(await change(pool, session, { kind: 'create-site', ...body }), 201),
    }),
    route({
      method: 'POST', path: '/api/organisation/sites/:id', operationId: 'updateSite', tag: 'organisation', summary: 'Rename a site',
      params: IdParams, body: Rename, responses: CHANGED('renamed'),
      handler: async ({ params, body, session }) => ok(await change(pool, session, { kind: 'update-site', id: params.id, name: body.name })),
    }),
    route({
      method: 'POST', path: '/api/organisation/staff', operationId: 'createStaff', tag: 'organisation',
      summary: 'Create a staff account with its first role (never wider than yours) and e-mail it an invitation to choose its password (link valid once, 72 h)',
      body: CreateStaff,
      responses: { 201: E('created and invited: { username, grants, invitation: { expiresAt, sent } }'), ...STD, 409: E('the username is taken') },
      handler: async ({ body, session }) => {
        const grant = grantOf(body);
        const send = await withDirectory(pool, async (tx, dir) => {
          must(mayGrant(dir.data, session.principal, grant));
          const taken = await tx.query('SELECT 1 FROM staff_users WHERE username = $1', [body.username]);
          if (taken.rowCount) throw refusal({ status: 409, field: 'username', reason: `the username ${body.username} is taken` });
          await tx.query('INSERT INTO staff_users (username, display_name, password_hash, email, created_by) VALUES ($1, $2, NULL, $3, $4)', [body.username, body.displayName, body.email, session.username]);
          await tx.query('INSERT INTO staff_role_grants (username, role, scope_kind, scope_id) VALUES ($1, $2, $3, $4)', [body.username, grant.role, grant.scope.kind, grant.scope.id]);
          await audit(tx, session.username, 'staff-created', grant.scope, body.username, null, { username: body.username, displayName: body.displayName, grants: [grant] });
          return invite(session, body, () => issueInvitation(tx, body.username, session.username));
        });
        const invitation = await send();
        return ok({ username: body.username, grants: [grant], invitation }, 201);
      },
    }),
    route({
      method: 'POST', path: '/api/organisation/staff/:username/grants', operationId: 'grantRole', tag: 'organisation',
      summary: 'Grant a role to a staff account you manage (never wider than yours)',
      params: UserParams, body: GrantBody, responses: { 200: E('the account’s grants'), ...STD },
      handler: async ({ params, body, session }) => ok(await withDirectory(pool, async (tx, dir) => {
        const a = await account(tx, params.username);
        if (!a) throw refusal({ status: 404, reason: `no staff account ${params.username} in your scope` });
        must(mayManageAccount(dir.data, session.principal, a.username, a.grants));
        const grant = grantOf(body);
        must(mayGrant(dir.data, session.principal, grant));
        await tx.query('INSERT INTO staff_role_grants (username, role, scope_kind, scope_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [a.username, grant.role, grant.scope.kind, grant.scope.id]);
        const grants = [...a.grants.filter((g) => JSON.stringify(g) !== JSON.stringify(grant)), grant];
        await audit(tx, session.username, 'role-granted', grant.scope, a.username, { grants: a.grants }, { grants });
        return { username: a.username, grants };
      })),
    }),
    route({
      method: 'POST', path: '/api/organisation/staff/:username/grants/revoke', operationId: 'revokeRole', tag: 'organisation',
      summary: 'Revoke a role of a staff account you manage (an account keeps at least one role)',
      params: UserParams, body: GrantBody, responses: { 200: E('the account’s grants'), ...STD, 409: E('the account’s last role') },
      handler: async ({ params, body, session }) => ok(await withDirectory(pool, async (tx, dir) => {
        const a = await account(tx, params.username);
        if (!a) throw refusal({ status: 404, reason: `no staff account ${params.username} in your scope` });
        must(mayManageAccount(dir.data, session.principal, a.username, a.grants));
        const grant = grantOf(body);
        const grants = a.grants.filter((g) => !(g.role === grant.role && g.scope.kind === grant.scope.kind && g.scope.id === grant.scope.id));
        if (grants.length === a.grants.length) throw refusal({ status: 404, field: 'role', reason: `${a.username} does not hold ${grant.role}@${grant.scope.kind}:${grant.scope.id}` });
        if (grants.length === 0) throw refusal({ status: 409, field: 'role', reason: `${grant.role} is the last role of ${a.username}` });
        await tx.query('DELETE FROM staff_role_grants WHERE username = $1 AND role = $2 AND scope_kind = $3 AND scope_id = $4', [a.username, grant.role, grant.scope.kind, grant.scope.id]);
        await audit(tx, session.username, 'role-revoked', grant.scope, a.username, { grants: a.grants }, { grants });
        return { username: a.username, grants };
      })),
    }),
    route({
      method: 'POST', path: '/api/organisation/staff/:username/invitation', operationId: 'resendInvitation', tag: 'organisation',
      summary: 'Send a new invitation to an account you manage that has not chosen its password yet (the previous link stops working)',
      params: UserParams, responses: { 200: E('{ invitation: { expiresAt, sent } }'), ...STD, 409: E('the account already has a password') },
      handler: async ({ params, session }) => {
        const send = await withDirectory(pool, async (tx, dir) => {
          const a = await account(tx, params.username);
          if (!a) throw refusal({ status: 404, reason: `no staff account ${params.username} in your scope` });
          must(mayManageAccount(dir.data, session.principal, a.username, a.grants));
          if (a.active) throw refusal({ status: 409, field: 'username', reason: `${a.username} has already chosen a password` });
          if (!a.email) throw refusal({ status: 409, field: 'username', reason: `${a.username} has no e-mail address` });
          await audit(tx, session.username, 'invitation-sent', a.grants[0]!.scope, a.username, null, { username: a.username });
          return invite(session, { username: a.username, displayName: a.display_name, email: a.email }, () => issueInvitation(tx, a.username, session.username));
        });
        return ok({ username: params.username, invitation: await send() });
      },
    }),
    ...invitationRoutes(deps),
  ];
}
