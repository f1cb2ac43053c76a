import i18next from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../console/src/api';
import { refusalOf } from '../../console/src/forms';
import { en } from '../../console/src/i18n/en';
import { fr } from '../../console/src/i18n/fr';

/** A refused form marks the field of each issue; an issue on an item of a list field marks the list's field. */
beforeAll(async () => {
  await i18next.init({ lng: 'en', fallbackLng: false, resources: { en: { translation: en }, fr: { translation: fr } }, keySeparator: false, nsSeparator: false, interpolation: { escapeValue: false } });
});

describe('a refused form', () => {
  it('given an issue on coFundingLineIds.0, when the form holds coFundingLineIds, then that field is marked', () => {
    const err = new ApiError(400, { error: 'bad-request', message: 'coFundingLineIds.0: project P has no funder line NOPE', issues: [
      { field: 'coFundingLineIds.0', message: 'project P has no funder line NOPE (lines: EPLUS, REGION)', code: 'project-rule', params: {} },
      { field: 'plan.endDate', message: 'Invalid ISO date', code: 'invalid-date', params: {} },
    ] } as never);
    const r = refusalOf(err, { funderLineId: 'EPLUS', coFundingLineIds: ['NOPE'], 'plan.endDate': 'x' });
    expect(Object.keys(r.fields).sort()).toEqual(['coFundingLineIds', 'plan.endDate']);
    expect(r.fields.coFundingLineIds).toBeTruthy();
  });

  it('given an issue on a field the form holds as such, then it is marked under its own name', () => {
    const err = new ApiError(400, { error: 'bad-request', message: 'x', issues: [{ field: 'funderLineId', message: 'line REGION has a flat rule', code: 'project-rule', params: {} }] } as never);
    expect(Object.keys(refusalOf(err, { funderLineId: 'REGION' }).fields)).toEqual(['funderLineId']);
  });
});
