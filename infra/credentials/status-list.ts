import { Bitstring } from '@digitalbazaar/bitstring';
import { type BadgeStatusEntry, STATUS_LIST_2021_CONTEXT } from '../../domain/recognition/records';
import type { IssuerKey, IssuerKeys } from './issuer-key';
import { type SignedCredential, signCredential, verifySignedCredential, type W3cCredential } from './open-badge';

/**
 * Revocation of the engine's credentials with a W3C status list (StatusList2021, the VC Data Model 1.1 form of
 * the Bitstring Status List: the badges are VC 1.1 VC-JWTs, see open-badge.ts). Each badge carries a
 * `credentialStatus` entry (its index in a list and the list's URL); the list is a credential of its own, a
 * GZIP-compressed, base64url-encoded bitstring of 131,072 entries (16 KiB: the spec's minimum, so a list hides
 * which badge a verifier asks about), signed as a VC-JWT by the same issuer. A set bit means revoked. The
 * bitstring's encoding is @digitalbazaar/bitstring's (the Digital Bazaar library behind the W3C status list
 * implementations), left-to-right bit order as the spec requires.
 */
export { STATUS_LIST_2021_CONTEXT };
/** 16 KiB of bits: the specification's minimum list size (herd privacy). */
export const STATUS_LIST_LENGTH = 131_072;

export type StatusEntry = BadgeStatusEntry;

export const statusEntry = (listUrl: string, index: number): StatusEntry => ({
  id: `${listUrl}#${index}`,
  type: 'StatusList2021Entry',
  statusPurpose: 'revocation',
  statusListIndex: String(index),
  statusListCredential: listUrl,
});

/** The encoded list with the given entries set (revoked). */
export async function encodeStatusList(revoked: Iterable<number>, length = STATUS_LIST_LENGTH): Promise<string> {
  const bits = new Bitstring({ length });
  for (const i of revoked) bits.set(i, true);
  return bits.encodeBits();
}

/** Whether entry `index` of an encoded list is set; throws when the list cannot be decoded or is too short. */
export async function statusBit(encodedList: string, index: number): Promise<boolean> {
  const buffer = await Bitstring.decodeBits({ encoded: encodedList });
  const bits = new Bitstring({ buffer });
  if (index >= bits.length) throw new Error(`index ${index} is beyond the list's ${bits.length} entries`);
  return bits.get(index);
}

/**
 * The status list credential of one list, signed by `key` (its issuer). `validFrom` is the list's last change
 * (its creation or latest revocation), so the same list state always gives the same JWT.
 */
export async function signStatusList(key: IssuerKey, list: { url: string; issuerName: string; revoked: Iterable<number>; validFrom: string; length?: number }): Promise<SignedCredential> {
  const credential: W3cCredential = {
    '@context': ['https://www.w3.org/2018/credentials/v1', STATUS_LIST_2021_CONTEXT],
    id: list.url,
    type: ['VerifiableCredential', 'StatusList2021Credential'],
    issuer: { id: key.did, name: list.issuerName },
    issuanceDate: new Date(Math.floor(Date.parse(list.validFrom) / 1000) * 1000).toISOString(),
    credentialSubject: { id: `${list.url}#list`, type: 'StatusList2021', statusPurpose: 'revocation', encodedList: await encodeStatusList(list.revoked, list.length) },
  };
  return signCredential(key, credential);
}

export type StatusCheck =
  | { ok: true; revoked: boolean; listUrl: string; index: number }
  | { ok: false; reason: 'no-status' | 'status-list-invalid' | 'status-list-mismatch'; message: string };

/**
 * What a verifier does with a badge and the status list its entry points to: the list must verify (signature,
 * a trusted issuer, a StatusList2021Credential, its JSON what its JWT secures), be signed by the badge's own
 * issuer, be the list the entry names and serve the entry's purpose; then the entry's bit says revoked or not.
 */
export async function checkCredentialStatus(badge: W3cCredential, list: string | { proof?: { jwt?: unknown } }, trusted: IssuerKeys): Promise<StatusCheck> {
  const entry = badge.credentialStatus as Partial<StatusEntry> | undefined;
  if (!entry || entry.type !== 'StatusList2021Entry' || typeof entry.statusListCredential !== 'string' || !/^\d{1,9}$/.test(entry.statusListIndex ?? '')) {
    return { ok: false, reason: 'no-status', message: 'the credential carries no StatusList2021Entry (credentialStatus)' };
  }
  const index = Number(entry.statusListIndex);
  const v = await verifySignedCredential(list, trusted, {
    reason: 'not-status-list',
    problem: (c) => (c.type?.includes('StatusList2021Credential') ? null : 'the credential is not a StatusList2021Credential'),
  });
  if (!v.valid) return { ok: false, reason: 'status-list-invalid', message: `the status list is refused (${v.reason}): ${v.message}` };
  const subject = v.credential.credentialSubject as { statusPurpose?: unknown; encodedList?: unknown } | undefined;
  if (v.issuer !== badge.issuer.id) return { ok: false, reason: 'status-list-mismatch', message: `the status list is signed by ${v.issuer}, not by the credential's issuer ${badge.issuer.id}` };
  if (v.credential.id !== entry.statusListCredential) return { ok: false, reason: 'status-list-mismatch', message: `the status list is ${v.credential.id}, not ${entry.statusListCredential}` };
  if (subject?.statusPurpose !== entry.statusPurpose) return { ok: false, reason: 'status-list-mismatch', message: `the list's purpose is ${String(subject?.statusPurpose)}, not ${String(entry.statusPurpose)}` };
  if (typeof subject?.encodedList !== 'string') return { ok: false, reason: 'status-list-invalid', message: 'the status list has no encodedList' };
  try {
    return { ok: true, revoked: await statusBit(subject.encodedList, index), listUrl: entry.statusListCredential, index };
  } catch (err) {
    return { ok: false, reason: 'status-list-invalid', message: `the list cannot be read: ${(err as Error).message}` };
  }
}
