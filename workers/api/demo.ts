import type pg from 'pg';
import type { RoleGrant } from '../../domain/tenancy';
import { saveDirectory, saveStaffUser } from './directory';

/**
 * A small demo directory: one network; one consortium of three members splitting the three
 * functions (Lyon coordinates and pays, Grenoble administers, Clermont controls quality); Paris,
 * an institution of the same network outside the consortium; two sites. `npm start`'s demo
 * (bin/demo.ts) gives the consortium a KA131 project and Paris a KA121 project, with mobilities
 * of every member and both sites, so every account below has something to see and to do.
 */
export const DEMO_DIRECTORY = {
  networks: [{ id: 'NET-FR-DEMO', name: 'Réseau Erasmus+ France (demo)' }],
  institutions: [
    { id: 'F-LYON-003', networkId: 'NET-FR-DEMO', name: 'Université de Lyon (demo)' },
    { id: 'F-GRENOB-002', networkId: 'NET-FR-DEMO', name: 'Université Grenoble Alpes (demo)' },
    { id: 'F-CLERMO-004', networkId: 'NET-FR-DEMO', name: 'Université Clermont Auvergne (demo)' },
    { id: 'F-PARIS-001', networkId: 'NET-FR-DEMO', name: 'Université de Paris (demo, outside the consortium)' },
  ],
  consortia: [{
    id: 'CONS-AURA-DEMO', networkId: 'NET-FR-DEMO', name: 'Consortium Auvergne-Rhône-Alpes (demo)',
    members: [
      { institutionId: 'F-LYON-003', functions: ['coordination-finance' as const] },
      { institutionId: 'F-GRENOB-002', functions: ['administrative-management' as const] },
      { institutionId: 'F-CLERMO-004', functions: ['quality-control' as const] },
    ],
  }],
  sites: [
    { id: 'F-LYON-003-BRON', institutionId: 'F-LYON-003', name: 'Campus Porte des Alpes, Bron (demo)' },
    { id: 'F-PARIS-001-NORD', institutionId: 'F-PARIS-001', name: 'Campus Nord (demo)' },
  ],
};

const g = (role: RoleGrant['role'], kind: RoleGrant['scope']['kind'], id: string): RoleGrant => ({ role, scope: { kind, id } });

/** Demo staff accounts; each password is `demo-<username>` (demo only — change or remove them anywhere real). */
export const DEMO_ACCOUNTS: { username: string; displayName: string; password: string; roles: RoleGrant[] }[] = [
  { username: 'director', displayName: 'Network director', roles: [g('network-director', 'network', 'NET-FR-DEMO')] },
  { username: 'coordinator', displayName: 'Consortium coordinator (Lyon)', roles: [g('consortium-coordinator', 'consortium', 'CONS-AURA-DEMO')] },
  { username: 'admin', displayName: 'Administrative manager (Grenoble)', roles: [g('administrative-manager', 'consortium', 'CONS-AURA-DEMO')] },
  { username: 'quality', displayName: 'Quality controller (Clermont)', roles: [g('quality-controller', 'consortium', 'CONS-AURA-DEMO')] },
  { username: 'lyon', displayName: 'International office, Lyon', roles: [g('institution-coordinator', 'institution', 'F-LYON-003')] },
  { username: 'grenoble', displayName: 'International office, Grenoble', roles: [g('institution-coordinator', 'institution', 'F-GRENOB-002')] },
  { username: 'bron', displayName: 'Site coordinator, Bron campus', roles: [g('site-coordinator', 'site', 'F-LYON-003-BRON')] },
  { username: 'paris', displayName: 'International office, Paris', roles: [g('institution-coordinator', 'institution', 'F-PARIS-001')] },
  { username: 'observer', displayName: 'Observer of the consortium', roles: [g('observer', 'consortium', 'CONS-AURA-DEMO')] },
].map((a) => ({ ...a, password: `demo-${a.username}` }));

/** Creates the demo directory and accounts (idempotent: existing ids are kept, demo passwords reset). */
export async function seedDemoTenancy(pool: pg.Pool): Promise<typeof DEMO_ACCOUNTS> {
  await saveDirectory(pool, DEMO_DIRECTORY);
  for (const a of DEMO_ACCOUNTS) await saveStaffUser(pool, a);
  return DEMO_ACCOUNTS;
}
