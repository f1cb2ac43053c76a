import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BM_COLUMN_INDEX, BM_COLUMNS, BM_MONEY_COLUMN, type BmMobility, bmRow, bmRows, centsOf, distanceBand, euros, moneyColumns, UnknownGrantRule } from '../../../domain/export/bm';
import { computeMobilityGrant, RULES } from '../../../domain/grant';

/** The Beneficiary Module file's rows (reference §3): columns, codes and money columns from the grant lines. */
const mobility = (over: Partial<BmMobility> = {}): BmMobility => {
  const g = computeMobilityGrant({ callYear: 2024, activity: 'HE-SMS', sendingCountry: 'FR', receivingCountry: 'DE', startDate: '2025-09-01', endDate: '2026-01-31', distanceKm: 800, fewerOpportunities: true, rates: { monthlyEur: 600 } });
  return {
    mobilityId: 'P-MOB-00001', projectId: 'P', institutionId: 'F-LYON-003', participantRef: 'P-ABCDEFGHIJKL', activity: 'HE-SMS', longTerm: true,
    fewerOpportunities: true, greenTravel: false, sendingCountry: 'FR', receivingCountry: 'DE', hostOrgId: 'D-BERLIN-01', distanceKm: 800,
    startDate: '2025-09-01', endDate: '2026-01-31', physicalDays: 150, interruptedDays: 0, forceMajeure: false, zeroGrant: false, certified: false,
    grant: { phase: 'estimated', callYear: g.callYear, days: g.days, lines: g.lines }, report: { invited: false, reminders: 0, submittedOn: null }, ...over,
  };
};
const cell = (row: (string | number)[], key: string) => row[BM_COLUMN_INDEX[key]!];

describe('BM money columns', () => {
  it('every grant rule id of the engine has a BM column (§3 "Money")', () => {
    for (const id of Object.keys(RULES)) expect(BM_MONEY_COLUMN[id], id).toBeDefined();
  });

  it('given an HE long-term grant with a fewer-opportunities top-up, when mapped, then individual support, travel and top-up add up to the total', () => {
    const m = mobility();
    const c = moneyColumns(m.mobilityId, m.grant.lines);
    const byRule = Object.fromEntries(m.grant.lines.map((l) => [l.ruleId, l.amountCents]));
    expect(c.individualSupport).toBe(byRule['GRANT-HE-LT']);
    expect(c.travel).toBe(byRule['GRANT-TRAVEL-STD']);
    expect(c.topUpFewerOpportunities).toBe(byRule['GRANT-HE-LT-FEWER-OPP']);
    expect(c.totalCents).toBe(m.grant.lines.reduce((s, l) => s + l.amountCents, 0));
  });

  it('given a rule id the BM does not know, when mapped, then it refuses rather than drop money', () => {
    expect(() => moneyColumns('X-MOB-00001', [{ ruleId: 'GRANT-FROM-THE-FUTURE', amountCents: 100 }])).toThrow(UnknownGrantRule);
  });

  it('property: the money columns always sum to the total, whatever the lines', () => {
    const ids = Object.keys(RULES);
    fc.assert(fc.property(fc.array(fc.record({ ruleId: fc.constantFrom(...ids), amountCents: fc.integer({ min: 0, max: 10_000_000 }) }), { maxLength: 12 }), (lines) => {
      const c = moneyColumns('X', lines);
      const cols = Object.entries(c).filter(([k]) => k !== 'totalCents').reduce((s, [, v]) => s + v, 0);
      const none = lines.filter((l) => BM_MONEY_COLUMN[l.ruleId] === 'none').reduce((s, l) => s + l.amountCents, 0);
      expect(cols + none).toBe(c.totalCents);
    }));
  });

  it('property: euros prints cents exactly and centsOf reads them back', () => {
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => { expect(centsOf(euros(n))).toBe(n); }));
    expect(euros(123405)).toBe('1234.05');
    expect(euros(-310)).toBe('-3.10');
  });
});

describe('BM row', () => {
  it('given a reader without registry rights, when the row is built, then every personal field is blank and the rest is there', () => {
    const row = bmRow(mobility(), null);
    expect(row.length).toBe(BM_COLUMNS.length);
    for (const k of ['firstName', 'lastName', 'dateOfBirth', 'gender', 'nationality', 'email']) expect(cell(row, k), k).toBe('');
    expect(cell(row, 'participantId')).toBe('P-ABCDEFGHIJKL');
    expect(cell(row, 'fewerOpportunities')).toBe('Yes');
    expect(cell(row, 'forceMajeureExplanations')).toBe('');
    expect(cell(row, 'status')).toBe('Draft');
  });

  it('given a registry record, when the row is built, then the BM codes are used', () => {
    const row = bmRow(mobility({ certified: true, forceMajeure: true }), { givenName: 'Alex', familyName: 'Martin', dateOfBirth: '2003-04-12', gender: 'non-binary', nationality: 'FR', email: 'a@example.org' });
    expect([cell(row, 'firstName'), cell(row, 'gender'), cell(row, 'forceMajeure'), cell(row, 'status')]).toEqual(['Alex', 'Undefined', 'Yes', 'Complete']);
  });

  it('given 150 physical days and a grant of 152 days, then 2 funded travel days and a BM duration of 152 (§1.6)', () => {
    const m = mobility();
    const row = bmRow(m, null);
    expect(cell(row, 'fundedTravelDays')).toBe(m.grant.days - 150);
    expect(cell(row, 'duration')).toBe(m.grant.days);
    expect(cell(row, 'distanceBand')).toBe('500-1999 km');
  });

  it('orders rows by mobility id, so the same state gives the same file', () => {
    const rows = bmRows([mobility({ mobilityId: 'P-MOB-00002' }), mobility({ mobilityId: 'P-MOB-00001' })], () => null);
    expect(rows.map((r) => cell(r, 'mobilityId'))).toEqual(['P-MOB-00001', 'P-MOB-00002']);
  });

  it('distance bands follow the call year table; none below 10 km', () => {
    expect(distanceBand(9000, 2024)).toBe('8000 km and more');
    expect(distanceBand(5, 2024)).toBe('0-9 km');
    expect(distanceBand(null, 2024)).toBe('');
  });
});
