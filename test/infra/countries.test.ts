import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCountry, Nationality } from '../../workers/api/countries';

describe('nationality', () => {
  it('given countries as the Beneficiary Module writes them, then each is accepted', () => {
    for (const code of ['FR', 'DE', 'XK', 'MK', 'TR', 'EL', 'UK', 'GR', 'GB', 'UA']) expect(Nationality.safeParse(code).success, code).toBe(true);
  });

  it('given two letters that are no country, then refused with the reason', () => {
    for (const code of ['ZZ', 'QQ', 'AA', 'EU', 'XX']) {
      const r = Nationality.safeParse(code);
      expect(r.success, code).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/no such country/);
    }
    expect(Nationality.safeParse('fr').error?.issues[0]?.message).toMatch(/upper case/);
  });

  it('given any string, then it is accepted exactly when it is a known country code', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ minLength: 2, maxLength: 2, unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ') }), fc.string()), (s) => {
      expect(Nationality.safeParse(s).success).toBe(/^[A-Z]{2}$/.test(s) && isCountry(s));
    }));
    // 249 ISO countries and Kosovo, plus EL and UK.
    const all = Array.from({ length: 26 * 26 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26))).filter(isCountry);
    expect(all.length).toBe(252);
  });
});
