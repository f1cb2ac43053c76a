import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contains, decideOrgChange, DirectoryData, managedUnits, mayGrant, mayManage, mayManageAccount, reaches, Role, ScopeKind,
  type Principal, type RoleGrant,
} from '../../../domain/tenancy';
import { arbDirectory } from './arbitraries';
import { DATA, user } from './fixture';

const g = (role: Role, kind: ScopeKind, id: string): RoleGrant => ({ role, scope: { kind, id } });

describe('who manages which part of the organisation', () => {
  it('given a consortium coordinator, when it asks about its members and their sites, then it manages them, but not the network nor another consortium', () => {
    const coord = user(['consortium-coordinator', 'consortium', 'C-GARD']);
    expect(mayManage(DATA, coord, { kind: 'consortium', id: 'C-GARD' }).allowed).toBe(true);
    expect(mayManage(DATA, coord, { kind: 'institution', id: 'CCI' }).allowed).toBe(true);
    expect(mayManage(DATA, coord, { kind: 'site', id: 'ALZON-S1' }).allowed).toBe(true);
    expect(mayManage(DATA, coord, { kind: 'network', id: 'NET-FR' })).toMatchObject({ allowed: false, status: 403 });
    expect(mayManage(DATA, coord, { kind: 'consortium', id: 'C-ACAD' })).toMatchObject({ allowed: false, status: 404 });
    expect(mayManage(DATA, coord, { kind: 'institution', id: 'SOLO' })).toMatchObject({ allowed: false, status: 404 });
  });

  it('given a network director, then it manages everything in its network and nothing in another', () => {
    const dir = user(['network-director', 'network', 'NET-FR']);
    for (const [kind, id] of [['network', 'NET-FR'], ['consortium', 'C-ACAD'], ['institution', 'SOLO'], ['site', 'SOLO-S2']] as const)
      expect(mayManage(DATA, dir, { kind, id }).allowed, `${kind} ${id}`).toBe(true);
    expect(mayManage(DATA, dir, { kind: 'institution', id: 'BRUX' })).toMatchObject({ allowed: false, status: 404 });
  });

  it('given read-only roles (administrative manager, quality controller, site coordinator, observer), then they see their part but manage nothing (403)', () => {
    expect(mayManage(DATA, user(['administrative-manager', 'consortium', 'C-GARD']), { kind: 'institution', id: 'ALZON' })).toMatchObject({ allowed: false, status: 403 });
    expect(mayManage(DATA, user(['observer', 'institution', 'SOLO']), { kind: 'site', id: 'SOLO-S1' })).toMatchObject({ allowed: false, status: 403 });
    // a site coordinator sees its institution (it contains the site) but manages neither
    expect(mayManage(DATA, user(['site-coordinator', 'site', 'SOLO-S1']), { kind: 'institution', id: 'SOLO' })).toMatchObject({ allowed: false, status: 403 });
    expect(mayManage(DATA, user(['site-coordinator', 'site', 'SOLO-S1']), { kind: 'site', id: 'SOLO-S2' })).toMatchObject({ allowed: false, status: 404 });
  });

  it('given an institution coordinator, when it grants roles, then only within its institution and never a wider one', () => {
    const io = user(['institution-coordinator', 'institution', 'SOLO']);
    expect(mayGrant(DATA, io, g('site-coordinator', 'site', 'SOLO-S1')).allowed).toBe(true);
    expect(mayGrant(DATA, io, g('institution-coordinator', 'institution', 'SOLO')).allowed).toBe(true);
    expect(mayGrant(DATA, io, g('network-director', 'network', 'NET-FR'))).toMatchObject({ allowed: false, status: 403, field: 'role' });
    expect(mayGrant(DATA, io, g('consortium-coordinator', 'consortium', 'C-GARD'))).toMatchObject({ allowed: false, status: 404, field: 'scopeId' });
    expect(mayGrant(DATA, io, g('site-coordinator', 'institution', 'SOLO'))).toMatchObject({ allowed: false, status: 400, field: 'scopeKind' });
  });

  it('given a consortium without a quality-control member, when a quality controller is granted there, then it is refused naming the role', () => {
    expect(mayGrant(DATA, user(['consortium-coordinator', 'consortium', 'C-MIN']), g('quality-controller', 'consortium', 'C-MIN'))).toMatchObject({ allowed: false, status: 400, field: 'role' });
  });

  it('given an account holding a grant outside my scope, when I try to change it, then 403; an account wholly outside, 404', () => {
    const coord = user(['consortium-coordinator', 'consortium', 'C-GARD']);
    expect(mayManageAccount(DATA, coord, 'x', [g('institution-coordinator', 'institution', 'CCI')]).allowed).toBe(true);
    expect(mayManageAccount(DATA, coord, 'x', [g('institution-coordinator', 'institution', 'CCI'), g('network-director', 'network', 'NET-FR')])).toMatchObject({ allowed: false, status: 403 });
    expect(mayManageAccount(DATA, coord, 'x', [g('institution-coordinator', 'institution', 'SOLO')])).toMatchObject({ allowed: false, status: 404 });
  });
});

describe('changes to the organisation', () => {
  const coord = user(['consortium-coordinator', 'consortium', 'C-GARD']);

  it('given a consortium coordinator, when it creates an institution in its consortium, then the institution joins it in the consortium network', () => {
    const r = decideOrgChange(DATA, coord, { kind: 'create-institution', id: 'NEWCOL', name: 'New college', oid: 'E12345678', consortiumId: 'C-GARD' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data.institutions.find((i) => i.id === 'NEWCOL')).toEqual({ id: 'NEWCOL', networkId: 'NET-FR', name: 'New college', oid: 'E12345678' });
    expect(r.data.consortia.find((c) => c.id === 'C-GARD')!.members.map((m) => m.institutionId)).toContain('NEWCOL');
    expect(mayManage(r.data, coord, { kind: 'institution', id: 'NEWCOL' }).allowed).toBe(true);
  });

  it('refuses, naming the field: no registry code, another consortium, a taken id or code, a second coordinator, the network itself', () => {
    expect(decideOrgChange(DATA, coord, { kind: 'create-institution', id: 'X1', name: 'x', consortiumId: 'C-GARD' })).toMatchObject({ ok: false, status: 400, field: 'oid' });
    expect(decideOrgChange(DATA, coord, { kind: 'create-institution', id: 'X1', name: 'x', oid: 'E12345678', consortiumId: 'C-ACAD' })).toMatchObject({ ok: false, status: 404, field: 'consortiumId' });
    expect(decideOrgChange(DATA, coord, { kind: 'create-institution', id: 'X1', name: 'x', oid: 'E12345678', networkId: 'NET-FR' })).toMatchObject({ ok: false, status: 403, field: 'networkId' });
    expect(decideOrgChange(DATA, coord, { kind: 'create-institution', id: 'CCI', name: 'x', oid: 'E12345678', consortiumId: 'C-GARD' })).toMatchObject({ ok: false, status: 409, field: 'id' });
    expect(decideOrgChange(DATA, coord, { kind: 'create-institution', id: 'X1', name: 'x', oid: 'bad', consortiumId: 'C-GARD' })).toMatchObject({ ok: false, status: 400, field: 'oid' });
    expect(decideOrgChange(DATA, coord, { kind: 'set-member', consortiumId: 'C-GARD', institutionId: 'CCI', functions: ['coordination-finance'] })).toMatchObject({ ok: false, status: 409, field: 'functions' });
    expect(decideOrgChange(DATA, coord, { kind: 'update-network', id: 'NET-FR', name: 'mine' })).toMatchObject({ ok: false, status: 403 });
    const withCode = decideOrgChange(DATA, coord, { kind: 'update-institution', id: 'ALZON', oid: 'E11111111' });
    expect(withCode.ok).toBe(true);
    if (withCode.ok) expect(decideOrgChange(withCode.data, coord, { kind: 'update-institution', id: 'CCI', oid: 'E11111111' })).toMatchObject({ ok: false, status: 409, field: 'oid' });
  });

  it('a coordinator may not annex an institution it does not manage; the network director may bring it in', () => {
    expect(decideOrgChange(DATA, coord, { kind: 'set-member', consortiumId: 'C-GARD', institutionId: 'SOLO', functions: [] })).toMatchObject({ ok: false, status: 404, field: 'institutionId' });
    expect(decideOrgChange(DATA, user(['network-director', 'network', 'NET-FR']), { kind: 'set-member', consortiumId: 'C-GARD', institutionId: 'SOLO', functions: [] }).ok).toBe(true);
  });
});

// ---------------------------------------------------------------- properties

const idsOf = (d: DirectoryData, kind: ScopeKind): string[] =>
  ({ network: d.networks, consortium: d.consortia, institution: d.institutions, site: d.sites })[kind].map((x) => x.id);
const units = (d: DirectoryData) => ScopeKind.options.flatMap((kind) => idsOf(d, kind).map((id) => ({ kind, id })));
const arbGrant = (d: DirectoryData): fc.Arbitrary<RoleGrant> =>
  fc.record({ role: fc.constantFrom(...Role.options), kind: fc.constantFrom(...ScopeKind.options) }).chain(({ role, kind }) =>
    fc.constantFrom(...idsOf(d, kind), 'UNKNOWN').map((id) => ({ role, scope: { kind, id } })));
const arbWorld = arbDirectory.chain((data) =>
  fc.record({ data: fc.constant(data), principal: fc.array(arbGrant(data), { maxLength: 3 }).map((roles): Principal => ({ userRef: 'U', roles })), grant: arbGrant(data) }));
const RUNS = { numRuns: 300 };

describe('scope properties', () => {
  it('no escalation: every unit a granted role would cover is a unit the granter already manages', () => {
    fc.assert(fc.property(arbWorld, ({ data, principal, grant }) => {
      if (!mayGrant(data, principal, grant).allowed) return;
      const before = managedUnits(data, principal);
      for (const u of units(data)) if (contains(data, grant.scope, u)) expect(before[u.kind]).toContain(u.id);
    }), RUNS);
  });

  it('managing implies seeing; 404 exactly when the unit is outside every grant of the principal', () => {
    fc.assert(fc.property(arbWorld, ({ data, principal }) => {
      for (const u of [...units(data), { kind: 'institution' as const, id: 'UNKNOWN' }]) {
        const d = mayManage(data, principal, u);
        if (d.allowed) expect(reaches(data, principal, u)).toBe(true);
        else expect(d.status === 404).toBe(!reaches(data, principal, u));
      }
    }), RUNS);
  });

  it('only the three managing roles ever manage anything', () => {
    fc.assert(fc.property(arbWorld, ({ data, principal }) => {
      const m = managedUnits(data, principal);
      const any = Object.values(m).some((ids) => ids.length > 0);
      if (!principal.roles.some((r) => ['network-director', 'consortium-coordinator', 'institution-coordinator'].includes(r.role))) expect(any).toBe(false);
    }), RUNS);
  });

  it('an accepted change leaves a valid directory and the principal still manages what it touched', () => {
    fc.assert(fc.property(arbWorld, fc.nat(), ({ data, principal }, k) => {
      const inst = data.institutions[k % data.institutions.length]!;
      const change = [
        { kind: 'create-site' as const, id: `NEW-S${k}`, institutionId: inst.id, name: 'new site' },
        { kind: 'update-institution' as const, id: inst.id, name: 'renamed', oid: `E${String(10_000_000 + k).slice(-8)}` },
      ][k % 2]!;
      const r = decideOrgChange(data, principal, change);
      if (!r.ok) return;
      expect(DirectoryData.safeParse(r.data).success).toBe(true);
      expect(mayManage(r.data, principal, r.unit).allowed).toBe(true);
    }), RUNS);
  });
});
