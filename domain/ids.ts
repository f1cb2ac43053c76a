import { z } from 'zod';

/** Identifiers. Participants are known only by pseudonymous ids: never names or e-mail addresses. */
export const ProjectId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,63}$/, 'project id: letters, digits and dashes (e.g. 2024-1-FR01-KA131-HED-000123)');
export const MobilityId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,63}-MOB-\d{5}$/, 'mobility id: <project>-MOB-00001');
export const ParticipantRef = z.string().regex(/^P-[A-Za-z0-9]{6,40}$/, 'participant ref: pseudonymous id "P-…" (never a name or e-mail)');
export const OrgId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, 'organisation id (OID or internal code)');
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, upper case');
export const IsoDate = z.iso.date();

export const mobilityIdFor = (projectId: string, n: number): string => `${projectId}-MOB-${String(n).padStart(5, '0')}`;
