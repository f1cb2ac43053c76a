import countries from 'i18n-iso-countries';
import { z } from 'zod';

/**
 * Countries as the Beneficiary Module writes them (checked where participants enter the registry: the API and the import): ISO 3166-1 alpha-2, with the EU's own two (Interinstitutional
 * Style Guide §7.1): EL for Greece and UK for the United Kingdom. XK (Kosovo) is in the ISO list the library keeps.
 */
const ISO = new Set(Object.keys(countries.getAlpha2Codes()));
const EU_WRITES = new Set(['EL', 'UK']);

export const isCountry = (code: string): boolean => ISO.has(code) || EU_WRITES.has(code);

/** A participant's nationality: a country that exists (not just two letters: "ZZ" is refused). */
export const Nationality = z
  .string()
  .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, upper case')
  .refine(isCountry, { message: 'no such country: an ISO 3166-1 alpha-2 code (EL and UK as the EU writes them)', params: { code: 'unknown-country' } });
