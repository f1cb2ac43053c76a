import { z } from 'zod';
import { OrgId } from '../ids';
import { ACTIONS, ROLE_SCOPES } from './actions';
import {
  ConsortiumFunction,
  DirectoryData,
  ErasmusCode,
  Oid,
  type Principal,
  type Role,
  type RoleGrant,
  type Scope,
  type ScopeKind,
} from './model';

/**
 * Onboarding: who may create and edit which part of the organisation, and what each change does to
 * the directory. Pure: the API asks these functions, then writes what they answered.
 *
 * Scope rule. A scope contains itself and what lies under it:
 *   network     → its consortia, its institutions, their sites
 *   consortium  → its member institutions and their sites (the consortium "manages its members")
 *   institution → its sites
 *   site        → itself
 * The managing roles manage what their scope contains: a network director its network, a consortium
 * coordinator its consortium, an institution coordinator its institution. Every other role (the
 * administrative manager, the quality controller, a site coordinator, an observer) may read the part of
 * the organisation it belongs to but manages nothing (403). What no grant of the principal reaches
 * answers 404, like what does not exist, so existence does not leak.
 *
 * Nobody grants a role wider than their own: a role may be granted only at a scope that one of the
 * granter's managing grants contains (a consortium coordinator may name an administrative manager of
 * its consortium or the institution coordinator of a member, never a network director), and an account
 * may be changed only by someone whose managing grants contain every grant the account holds.
 */

/** The roles that manage the part of the organisation their scope contains: those of the action organisation.manage. */
export const MANAGING_ROLES: readonly Role[] = ACTIONS['organisation.manage'].roles;
const manages = (r: Role): boolean => MANAGING_ROLES.includes(r);

/** A unit of the organisation: a network, consortium, institution or site, by id. */
export type OrgUnit = Scope;

/** A decision about a change: allowed with the grant that allows it, or refused with the HTTP meaning. */
export type OnboardingDecision =
  | { readonly allowed: true; readonly grant: RoleGrant }
  | { readonly allowed: false; readonly status: 400 | 403 | 404; readonly field?: string; readonly reason: string };

const describe = (g: RoleGrant): string => `${g.role}@${g.scope.kind}:${g.scope.id}`;
const unitName = (u: OrgUnit): string => `${u.kind} ${u.id}`;

export function unitExists(d: DirectoryData, u: OrgUnit): boolean {
  switch (u.kind) {
    case 'network': return d.networks.some((n) => n.id === u.id);
    case 'consortium': return d.consortia.some((c) => c.id === u.id);
    case 'institution': return d.institutions.some((i) => i.id === u.id);
    case 'site': return d.sites.some((s) => s.id === u.id);
  }
}

/** Whether `outer` contains `unit` (see the scope rule above). Units that do not exist are contained by nothing. */
export function contains(d: DirectoryData, outer: OrgUnit, unit: OrgUnit): boolean {
  if (!unitExists(d, outer) || !unitExists(d, unit)) return false;
  if (outer.kind === unit.kind) return outer.id === unit.id;
  const institutionOf = (siteId: string) => d.sites.find((s) => s.id === siteId)?.institutionId;
  const networkOfInstitution = (id: string | undefined) => d.institutions.find((i) => i.id === id)?.networkId;
  const memberOf = (consortiumId: string, institutionId: string | undefined) =>
    d.consortia.some((c) => c.id === consortiumId && c.members.some((m) => m.institutionId === institutionId));
  switch (outer.kind) {
    case 'network':
      if (unit.kind === 'consortium') return d.consortia.find((c) => c.id === unit.id)?.networkId === outer.id;
      if (unit.kind === 'institution') return networkOfInstitution(unit.id) === outer.id;
      return networkOfInstitution(institutionOf(unit.id)) === outer.id;
    case 'consortium':
      if (unit.kind === 'institution') return memberOf(outer.id, unit.id);
      if (unit.kind === 'site') return memberOf(outer.id, institutionOf(unit.id));
      return false;
    case 'institution':
      return unit.kind === 'site' && institutionOf(unit.id) === outer.id;
    case 'site':
      return false;
  }
}

/** A grant counts only if its role may be granted at its level and its scope exists (as TenantDirectory.checkGrant). */
const usable = (d: DirectoryData, g: RoleGrant) => ROLE_SCOPES[g.role].includes(g.scope.kind) && unitExists(d, g.scope);

/** Whether the principal sees the unit at all: a grant contains it, or it contains a grant (a site coordinator sees its institution). */
export function reaches(d: DirectoryData, p: Principal, u: OrgUnit): boolean {
  return p.roles.some((g) => usable(d, g) && (contains(d, g.scope, u) || contains(d, u, g.scope)));
}

/** May the principal create under, or edit, this unit? */
export function mayManage(d: DirectoryData, p: Principal, u: OrgUnit): OnboardingDecision {
  const grant = p.roles.find((g) => manages(g.role) && usable(d, g) && contains(d, g.scope, u));
  if (grant) return { allowed: true, grant };
  if (reaches(d, p, u)) {
    const roles = [...new Set(p.roles.map((g) => g.role))].join(', ');
    return { allowed: false, status: 403, reason: `${p.userRef} (${roles}) may read ${unitName(u)} but not manage it: only a network director, consortium coordinator or institution coordinator whose scope contains it may` };
  }
  return { allowed: false, status: 404, reason: `no ${unitName(u)} in your scope` };
}

/** May the principal give this role grant? It must be a valid grant, at a scope one of the principal's managing grants contains. */
export function mayGrant(d: DirectoryData, p: Principal, g: RoleGrant): OnboardingDecision {
  if (!ROLE_SCOPES[g.role].includes(g.scope.kind))
    return { allowed: false, status: 400, field: 'scopeKind', reason: `${g.role} cannot be granted at ${g.scope.kind} level (only ${ROLE_SCOPES[g.role].join(', ')})` };
  const where = mayManage(d, p, g.scope);
  if (!where.allowed) {
    return where.status === 404
      ? { ...where, field: 'scopeId' }
      : { allowed: false, status: 403, field: 'role', reason: `${describe(g)} would be wider than your own roles: ${where.reason}` };
  }
  const fn = ({ 'consortium-coordinator': 'coordination-finance', 'administrative-manager': 'administrative-management', 'quality-controller': 'quality-control' } as Partial<Record<Role, ConsortiumFunction>>)[g.role];
  if (fn && !d.consortia.find((c) => c.id === g.scope.id)?.members.some((m) => m.functions.includes(fn)))
    return { allowed: false, status: 400, field: 'role', reason: `${describe(g)}: no member of consortium ${g.scope.id} holds ${fn}` };
  return where;
}

/**
 * May the principal change an account holding these grants (grant or revoke a role, send a new
 * invitation)? Only if its managing grants contain every grant the account holds; 404 when none of
 * them is even in its view.
 */
export function mayManageAccount(d: DirectoryData, p: Principal, username: string, accountGrants: readonly RoleGrant[]): OnboardingDecision {
  if (!accountGrants.some((g) => reaches(d, p, g.scope))) return { allowed: false, status: 404, reason: `no staff account ${username} in your scope` };
  let granted: RoleGrant | null = null;
  for (const g of accountGrants) {
    const m = mayManage(d, p, g.scope);
    if (!m.allowed) return { allowed: false, status: 403, reason: `${username} holds ${describe(g)}, outside what you manage${m.status === 403 ? ` (${m.reason})` : ''}` };
    granted ??= m.grant;
  }
  return granted ? { allowed: true, grant: granted } : { allowed: false, status: 404, reason: `no staff account ${username} in your scope` };
}

/** Every unit the principal manages, per kind (for SQL filters such as the audit trail's). */
export function managedUnits(d: DirectoryData, p: Principal): Record<ScopeKind, string[]> {
  const pick = (kind: ScopeKind, ids: string[]) => ids.filter((id) => mayManage(d, p, { kind, id }).allowed).sort();
  return {
    network: pick('network', d.networks.map((n) => n.id)),
    consortium: pick('consortium', d.consortia.map((c) => c.id)),
    institution: pick('institution', d.institutions.map((i) => i.id)),
    site: pick('site', d.sites.map((s) => s.id)),
  };
}

// ---------------------------------------------------------------- changes

const Name = z.string().trim().min(1).max(200);
const Functions = z.array(ConsortiumFunction).refine((fs) => new Set(fs).size === fs.length, 'a function is listed twice');

/** A change to the organisation, as the API's forms express it. */
export const OrgChange = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('update-network'), id: OrgId, name: Name }),
  z.strictObject({ kind: z.literal('create-consortium'), id: OrgId, networkId: OrgId, name: Name, coordinatorInstitutionId: OrgId }),
  z.strictObject({ kind: z.literal('update-consortium'), id: OrgId, name: Name }),
  z.strictObject({
    kind: z.literal('create-institution'), id: OrgId, networkId: OrgId.optional(), name: Name,
    erasmusCode: ErasmusCode.optional(), oid: Oid.optional(),
    /** Joins this consortium on creation (how a consortium coordinator brings in a new member). */
    consortiumId: OrgId.optional(), functions: Functions.default([]),
  }),
  z.strictObject({ kind: z.literal('update-institution'), id: OrgId, name: Name.optional(), erasmusCode: ErasmusCode.nullable().optional(), oid: Oid.nullable().optional() }),
  z.strictObject({ kind: z.literal('create-site'), id: OrgId, institutionId: OrgId, name: Name }),
  z.strictObject({ kind: z.literal('update-site'), id: OrgId, name: Name }),
  z.strictObject({ kind: z.literal('set-member'), consortiumId: OrgId, institutionId: OrgId, functions: Functions }),
  z.strictObject({ kind: z.literal('remove-member'), consortiumId: OrgId, institutionId: OrgId }),
]);
export type OrgChange = z.input<typeof OrgChange>;

export type ChangeResult =
  | { readonly ok: true; readonly data: DirectoryData; readonly unit: OrgUnit; readonly before: unknown; readonly after: unknown }
  | { readonly ok: false; readonly status: 400 | 403 | 404 | 409; readonly field?: string; readonly reason: string };

/**
 * Decides a change: whether the principal may make it (scope rule), and the directory after it,
 * validated as a whole (DirectoryData: references, one coordinator per consortium, unique codes).
 * `unit` is what the change touched (the audit trail is filed under it); before/after are its ids and values.
 */
export function decideOrgChange(d: DirectoryData, p: Principal, raw: OrgChange): ChangeResult {
  const parsed = OrgChange.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return { ok: false, status: 400, field: i.path.join('.') || 'body', reason: i.message };
  }
  const c = parsed.data;
  const refuse = (dec: OnboardingDecision, field?: string): ChangeResult =>
    dec.allowed ? { ok: false, status: 403, reason: 'refused' } : { ok: false, status: dec.status, field: dec.field ?? field, reason: dec.reason };
  const conflict = (field: string, reason: string): ChangeResult => ({ ok: false, status: 409, field, reason });
  const next = structuredClone(d) as DirectoryData;
  let unit: OrgUnit;
  let before: unknown = null;
  let after: unknown;

  switch (c.kind) {
    case 'update-network': {
      unit = { kind: 'network', id: c.id };
      const may = mayManage(d, p, unit);
      if (!may.allowed) return refuse(may, 'id');
      const n = next.networks.find((x) => x.id === c.id)!;
      before = { ...n };
      n.name = c.name;
      after = { ...n };
      break;
    }
    case 'create-consortium': {
      unit = { kind: 'consortium', id: c.id };
      const may = mayManage(d, p, { kind: 'network', id: c.networkId });
      if (!may.allowed) return refuse(may, 'networkId');
      if (d.consortia.some((x) => x.id === c.id)) return conflict('id', `consortium ${c.id} already exists`);
      const coordinator = mayManage(d, p, { kind: 'institution', id: c.coordinatorInstitutionId });
      if (!coordinator.allowed) return refuse(coordinator, 'coordinatorInstitutionId');
      const created = { id: c.id, networkId: c.networkId, name: c.name, members: [{ institutionId: c.coordinatorInstitutionId, functions: ['coordination-finance' as const] }] };
      next.consortia.push(created);
      after = created;
      break;
    }
    case 'update-consortium': {
      unit = { kind: 'consortium', id: c.id };
      const may = mayManage(d, p, unit);
      if (!may.allowed) return refuse(may, 'id');
      const x = next.consortia.find((y) => y.id === c.id)!;
      before = { id: x.id, name: x.name };
      x.name = c.name;
      after = { id: x.id, name: x.name };
      break;
    }
    case 'create-institution': {
      unit = { kind: 'institution', id: c.id };
      if (c.consortiumId === undefined && c.networkId === undefined) return { ok: false, status: 400, field: 'networkId', reason: 'give the network, or the consortium the institution joins' };
      if (!c.erasmusCode && !c.oid) return { ok: false, status: 400, field: 'oid', reason: 'give the Erasmus code or the OID (the Beneficiary Module names organisations by OID)' };
      let networkId = c.networkId;
      if (c.consortiumId !== undefined) {
        const may = mayManage(d, p, { kind: 'consortium', id: c.consortiumId });
        if (!may.allowed) return refuse(may, 'consortiumId');
        const cons = d.consortia.find((x) => x.id === c.consortiumId)!;
        if (networkId !== undefined && networkId !== cons.networkId) return { ok: false, status: 400, field: 'networkId', reason: `consortium ${cons.id} is in network ${cons.networkId}, not ${networkId}` };
        networkId = cons.networkId;
      } else {
        const may = mayManage(d, p, { kind: 'network', id: networkId! });
        if (!may.allowed) return refuse(may, 'networkId');
      }
      if (d.institutions.some((x) => x.id === c.id)) return conflict('id', `institution ${c.id} already exists`);
      const inst = { id: c.id, networkId: networkId!, name: c.name, ...(c.erasmusCode ? { erasmusCode: c.erasmusCode } : {}), ...(c.oid ? { oid: c.oid } : {}) };
      next.institutions.push(inst);
      if (c.consortiumId !== undefined) next.consortia.find((x) => x.id === c.consortiumId)!.members.push({ institutionId: c.id, functions: c.functions });
      else if (c.functions.length > 0) return { ok: false, status: 400, field: 'functions', reason: 'functions are held in a consortium: give consortiumId' };
      after = { ...inst, ...(c.consortiumId ? { consortiumId: c.consortiumId, functions: c.functions } : {}) };
      break;
    }
    case 'update-institution': {
      unit = { kind: 'institution', id: c.id };
      const may = mayManage(d, p, unit);
      if (!may.allowed) return refuse(may, 'id');
      const x = next.institutions.find((y) => y.id === c.id)!;
      before = { ...x };
      if (c.name !== undefined) x.name = c.name;
      for (const k of ['erasmusCode', 'oid'] as const) {
        if (c[k] === null) delete x[k];
        else if (c[k] !== undefined) x[k] = c[k];
      }
      if (!x.erasmusCode && !x.oid && ((before as { erasmusCode?: string }).erasmusCode || (before as { oid?: string }).oid))
        return { ok: false, status: 400, field: 'oid', reason: 'an institution keeps its Erasmus code or its OID' };
      after = { ...x };
      break;
    }
    case 'create-site': {
      unit = { kind: 'site', id: c.id };
      const may = mayManage(d, p, { kind: 'institution', id: c.institutionId });
      if (!may.allowed) return refuse(may, 'institutionId');
      if (d.sites.some((x) => x.id === c.id)) return conflict('id', `site ${c.id} already exists`);
      const site = { id: c.id, institutionId: c.institutionId, name: c.name };
      next.sites.push(site);
      after = site;
      break;
    }
    case 'update-site': {
      unit = { kind: 'site', id: c.id };
      const may = mayManage(d, p, unit);
      if (!may.allowed) return refuse(may, 'id');
      const x = next.sites.find((y) => y.id === c.id)!;
      before = { ...x };
      x.name = c.name;
      after = { ...x };
      break;
    }
    case 'set-member':
    case 'remove-member': {
      unit = { kind: 'consortium', id: c.consortiumId };
      const may = mayManage(d, p, unit);
      if (!may.allowed) return refuse(may, 'consortiumId');
      const cons = next.consortia.find((x) => x.id === c.consortiumId)!;
      const i = cons.members.findIndex((m) => m.institutionId === c.institutionId);
      if (i < 0) {
        if (c.kind === 'remove-member') return { ok: false, status: 404, field: 'institutionId', reason: `institution ${c.institutionId} is not a member of consortium ${cons.id}` };
        // Bringing in an institution that exists: the principal must manage it too (no one annexes another's institution).
        const inst = mayManage(d, p, { kind: 'institution', id: c.institutionId });
        if (!inst.allowed) return refuse(inst, 'institutionId');
        cons.members.push({ institutionId: c.institutionId, functions: c.functions });
        after = { consortiumId: cons.id, institutionId: c.institutionId, functions: c.functions };
      } else {
        before = { consortiumId: cons.id, ...cons.members[i]! };
        if (c.kind === 'remove-member') {
          cons.members.splice(i, 1);
          after = null;
          if (cons.members.length === 0) return { ok: false, status: 409, field: 'institutionId', reason: `consortium ${cons.id} would have no member left` };
        } else {
          cons.members[i] = { institutionId: c.institutionId, functions: c.functions };
          after = { consortiumId: cons.id, institutionId: c.institutionId, functions: c.functions };
        }
      }
      break;
    }
  }
  const valid = DirectoryData.safeParse(next);
  if (!valid.success) {
    const i = valid.error.issues[0]!;
    const field = c.kind === 'set-member' || c.kind === 'remove-member' ? 'functions' : /duplicate|held by two/.test(i.message) ? (i.message.startsWith('oid') ? 'oid' : i.message.startsWith('erasmusCode') ? 'erasmusCode' : 'id') : 'body';
    return { ok: false, status: 409, field, reason: i.message };
  }
  return { ok: true, data: valid.data, unit, before, after };
}
