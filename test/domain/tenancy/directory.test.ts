import { describe, expect, it } from 'vitest';
import { DirectoryData, TenantDirectory, readFilterMatches } from '../../../domain/tenancy';
import { DATA, own, user } from './fixture';

const dir = TenantDirectory.from(DATA);

const issuePaths = (data: unknown): string[] => {
  const r = DirectoryData.safeParse(data);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('directory data (users-and-processes.md "Tenancy")', () => {
  it('accepts the reference organisations', () => {
    expect(issuePaths(DATA)).toEqual([]);
  });

  it('names the field of an unknown network', () => {
    const bad = { ...DATA, institutions: [...DATA.institutions, { id: 'X1', networkId: 'NOPE', name: 'x' }] };
    expect(issuePaths(bad)).toEqual(['institutions.7.networkId: unknown network NOPE']);
  });

  it('requires exactly one coordination-finance member per consortium (the grant beneficiary, §2)', () => {
    const twoCoordinators = { ...DATA, consortia: [{ ...DATA.consortia[0]!, members: [
      { institutionId: 'ALZON', functions: ['coordination-finance'] },
      { institutionId: 'CCI', functions: ['coordination-finance'] },
    ] }] };
    expect(issuePaths(twoCoordinators)).toEqual(['consortia.0.members: exactly one member must hold coordination-finance (found 2)']);
  });

  it('keeps a consortium inside its network', () => {
    const crossNetwork = { ...DATA, consortia: [{ id: 'C-X', networkId: 'NET-FR', name: 'x', members: [
      { institutionId: 'ALZON', functions: ['coordination-finance'] },
      { institutionId: 'BRUX', functions: [] },
    ] }] };
    expect(issuePaths(crossNetwork)).toEqual(['consortia.0.members.1.institutionId: institution BRUX is in network NET-BE, not NET-FR']);
  });

  it('rejects duplicate ids and unknown fields', () => {
    expect(issuePaths({ ...DATA, sites: [...DATA.sites, DATA.sites[0]] })).toEqual(['sites: duplicate id SOLO-S1']);
    expect(DirectoryData.safeParse({ ...DATA, extra: 1 }).success).toBe(false);
  });
});

describe('scopeOf', () => {
  it('fills in the network from the institution', () => {
    expect(dir.scopeOf(own('SALLE', 'C-GARD'))).toEqual({ ok: true, scope: { networkId: 'NET-FR', consortiumId: 'C-GARD', institutionId: 'SALLE', siteId: null } });
  });
  it.each([
    [own('SOLO', 'C-GARD'), 'institution SOLO is not a member of consortium C-GARD'],
    [own('SOLO', null, 'ALZON-S1'), 'site ALZON-S1 belongs to institution ALZON, not SOLO'],
    [{ ...own('SOLO'), networkId: 'NET-BE' }, 'institution SOLO belongs to network NET-FR, not NET-BE'],
    [own('GHOST'), 'unknown institution GHOST'],
    [own('SOLO', 'C-GHOST'), 'unknown consortium C-GHOST'],
  ])('rejects an inconsistent ownership %o', (o, reason) => {
    expect(dir.scopeOf(o)).toEqual({ ok: false, reason });
  });
});

describe('canRead: strict tenant isolation', () => {
  it('a network director sees every mobility of the network (001), nothing of another network', () => {
    const director = user(['network-director', 'network', 'NET-FR']);
    for (const o of [own('SOLO', null, 'SOLO-S2'), own('SALLE', 'C-ACAD'), own('CCI', 'C-GARD')]) expect(dir.canRead(director, o).allowed).toBe(true);
    expect(dir.canRead(director, own('BRUX'))).toMatchObject({ allowed: false, reason: expect.stringContaining('does not cover') });
  });

  it('a consortium role sees the consortium-funded mobilities of every member, and only those', () => {
    const quality = user(['quality-controller', 'consortium', 'C-GARD']);
    expect(dir.canRead(quality, own('CCI', 'C-GARD')).allowed).toBe(true);
    // SALLE is also in C-ACAD and has its own project: neither is C-GARD's business.
    expect(dir.canRead(quality, own('SALLE', 'C-ACAD')).allowed).toBe(false);
    expect(dir.canRead(quality, own('SALLE')).allowed).toBe(false);
  });

  it('an institution coordinator sees all of its institution and nothing else', () => {
    const salle = user(['institution-coordinator', 'institution', 'SALLE']);
    expect(dir.canRead(salle, own('SALLE', 'C-GARD')).allowed).toBe(true);
    expect(dir.canRead(salle, own('SALLE', 'C-ACAD')).allowed).toBe(true);
    expect(dir.canRead(salle, own('SALLE')).allowed).toBe(true);
    expect(dir.canRead(salle, own('CCI', 'C-GARD')).allowed).toBe(false);
  });

  it('a site coordinator sees only its site (004)', () => {
    const site = user(['site-coordinator', 'site', 'SOLO-S1']);
    expect(dir.canRead(site, own('SOLO', null, 'SOLO-S1')).allowed).toBe(true);
    expect(dir.canRead(site, own('SOLO', null, 'SOLO-S2')).allowed).toBe(false);
    expect(dir.canRead(site, own('SOLO')).allowed).toBe(false);
  });

  it('every denial carries a reason', () => {
    expect(dir.canRead(user(), own('SOLO'))).toEqual({ allowed: false, reason: 'U-1 holds no role' });
    expect(dir.canRead(user(['institution-coordinator', 'institution', 'SOLO']), own('GHOST'))).toEqual({ allowed: false, reason: 'unknown institution GHOST' });
  });
});

describe('grants', () => {
  it.each([
    [['site-coordinator', 'institution', 'SOLO'], 'site-coordinator@institution:SOLO: site-coordinator cannot be granted at institution level'],
    [['institution-coordinator', 'institution', 'NOPE'], 'institution-coordinator@institution:NOPE: unknown institution NOPE'],
    // C-MIN declares no quality-control member: there is nobody to act as its quality controller (002).
    [['quality-controller', 'consortium', 'C-MIN'], 'quality-controller@consortium:C-MIN: no member of consortium C-MIN holds quality-control'],
  ] as const)('an invalid grant %o gives nothing, with its reason', ([role, kind, id], reason) => {
    const p = user([role, kind, id]);
    expect(dir.checkGrant(p.roles[0]!)).toEqual({ valid: false, reason });
    expect(dir.canRead(p, own('SOLO'))).toEqual({ allowed: false, reason });
  });
});

describe('canAct: actions follow roles and consortium functions (002, 003)', () => {
  it('observers only read', () => {
    const obs = user(['observer', 'consortium', 'C-GARD']);
    expect(dir.canRead(obs, own('CCI', 'C-GARD')).allowed).toBe(true);
    expect(dir.canAct(obs, 'quality.view', own('CCI', 'C-GARD'))).toEqual({ allowed: false, reason: 'observer@consortium:C-GARD is read-only' });
  });

  it('the quality controller has the quality dashboard, not the money', () => {
    const q = user(['quality-controller', 'consortium', 'C-GARD']);
    expect(dir.canAct(q, 'quality.view', own('ALZON', 'C-GARD')).allowed).toBe(true);
    expect(dir.canAct(q, 'payment.order', own('ALZON', 'C-GARD'))).toEqual({ allowed: false, reason: 'quality-controller@consortium:C-GARD may not payment.order' });
  });

  it('the consortium coordinator pays the grants of every member (003)', () => {
    const coord = user(['consortium-coordinator', 'consortium', 'C-ACAD']);
    expect(dir.canAct(coord, 'payment.order', own('SCHOOL1', 'C-ACAD')).allowed).toBe(true);
    expect(dir.canAct(coord, 'mobility.select', own('SCHOOL1', 'C-ACAD')).allowed).toBe(false);
  });

  it('a member coordinator cannot pay on a consortium mobility unless the member holds coordination-finance', () => {
    const cci = user(['institution-coordinator', 'institution', 'CCI']);
    expect(dir.canAct(cci, 'payment.order', own('CCI', 'C-GARD'))).toEqual({
      allowed: false,
      reason: 'institution-coordinator@institution:CCI: payment.order on consortium C-GARD mobilities belongs to the member holding coordination-finance',
    });
    // CCI holds administrative-management in C-GARD: it signs the agreements there.
    expect(dir.canAct(cci, 'mobility.sign-agreement', own('CCI', 'C-GARD')).allowed).toBe(true);
    const alzon = user(['institution-coordinator', 'institution', 'ALZON']);
    expect(dir.canAct(alzon, 'payment.order', own('ALZON', 'C-GARD')).allowed).toBe(true);
    expect(dir.canAct(alzon, 'mobility.sign-agreement', own('ALZON', 'C-GARD')).allowed).toBe(false);
  });

  it('on its own project an institution coordinator does everything an institution does', () => {
    const solo = user(['institution-coordinator', 'institution', 'SOLO']);
    for (const a of ['payment.order', 'mobility.sign-agreement', 'project.manage', 'export.beneficiary-module', 'mobility.select'] as const)
      expect(dir.canAct(solo, a, own('SOLO', null, 'SOLO-S1')).allowed).toBe(true);
  });

  it('a site coordinator follows its participants but neither selects nor pays', () => {
    const site = user(['site-coordinator', 'site', 'SOLO-S1']);
    const o = own('SOLO', null, 'SOLO-S1');
    expect(dir.canAct(site, 'mobility.record-report', o).allowed).toBe(true);
    expect(dir.canAct(site, 'mobility.certify-attendance', o).allowed).toBe(true);
    expect(dir.canAct(site, 'mobility.select', o).allowed).toBe(false);
    expect(dir.canAct(site, 'payment.order', o).allowed).toBe(false);
  });

  it('the network director sees dashboards but does not act on mobilities', () => {
    const director = user(['network-director', 'network', 'NET-FR']);
    expect(dir.canAct(director, 'budget.view', own('GIP', 'C-ACAD')).allowed).toBe(true);
    expect(dir.canAct(director, 'payment.order', own('GIP', 'C-ACAD')).allowed).toBe(false);
  });

  it('an action is granted by any one of several grants', () => {
    const p = user(['observer', 'network', 'NET-FR'], ['quality-controller', 'consortium', 'C-GARD']);
    expect(dir.canAct(p, 'quality.view', own('CCI', 'C-GARD'))).toEqual({ allowed: true, grant: { role: 'quality-controller', scope: { kind: 'consortium', id: 'C-GARD' } } });
  });
});

describe('bad input', () => {
  it('an unknown action or a malformed ownership is a zod error naming the field', () => {
    const p = user(['institution-coordinator', 'institution', 'SOLO']);
    expect(() => dir.canAct(p, 'mobility.teleport' as never, own('SOLO'))).toThrow(/Invalid option/);
    expect(() => dir.canRead(p, { consortiumId: null, institutionId: 'SOLO' } as never)).toThrow(/siteId/);
    expect(() => dir.canRead({ userRef: 'U', roles: [{ role: 'admin', scope: { kind: 'network', id: 'NET-FR' } }] } as never, own('SOLO'))).toThrow(/role/);
  });
});

describe('read filter for SQL', () => {
  it('lists exactly the scopes, and visibleInstitutions widens consortia to their members', () => {
    const p = user(['quality-controller', 'consortium', 'C-GARD'], ['site-coordinator', 'site', 'SOLO-S2'], ['institution-coordinator', 'institution', 'NOPE']);
    expect(dir.readFilter(p)).toEqual({ institutionIds: [], consortiumIds: ['C-GARD'], siteIds: ['SOLO-S2'] });
    expect([...dir.visibleInstitutions(p)].sort()).toEqual(['ALZON', 'CCI', 'SALLE', 'SOLO']);
    expect(readFilterMatches(dir.readFilter(p), { networkId: 'NET-FR', consortiumId: 'C-ACAD', institutionId: 'SALLE', siteId: null })).toBe(false);
  });
  it('a network director gets every institution of the network', () => {
    expect(dir.readFilter(user(['network-director', 'network', 'NET-FR'])).institutionIds).toEqual(['ALZON', 'CCI', 'GIP', 'SALLE', 'SCHOOL1', 'SOLO']);
  });
});
