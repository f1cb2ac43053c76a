import type { DirectoryData, MobilityOwnership, Principal, Role, ScopeKind } from '../../../domain/tenancy';

/**
 * A directory shaped on the users-and-processes.md organisations:
 * - network NET-FR: the national network (001, 004) with its international directorate;
 * - consortium C-GARD (002): ALZON coordinates and manages the money, CCI runs administration, SALLE controls quality;
 * - consortium C-ACAD (003): the public body GIP holds all three functions; SALLE is also a member here;
 * - consortium C-MIN: declares only a coordinator (no administrative or quality function assigned);
 * - SOLO: an institution with its own project and two small sites (004), in no consortium;
 * - network NET-BE with one institution, to check isolation between networks.
 */
export const DATA: DirectoryData = {
  networks: [{ id: 'NET-FR', name: 'Réseau national' }, { id: 'NET-BE', name: 'Other network' }],
  institutions: [
    { id: 'ALZON', networkId: 'NET-FR', name: 'Institut' },
    { id: 'CCI', networkId: 'NET-FR', name: 'Lycée CCI' },
    { id: 'SALLE', networkId: 'NET-FR', name: 'Lycée La Salle' },
    { id: 'GIP', networkId: 'NET-FR', name: 'GIP académique' },
    { id: 'SCHOOL1', networkId: 'NET-FR', name: 'Lycée professionnel' },
    { id: 'SOLO', networkId: 'NET-FR', name: 'Centre régional' },
    { id: 'BRUX', networkId: 'NET-BE', name: 'Brussels college' },
  ],
  sites: [
    { id: 'SOLO-S1', institutionId: 'SOLO', name: 'Site 1' },
    { id: 'SOLO-S2', institutionId: 'SOLO', name: 'Site 2' },
    { id: 'ALZON-S1', institutionId: 'ALZON', name: 'Campus' },
  ],
  consortia: [
    { id: 'C-GARD', networkId: 'NET-FR', name: 'Consortium Gard', members: [
      { institutionId: 'ALZON', functions: ['coordination-finance'] },
      { institutionId: 'CCI', functions: ['administrative-management'] },
      { institutionId: 'SALLE', functions: ['quality-control'] },
    ] },
    { id: 'C-ACAD', networkId: 'NET-FR', name: 'Consortium académique', members: [
      { institutionId: 'GIP', functions: ['coordination-finance', 'administrative-management', 'quality-control'] },
      { institutionId: 'SCHOOL1', functions: [] },
      { institutionId: 'SALLE', functions: [] },
    ] },
    { id: 'C-MIN', networkId: 'NET-FR', name: 'Minimal consortium', members: [
      { institutionId: 'SCHOOL1', functions: ['coordination-finance'] },
    ] },
  ],
};

export const own = (institutionId: string, consortiumId: string | null = null, siteId: string | null = null): MobilityOwnership =>
  ({ consortiumId, institutionId, siteId });

export const user = (...grants: [Role, ScopeKind, string][]): Principal =>
  ({ userRef: 'U-1', roles: grants.map(([role, kind, id]) => ({ role, scope: { kind, id } })) });
