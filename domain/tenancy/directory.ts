import { ACTIONS, Action, ROLE_FUNCTION, ROLE_SCOPES, roleMayDo } from './actions';
import {
  DirectoryData,
  MobilityOwnership,
  Principal,
  type Consortium,
  type ConsortiumFunction,
  type Institution,
  type ResolvedScope,
  type RoleGrant,
  type Site,
} from './model';

export type Decision = { readonly allowed: true; readonly grant: RoleGrant } | { readonly allowed: false; readonly reason: string };
export type ScopeResult = { readonly ok: true; readonly scope: ResolvedScope } | { readonly ok: false; readonly reason: string };
export type GrantCheck = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/**
 * The exact read filter of a principal, in the shape a SQL query needs:
 *   WHERE institution_id = ANY($institutionIds) OR consortium_id = ANY($consortiumIds) OR site_id = ANY($siteIds)
 * A consortium scope covers only the mobilities funded by that consortium's project, never the member's
 * own-project mobilities; an institution scope covers all of that institution's mobilities.
 */
export interface ReadFilter {
  readonly institutionIds: readonly string[];
  readonly consortiumIds: readonly string[];
  readonly siteIds: readonly string[];
}

const describe = (g: RoleGrant): string => `${g.role}@${g.scope.kind}:${g.scope.id}`;

/** A pure, immutable view over the tenancy data. Build it with TenantDirectory.from(data). */
export class TenantDirectory {
  private readonly institutions: ReadonlyMap<string, Institution>;
  private readonly consortia: ReadonlyMap<string, Consortium>;
  private readonly sites: ReadonlyMap<string, Site>;
  private readonly networks: ReadonlySet<string>;

  private constructor(readonly data: DirectoryData) {
    this.networks = new Set(data.networks.map((n) => n.id));
    this.institutions = new Map(data.institutions.map((i) => [i.id, i]));
    this.consortia = new Map(data.consortia.map((c) => [c.id, c]));
    this.sites = new Map(data.sites.map((s) => [s.id, s]));
  }

  /** Parses the plain data (zod errors name the offending field) and builds the directory. */
  static from(data: unknown): TenantDirectory {
    return new TenantDirectory(DirectoryData.parse(data));
  }

  /** Members of a consortium holding a function (002: one each; 003: the coordinator holds all). */
  functionHolders(consortiumId: string, fn: ConsortiumFunction): string[] {
    return (this.consortia.get(consortiumId)?.members ?? []).filter((m) => m.functions.includes(fn)).map((m) => m.institutionId);
  }

  /** Resolves a mobility's ownership to every level, or says which reference is wrong. */
  scopeOf(ownership: MobilityOwnership): ScopeResult {
    const o = MobilityOwnership.parse(ownership);
    const inst = this.institutions.get(o.institutionId);
    if (!inst) return { ok: false, reason: `unknown institution ${o.institutionId}` };
    if (o.networkId !== undefined && o.networkId !== inst.networkId)
      return { ok: false, reason: `institution ${inst.id} belongs to network ${inst.networkId}, not ${o.networkId}` };
    if (o.consortiumId !== null) {
      const c = this.consortia.get(o.consortiumId);
      if (!c) return { ok: false, reason: `unknown consortium ${o.consortiumId}` };
      if (!c.members.some((m) => m.institutionId === inst.id))
        return { ok: false, reason: `institution ${inst.id} is not a member of consortium ${c.id}` };
    }
    if (o.siteId !== null) {
      const site = this.sites.get(o.siteId);
      if (!site) return { ok: false, reason: `unknown site ${o.siteId}` };
      if (site.institutionId !== inst.id) return { ok: false, reason: `site ${site.id} belongs to institution ${site.institutionId}, not ${inst.id}` };
    }
    return { ok: true, scope: { networkId: inst.networkId, consortiumId: o.consortiumId, institutionId: inst.id, siteId: o.siteId } };
  }

  /** A grant is valid if its scope exists, the role may be granted at that level, and (consortium roles) a member holds the function. */
  checkGrant(g: RoleGrant): GrantCheck {
    if (!ROLE_SCOPES[g.role].includes(g.scope.kind)) return { valid: false, reason: `${describe(g)}: ${g.role} cannot be granted at ${g.scope.kind} level` };
    const exists =
      g.scope.kind === 'network' ? this.networks.has(g.scope.id)
      : g.scope.kind === 'consortium' ? this.consortia.has(g.scope.id)
      : g.scope.kind === 'institution' ? this.institutions.has(g.scope.id)
      : this.sites.has(g.scope.id);
    if (!exists) return { valid: false, reason: `${describe(g)}: unknown ${g.scope.kind} ${g.scope.id}` };
    const fn = ROLE_FUNCTION[g.role];
    if (fn && this.functionHolders(g.scope.id, fn).length === 0)
      return { valid: false, reason: `${describe(g)}: no member of consortium ${g.scope.id} holds ${fn}` };
    return { valid: true };
  }

  /** Whether a (valid) grant's scope covers a resolved mobility scope. */
  private reaches(g: RoleGrant, s: ResolvedScope): boolean {
    switch (g.scope.kind) {
      case 'network': return s.networkId === g.scope.id;
      case 'consortium': return s.consortiumId === g.scope.id;
      case 'institution': return s.institutionId === g.scope.id;
      case 'site': return s.siteId === g.scope.id;
    }
  }

  /** The grants of a principal that are valid and cover the ownership, or a reason why there are none. */
  private covering(input: Principal, ownership: MobilityOwnership): { grants: RoleGrant[]; scope: ResolvedScope } | { reason: string } {
    const principal = Principal.parse(input);
    const resolved = this.scopeOf(ownership);
    if (!resolved.ok) return { reason: resolved.reason };
    if (principal.roles.length === 0) return { reason: `${principal.userRef} holds no role` };
    const reasons: string[] = [];
    const grants: RoleGrant[] = [];
    for (const g of principal.roles) {
      const check = this.checkGrant(g);
      if (!check.valid) reasons.push(check.reason);
      else if (this.reaches(g, resolved.scope)) grants.push(g);
      else reasons.push(`${describe(g)} does not cover ${where(resolved.scope)}`);
    }
    return grants.length > 0 ? { grants, scope: resolved.scope } : { reason: reasons.join('; ') };
  }

  canRead(principal: Principal, ownership: MobilityOwnership): Decision {
    const c = this.covering(principal, ownership);
    if ('reason' in c) return { allowed: false, reason: c.reason };
    return { allowed: true, grant: c.grants[0]! };
  }

  canAct(principal: Principal, requested: Action, ownership: MobilityOwnership): Decision {
    const action = Action.parse(requested);
    const c = this.covering(principal, ownership);
    if ('reason' in c) return { allowed: false, reason: c.reason };
    const reasons: string[] = [];
    for (const g of c.grants) {
      if (!roleMayDo(g.role, action)) {
        reasons.push(g.role === 'observer' ? `${describe(g)} is read-only` : `${describe(g)} may not ${action}`);
        continue;
      }
      const fn = ACTIONS[action].consortiumFunction;
      const staffLevel = g.scope.kind === 'institution' || g.scope.kind === 'site';
      if (fn && staffLevel && c.scope.consortiumId !== null && !this.functionHolders(c.scope.consortiumId, fn).includes(c.scope.institutionId)) {
        reasons.push(`${describe(g)}: ${action} on consortium ${c.scope.consortiumId} mobilities belongs to the member holding ${fn}`);
        continue;
      }
      return { allowed: true, grant: g };
    }
    return { allowed: false, reason: reasons.join('; ') };
  }

  /** The exact read filter (see ReadFilter). Invalid grants contribute nothing. */
  readFilter(principal: Principal): ReadFilter {
    const institutionIds = new Set<string>();
    const consortiumIds = new Set<string>();
    const siteIds = new Set<string>();
    for (const g of principal.roles) {
      if (!this.checkGrant(g).valid) continue;
      switch (g.scope.kind) {
        case 'network':
          for (const i of this.data.institutions) if (i.networkId === g.scope.id) institutionIds.add(i.id);
          break;
        case 'consortium': consortiumIds.add(g.scope.id); break;
        case 'institution': institutionIds.add(g.scope.id); break;
        case 'site': siteIds.add(g.scope.id); break;
      }
    }
    const sorted = (s: Set<string>) => [...s].sort();
    return { institutionIds: sorted(institutionIds), consortiumIds: sorted(consortiumIds), siteIds: sorted(siteIds) };
  }

  /**
   * Whether the principal may register applications in a project of the consortium: for one of its
   * member institutions (or a site of one), as a single application would be checked. A member's staff
   * may use the consortium's projects without seeing the consortium's other figures.
   */
  mayApplyInConsortium(principal: Principal, consortiumId: string): boolean {
    const members = this.consortia.get(consortiumId)?.members ?? [];
    return members.some((m) => [null, ...[...this.sites.values()].filter((s) => s.institutionId === m.institutionId).map((s) => s.id)]
      .some((siteId) => this.canAct(principal, 'mobility.apply', { institutionId: m.institutionId, consortiumId, siteId }).allowed));
  }

  /**
   * Institutions some of whose mobilities the principal may read: a coarse prefilter
   * (institution_id = ANY(...)). Exact filtering needs readFilter, because a consortium scope
   * does not cover a member's own-project mobilities.
   */
  visibleInstitutions(principal: Principal): ReadonlySet<string> {
    const f = this.readFilter(principal);
    const out = new Set(f.institutionIds);
    for (const id of f.consortiumIds) for (const m of this.consortia.get(id)?.members ?? []) out.add(m.institutionId);
    for (const id of f.siteIds) { const s = this.sites.get(id); if (s) out.add(s.institutionId); }
    return out;
  }
}

/** Whether a resolved scope passes a read filter: the predicate the SQL WHERE clause implements. */
export const readFilterMatches = (f: ReadFilter, s: ResolvedScope): boolean =>
  f.institutionIds.includes(s.institutionId) ||
  (s.consortiumId !== null && f.consortiumIds.includes(s.consortiumId)) ||
  (s.siteId !== null && f.siteIds.includes(s.siteId));

const where = (s: ResolvedScope): string =>
  `a mobility of institution ${s.institutionId}` +
  (s.siteId ? ` (site ${s.siteId})` : '') +
  (s.consortiumId ? ` funded by consortium ${s.consortiumId}` : ` on its own project`) +
  ` in network ${s.networkId}`;
