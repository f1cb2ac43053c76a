import { z } from 'zod';

/** Identifiers. Participants are known only by pseudonymous ids: never names or e-mail addresses. */
export const ProjectId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,63}$/, 'project id: letters, digits and dashes (e.g. 2024-1-FR01-KA131-HED-000123)');
export const MobilityId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,63}-MOB-\d{5}$/, 'mobility id: <project>-MOB-00001');
export const ParticipantRef = z.string().regex(/^P-[A-Za-z0-9]{6,40}$/, 'participant ref: pseudonymous id "P-…" (never a name or e-mail)');
export const OrgId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, 'organisation id (OID or internal code)');
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, upper case');
export const IsoDate = z.iso.date();

export const mobilityIdFor = (projectId: string, n: number): string => `${projectId}-MOB-${String(n).padStart(5, '0')}`;

/**
 * A host organisation by a registry identifier, never free text: an Erasmus institutional code
 * (D BERLIN01, D-BERLIN-01, IRL-DUBLIN-04), an organisation ID (OID, E10208646) or a PIC (9 digits).
 * A free-text id could name a person or a clinic, which is personal (even special-category) data.
 */
export const HostOrgId = z.string().regex(
  /^(?:[A-Z]{1,3}[ -]{1,2}[A-Z]{3,}[ -]?\d{2,3}|E\d{8}|\d{9})$/,
  'host organisation: an Erasmus code (D-BERLIN-01), an OID (E10208646) or a PIC (9 digits), never free text',
);
