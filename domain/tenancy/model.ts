import { z } from 'zod';
import { OrgId } from '../ids';

/**
 * Tenancy: network → consortium → member institution → site (users-and-processes.md, "What this means").
 * Plain data, validated once at the edge; TenantDirectory (directory.ts) answers questions about it.
 */

/**
 * The functions a consortium splits between its members (users-and-processes.md 002, 003):
 * one member coordinates and manages the money, one runs administration, one controls quality.
 * A single member may hold several (003: the coordinating GIP holds all three).
 */
export const ConsortiumFunction = z.enum(['coordination-finance', 'administrative-management', 'quality-control']);
export type ConsortiumFunction = z.infer<typeof ConsortiumFunction>;

export const Network = z.strictObject({ id: OrgId, name: z.string().min(1) });
export type Network = z.infer<typeof Network>;

export const ConsortiumMember = z.strictObject({
  institutionId: OrgId,
  functions: z.array(ConsortiumFunction).refine((fs) => new Set(fs).size === fs.length, 'a function is listed twice'),
});
export type ConsortiumMember = z.infer<typeof ConsortiumMember>;

export const Consortium = z.strictObject({
  id: OrgId,
  networkId: OrgId,
  name: z.string().min(1),
  members: z.array(ConsortiumMember).min(1),
});
export type Consortium = z.infer<typeof Consortium>;

/**
 * The registry identifiers of an institution (§3: the Beneficiary Module names organisations by OID):
 * the Erasmus institutional code of a higher-education institution (ECHE holders: "F  LYON03", "D-BERLIN-01")
 * and the organisation ID of the EU's Organisation Registration System (E + 8 digits). Both are public
 * registry codes, never free text.
 */
export const ErasmusCode = z.string().regex(/^[A-Z]{1,3}[ -]{1,2}[A-Z]{3,}[ -]?\d{2,3}$/, 'Erasmus code: country letters, city letters and a number (e.g. F  LYON03, D-BERLIN-01)');
export const Oid = z.string().regex(/^E\d{8}$/, 'OID: E and 8 digits (e.g. E10208646)');

/** An institution belongs to one network; consortium membership is held by the consortium (an institution may sit in several). */
export const Institution = z.strictObject({
  id: OrgId,
  networkId: OrgId,
  name: z.string().min(1),
  erasmusCode: ErasmusCode.optional(),
  oid: Oid.optional(),
});
export type Institution = z.infer<typeof Institution>;

export const Site = z.strictObject({ id: OrgId, institutionId: OrgId, name: z.string().min(1) });
export type Site = z.infer<typeof Site>;

const duplicates = (ids: readonly string[]): string[] => ids.filter((id, i) => ids.indexOf(id) !== i);

export const DirectoryData = z
  .strictObject({
    networks: z.array(Network),
    consortia: z.array(Consortium),
    institutions: z.array(Institution),
    sites: z.array(Site),
  })
  .superRefine((d, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    for (const key of ['networks', 'consortia', 'institutions', 'sites'] as const) {
      for (const id of duplicates(d[key].map((x) => x.id))) issue([key], `duplicate id ${id}`);
    }
    for (const code of ['erasmusCode', 'oid'] as const) {
      const held = d.institutions.flatMap((i) => (i[code] ? [i[code]] : []));
      for (const v of duplicates(held)) issue(['institutions'], `${code} ${v} is held by two institutions`);
    }
    const networks = new Set(d.networks.map((n) => n.id));
    const institutionNetwork = new Map(d.institutions.map((i) => [i.id, i.networkId]));
    d.institutions.forEach((inst, i) => {
      if (!networks.has(inst.networkId)) issue(['institutions', i, 'networkId'], `unknown network ${inst.networkId}`);
    });
    d.sites.forEach((site, i) => {
      if (!institutionNetwork.has(site.institutionId)) issue(['sites', i, 'institutionId'], `unknown institution ${site.institutionId}`);
    });
    d.consortia.forEach((c, ci) => {
      if (!networks.has(c.networkId)) issue(['consortia', ci, 'networkId'], `unknown network ${c.networkId}`);
      for (const id of duplicates(c.members.map((m) => m.institutionId))) issue(['consortia', ci, 'members'], `institution ${id} listed twice`);
      c.members.forEach((m, mi) => {
        const net = institutionNetwork.get(m.institutionId);
        if (net === undefined) issue(['consortia', ci, 'members', mi, 'institutionId'], `unknown institution ${m.institutionId}`);
        else if (net !== c.networkId) issue(['consortia', ci, 'members', mi, 'institutionId'], `institution ${m.institutionId} is in network ${net}, not ${c.networkId}`);
      });
      // The coordinator is the beneficiary of the grant agreement: exactly one member (§2, "Beneficiary GA").
      const coordinators = c.members.filter((m) => m.functions.includes('coordination-finance')).length;
      if (coordinators !== 1) issue(['consortia', ci, 'members'], `exactly one member must hold coordination-finance (found ${coordinators})`);
    });
  });
export type DirectoryData = z.infer<typeof DirectoryData>;

/** User roles (users-and-processes.md: "Roles"). Participants and hosts act through the institution. */
export const Role = z.enum([
  'network-director',
  'consortium-coordinator',
  'administrative-manager',
  'quality-controller',
  'institution-coordinator',
  'site-coordinator',
  'observer',
]);
export type Role = z.infer<typeof Role>;

export const ScopeKind = z.enum(['network', 'consortium', 'institution', 'site']);
export type ScopeKind = z.infer<typeof ScopeKind>;

export const Scope = z.strictObject({ kind: ScopeKind, id: OrgId });
export type Scope = z.infer<typeof Scope>;

export const RoleGrant = z.strictObject({ role: Role, scope: Scope });
export type RoleGrant = z.infer<typeof RoleGrant>;

export const Principal = z.strictObject({
  userRef: z.string().min(1),
  roles: z.array(RoleGrant),
});
export type Principal = z.infer<typeof Principal>;

/**
 * Who owns a mobility (or a project, with siteId null): the sending institution, the consortium whose
 * grant agreement funds it (null for the institution's own project) and, optionally, the site.
 * networkId is optional because the directory knows it; when given it must agree.
 */
export const MobilityOwnership = z.strictObject({
  networkId: OrgId.optional(),
  consortiumId: OrgId.nullable(),
  institutionId: OrgId,
  siteId: OrgId.nullable(),
});
export type MobilityOwnership = z.infer<typeof MobilityOwnership>;

/** An ownership checked against the directory, every level filled in. */
export interface ResolvedScope {
  readonly networkId: string;
  readonly consortiumId: string | null;
  readonly institutionId: string;
  readonly siteId: string | null;
}
