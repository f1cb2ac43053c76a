import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS, ROLE_SCOPES, Role, ScopeKind, TenantDirectory, readFilterMatches,
  type Action, type DirectoryData, type MobilityOwnership, type Principal, type RoleGrant,
} from '../../../domain/tenancy';
import { arbDirectory } from './arbitraries';

// ---- generators: random but valid directories, ownerships drawn from them, principals with arbitrary grants ----

/** All valid ownerships in a directory: every institution × (own project | each of its consortia) × (no site | each of its sites). */
const ownershipsOf = (d: DirectoryData): MobilityOwnership[] =>
  d.institutions.flatMap((i) => {
    const consortia = [null, ...d.consortia.filter((c) => c.members.some((m) => m.institutionId === i.id)).map((c) => c.id)];
    const sites = [null, ...d.sites.filter((s) => s.institutionId === i.id).map((s) => s.id)];
    return consortia.flatMap((consortiumId) => sites.map((siteId) => ({ consortiumId, institutionId: i.id, siteId })));
  });

const idsOf = (d: DirectoryData, kind: ScopeKind): string[] =>
  ({ network: d.networks, consortium: d.consortia, institution: d.institutions, site: d.sites })[kind].map((x) => x.id);

/** Grants on ids of the directory (plus an unknown one), any role at any level: invalid grants included on purpose. */
const arbGrant = (d: DirectoryData): fc.Arbitrary<RoleGrant> =>
  fc.record({ role: fc.constantFrom(...Role.options), kind: fc.constantFrom(...ScopeKind.options) }).chain(({ role, kind }) =>
    fc.constantFrom(...idsOf(d, kind), 'UNKNOWN').map((id) => ({ role, scope: { kind, id } })));

const arbPrincipal = (d: DirectoryData): fc.Arbitrary<Principal> =>
  fc.array(arbGrant(d), { maxLength: 4 }).map((roles) => ({ userRef: 'U-prop', roles }));

const arbWorld = arbDirectory.chain((data) => fc.record({ data: fc.constant(data), principal: arbPrincipal(data), extra: arbGrant(data) }));

const ACTION_NAMES = Object.keys(ACTIONS) as Action[];

/**
 * Independent oracle, written from the raw data rather than the directory: does this grant's scope
 * contain the mobility? Only the role/level rule is applied: this is a necessary condition for access.
 */
const oracleCovers = (d: DirectoryData, g: RoleGrant, o: MobilityOwnership): boolean => {
  if (!ROLE_SCOPES[g.role].includes(g.scope.kind)) return false;
  const inst = d.institutions.find((i) => i.id === o.institutionId)!;
  switch (g.scope.kind) {
    case 'network': return inst.networkId === g.scope.id;
    case 'consortium': return o.consortiumId === g.scope.id;
    case 'institution': return o.institutionId === g.scope.id;
    case 'site': return o.siteId === g.scope.id;
  }
};

const RUNS = { numRuns: 300 };

describe('tenancy invariants (property)', () => {
  it('a principal never reads a mobility outside its scopes; every denial has a reason', () => {
    fc.assert(fc.property(arbWorld, ({ data, principal }) => {
      const dir = TenantDirectory.from(data);
      for (const o of ownershipsOf(data)) {
        const r = dir.canRead(principal, o);
        if (r.allowed) {
          expect(principal.roles.some((g) => oracleCovers(data, g, o))).toBe(true);
          expect(oracleCovers(data, r.grant, o)).toBe(true);
        } else expect(r.reason.length).toBeGreaterThan(0);
        for (const a of ACTION_NAMES) {
          const act = dir.canAct(principal, a, o);
          if (act.allowed) expect(r.allowed).toBe(true); // acting implies reading
          else expect(act.reason.length).toBeGreaterThan(0);
        }
      }
    }), RUNS);
  });

  it('the SQL read filter selects exactly the readable mobilities, within visibleInstitutions', () => {
    fc.assert(fc.property(arbWorld, ({ data, principal }) => {
      const dir = TenantDirectory.from(data);
      const filter = dir.readFilter(principal);
      const visible = dir.visibleInstitutions(principal);
      for (const o of ownershipsOf(data)) {
        const s = dir.scopeOf(o);
        if (!s.ok) throw new Error(s.reason);
        const readable = dir.canRead(principal, o).allowed;
        expect(readFilterMatches(filter, s.scope)).toBe(readable);
        if (readable) expect(visible.has(o.institutionId)).toBe(true);
      }
    }), RUNS);
  });

  it('adding a grant never removes read or act access', () => {
    fc.assert(fc.property(arbWorld, ({ data, principal, extra }) => {
      const dir = TenantDirectory.from(data);
      const wider = { ...principal, roles: [...principal.roles, extra] };
      for (const o of ownershipsOf(data)) {
        if (dir.canRead(principal, o).allowed) expect(dir.canRead(wider, o).allowed).toBe(true);
        for (const a of ACTION_NAMES) if (dir.canAct(principal, a, o).allowed) expect(dir.canAct(wider, a, o).allowed).toBe(true);
      }
    }), RUNS);
  });

  it('widening a scope to its parent (site → institution → network, consortium → network) never removes read access', () => {
    const parentOf = (d: DirectoryData, g: RoleGrant): RoleGrant | null => {
      const { kind, id } = g.scope;
      if (kind === 'site') { const s = d.sites.find((x) => x.id === id); return s ? { role: g.role, scope: { kind: 'institution', id: s.institutionId } } : null; }
      if (kind === 'institution') { const i = d.institutions.find((x) => x.id === id); return i ? { role: g.role, scope: { kind: 'network', id: i.networkId } } : null; }
      if (kind === 'consortium') { const c = d.consortia.find((x) => x.id === id); return c ? { role: g.role, scope: { kind: 'network', id: c.networkId } } : null; }
      return null;
    };
    fc.assert(fc.property(arbWorld, ({ data, principal }) => {
      const dir = TenantDirectory.from(data);
      // Observers may sit at any level, so their scope can always be widened without changing the role.
      const observers = principal.roles.map((g) => ({ ...g, role: 'observer' as const }));
      const narrow = { ...principal, roles: observers };
      const wide = { ...principal, roles: observers.map((g) => parentOf(data, g) ?? g) };
      for (const o of ownershipsOf(data)) if (dir.canRead(narrow, o).allowed) expect(dir.canRead(wide, o).allowed).toBe(true);
    }), RUNS);
  });

  it('an institution in consortium A is never visible to any consortium-B role unless it is also a member of B', () => {
    fc.assert(fc.property(arbWorld, fc.constantFrom(...Role.options), ({ data }, role) => {
      const dir = TenantDirectory.from(data);
      for (const b of data.consortia) {
        const principal: Principal = { userRef: 'U-B', roles: [{ role, scope: { kind: 'consortium', id: b.id } }] };
        const members = new Set(b.members.map((m) => m.institutionId));
        const visible = dir.visibleInstitutions(principal);
        for (const o of ownershipsOf(data)) {
          if (members.has(o.institutionId)) continue;
          expect(dir.canRead(principal, o).allowed).toBe(false);
          expect(visible.has(o.institutionId)).toBe(false);
        }
        // and even a member's mobilities are visible only when B funds them
        for (const o of ownershipsOf(data)) if (o.consortiumId !== b.id) expect(dir.canRead(principal, o).allowed).toBe(false);
      }
    }), RUNS);
  });
});
