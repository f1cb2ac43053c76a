import { describe, expect, it } from 'vitest';
import { DeadlinePolicy, ProjectTerms } from '../../../domain/project/agreement';
import { applicationProblems, callWindow, mobilityPolicyFor, projectIdProblems, projectRatesFor, registrationDifferences, type Registration } from '../../../domain/project/registration';

const terms = ProjectTerms.parse({ action: 'KA131', callYear: 2024, country: 'FR', prefinancingPercent: 80, applicableRates: { 'HE-SMS': { '2': { monthlyEur: 600 } } } });
const project: Registration = {
  projectId: '2024-1-FR01-KA131-HED-000042', institutionId: 'F-LYON-003', consortiumId: 'CONS-1',
  lines: [{ lineId: 'erasmus', funder: 'Erasmus+', allocatedCents: 1_000_000, allocatedMobilities: 3 }], terms,
};
const app = { activity: 'HE-SMS' as const, funderLineId: 'erasmus', plan: { startDate: '2025-09-01', endDate: '2026-01-31' } };

describe('a project number agrees with its registration (call, NA, action)', () => {
  it('given 2024-1-FR01-KA131-…, when registered as call 2024 of the FR NA for KA131, then nothing is wrong', () =>
    expect(projectIdProblems(project.projectId, terms)).toEqual([]));
  it('when the call, the NA country or the action differ, then each is named', () =>
    expect(projectIdProblems('2023-1-DE02-KA121-VET-000001', terms).map((p) => p.field)).toEqual(['terms.callYear', 'terms.country', 'terms.action']));
  it('when it is not a project number at all, then projectId is named', () =>
    expect(projectIdProblems('lyon-project', terms)[0]).toMatchObject({ field: 'projectId', rule: 'PROJECT-ID' }));
});

describe('an application is checked against its project', () => {
  it('given a line, an HE activity and dates of the call, then nothing is wrong', () => expect(applicationProblems(project, app)).toEqual([]));
  it('when the funder line is unknown, then funderLineId is named with the lines that exist', () =>
    expect(applicationProblems(project, { ...app, funderLineId: 'region' })[0]).toMatchObject({ field: 'funderLineId', rule: 'PROJECT-LINE', message: expect.stringMatching(/lines: erasmus/) }));
  it('when a VET activity is put in a KA131 project, then activity is named', () =>
    expect(applicationProblems(project, { ...app, activity: 'VET-LEARN-ST' }).map((p) => p.field)).toEqual(['activity']));
  it(`when the dates fall outside a call-2024 project (${callWindow(2024).from} – ${callWindow(2024).to}), then each date is named`, () =>
    expect(applicationProblems(project, { ...app, plan: { startDate: '1990-01-01', endDate: '9999-01-01' } }).map((p) => p.field)).toEqual(['plan.startDate', 'plan.endDate']));
});

describe('the rates of a mobility are the project\'s, never a request\'s', () => {
  it('the NA rate of the activity and destination group applies (DE is group 2)', () =>
    expect(projectRatesFor(terms, 'HE-SMS', 'DE')).toEqual({ callYear: 2024, rates: { monthlyEur: 600 } }));
  it('with no NA rate for the group, the call year\'s table applies', () => expect(projectRatesFor(terms, 'HE-STA', 'DE')).toEqual({ callYear: 2024 }));
  it('the NA\'s travel switch for HE students is carried', () =>
    expect(projectRatesFor({ ...terms, heStudentTravelSupport: false }, 'HE-SMS', 'DE')).toMatchObject({ travelGrant: false }));
});

describe('a second registration names what differs', () => {
  it('the same content, in another line order, differs in nothing', () => expect(registrationDifferences(project, { ...project, lines: [...project.lines] })).toEqual([]));
  it('another owner, other lines and another pre-financing rate are each named', () =>
    expect(registrationDifferences(project, { ...project, institutionId: 'F-PARIS-001', lines: [], terms: { ...terms, prefinancingPercent: 90 } })).toEqual(['institutionId', 'lines', 'terms.prefinancingPercent']));
});

describe('NA rates within the EU ranges, or plausible where none is published (§1.3)', () => {
  it('a call-2024 monthly rate of 9,000 € is refused (RATE-PLAUSIBLE)', () => {
    const r = ProjectTerms.safeParse({ ...terms, applicableRates: { 'HE-SMS': { '2': { monthlyEur: 9000 } } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['applicableRates', 'HE-SMS', '2', 'monthlyEur'], message: expect.stringMatching(/RATE-PLAUSIBLE/) });
  });
  it('a call-2023 rate outside the published EU range is refused with the range', () => {
    const r = ProjectTerms.safeParse({ ...terms, callYear: 2023, applicableRates: { 'HE-SMS': { '2': { monthlyEur: 700 } } } });
    expect(r.error?.issues[0]?.message).toMatch(/outside the EU .* range/);
  });
});

describe("a project's deadline policy (terms.deadlinePolicy)", () => {
  it('given overrides, then its mobilities run under them with the terms\' pre-financing rate', () => {
    expect(mobilityPolicyFor({ prefinancingPercent: 90, deadlinePolicy: { agreementSignatureDays: 30 } })).toEqual({ agreementSignatureDays: 30, prefinancingPercent: 90 });
    expect(mobilityPolicyFor({ prefinancingPercent: 80 })).toEqual({ prefinancingPercent: 80 });
  });
  it('given a value out of the reference range, an unknown field or the pre-financing rate, then each is refused under its own name', () => {
    const r = DeadlinePolicy.safeParse({ laChangeWeeks: 9, prefinancingPercent: 90, remindMe: true });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.') || i.message).sort()).toEqual(['laChangeWeeks', 'prefinancingPercent', expect.stringMatching(/remindMe/)].sort());
    expect(DeadlinePolicy.safeParse({ requiredProofs: { RecordCertificateOfAttendance: ['certificate-of-attendance'] } }).success).toBe(true);
  });
});
