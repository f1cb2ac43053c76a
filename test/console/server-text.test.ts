import i18next from 'i18next';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../console/src/i18n/en';
import { fr } from '../../console/src/i18n/fr';
import { grantLineText, issueText } from '../../console/src/server-text';
import { explainMobilityGrant, type GrantInput } from '../../domain/grant';
import { groupOrganisationalSupport, projectGrant } from '../../domain/project';
import { codeOfProblem, codeOfZodIssue } from '../../workers/api/issues';
import { Nationality } from '../../workers/api/countries';

/**
 * The console words what the server names by code and parameters in the user's language: every line of a
 * range of grants gets a French item and basis with no placeholder left and no English arithmetic, and a
 * validation issue its French reason.
 */
beforeAll(async () => {
  await i18next.init({ lng: 'fr', fallbackLng: false, resources: { en: { translation: en }, fr: { translation: fr } }, keySeparator: false, nsSeparator: false, interpolation: { escapeValue: false } });
});

const GRANTS: GrantInput[] = [
  { callYear: 2024, activity: 'HE-SMS', longTerm: true, sendingCountry: 'FR', receivingCountry: 'SE', durationDays: 150, distanceKm: 1600, greenTravel: true, fewerOpportunities: true, rates: { monthlyEur: 600 } },
  { callYear: 2024, activity: 'HE-SMP', longTerm: true, sendingCountry: 'FR', receivingCountry: 'TR', durationDays: 90, recentGraduate: true, distanceKm: 2500 },
  { callYear: 2024, activity: 'HE-SMS', longTerm: false, blended: true, sendingCountry: 'FR', receivingCountry: 'ES', durationDays: 20, fewerOpportunities: true, distanceKm: 300, exceptionalTravelCostEur: 900 },
  { callYear: 2024, activity: 'VET-LEARN-ST', sendingCountry: 'FR', receivingCountry: 'ES', durationDays: 25, distanceKm: 1000, inclusionSupportEur: 120, rates: { dailyFrom15Eur: 40 } },
  { callYear: 2024, activity: 'HE-STA', sendingCountry: 'FR', receivingCountry: 'PL', durationDays: 20, distanceKm: 1200 },
  { callYear: 2024, activity: 'SCH-PUPIL-GRP', accompanyingPerson: true, sendingCountry: 'FR', receivingCountry: 'IE', durationDays: 16, distanceKm: 1000 },
  { callYear: 2024, activity: 'VET-STAFF-JS', sendingCountry: 'FR', receivingCountry: 'ES', durationDays: 5, zeroGrant: true },
];

describe('grant lines in French', () => {
  it('every line of a range of grants has a French item and basis, every placeholder filled, euros in the French format', () => {
    let n = 0;
    for (const input of GRANTS) {
      for (const l of explainMobilityGrant(input).lines) {
        const x = grantLineText(l);
        expect(x.translated, l.ruleId).toBe(true);
        expect(x.basis, `${l.ruleId}: ${x.basis}`).not.toMatch(/\{\{|undefined|NaN|\bcall\b|\bdays\b|\/day/);
        expect(x.item, l.ruleId).not.toMatch(/\{\{|undefined/);
        expect(x.rule, l.ruleId).not.toBeNull();
        n++;
      }
    }
    expect(n).toBeGreaterThan(15);
    const lt = explainMobilityGrant(GRANTS[0]!).lines.find((l) => l.ruleId === 'GRANT-HE-LT')!;
    expect(grantLineText(lt).basis).toMatch(/^600,00\s€\/mois × \d+ jours ÷ 30 \(appel 2024, mois de 30 jours du BM : 150 jours physiques \+ \d+ de voyage\) ; taux applicable de l’AN, SE : groupe \d, (ancien|nouveau) regroupement/);
  });

  it('organisational support lines, of a project and of a group, in French', () => {
    const project = projectGrant({ callYear: 2024, action: 'KA131', participants: 120, bipParticipants: 3, inclusionSupportParticipants: 2 });
    expect(project.lines.length).toBeGreaterThan(2);
    const group = groupOrganisationalSupport({ groupId: 'P-GRP-001', activity: 'VET-GROUP', callYear: 2024 }, [
      { mobilityId: 'M1', activity: 'VET-GROUP', accompanyingPerson: false, zeroGrant: false },
      { mobilityId: 'M2', activity: 'VET-GROUP', accompanyingPerson: true, zeroGrant: false },
    ]);
    const x = grantLineText({ ...group.lines[0]!, params: group.params });
    expect(x.basis).toMatch(/participants du groupe P-GRP-001 .*accompagnateurs exclus \(1\)/);
    expect(x.basis).not.toMatch(/\{\{/);
  });

  it('a line without parameters (a stored breakdown) keeps the server\'s English basis', () => {
    const x = grantLineText({ ruleId: 'GRANT-HE-LT', item: 'Individual support (long-term)', amountCents: 1, basis: 'English basis' });
    expect(x).toMatchObject({ basis: 'English basis', translated: false });
  });
});

describe('validation issues in French', () => {
  it("an application's problems (a project's rules, the decider's refusal) read in French from their codes", () => {
    const project = { lines: [{ lineId: 'erasmus' }], terms: { action: 'KA131', callYear: 2024 } } as never;
    const app = { funderLineId: 'regional', activity: 'VET-LEARN-ST', institutionId: 'I-1', plan: { startDate: '2031-01-10', endDate: '2031-03-10' } };
    const text = (x: { field: string; rule: string; code?: string }) => issueText({ message: 'english', ...codeOfProblem(x, project, app) }).text;
    expect(text({ field: 'funderLineId', rule: 'PROJECT-LINE' })).toBe('le projet n’a pas de ligne de financement regional (lignes : erasmus)');
    expect(text({ field: 'activity', rule: 'PROJECT-ACTION' })).toBe('VET-LEARN-ST n’est pas une activité d’un projet KA131');
    expect(text({ field: 'plan.startDate', rule: 'PROJECT-WINDOW' })).toMatch(/^10 janv\. 2031 est hors de la période d’un projet de l’appel 2024 \(1 janv\. 2024 – 31 déc\. 2027\)$/);
    expect(text({ field: 'participantRef', rule: 'PARTICIPANT-REGISTRY' })).toMatch(/^aucun participant de l’établissement I-1/);
    expect(issueText({ message: 'english', ...codeOfProblem({ field: 'plan.endDate', rule: 'DUR-X', code: 'invalid-dates' }, project, app) }).translated).toBe(true);
  });

  it('a bad date, a missing field and an unknown code of a zod schema read in French; the English message stays the fallback', () => {
    const schema = z.strictObject({ startDate: z.iso.date(), email: z.email(), gender: z.enum(['female', 'male']) });
    const input = { startDate: '2026-13-40', gender: 'x' };
    const issues = schema.safeParse(input).error!.issues.map((i) => ({ message: i.message, ...codeOfZodIssue(i, input) }));
    expect(issues.map((i) => issueText(i).text)).toEqual(['date non valide (AAAA-MM-JJ)', 'obligatoire', 'pas un des codes admis : female, male']);
    expect(issueText({ reason: 'Invalid ISO date' })).toEqual({ text: 'Invalid ISO date', translated: false });
    expect(issueText({ reason: 'x', code: 'budget-insufficient', params: { funderLineId: 'L1', leftCents: 12_345, mobilities: 2, grantCents: 99_900 } }).text)
      .toMatch(/^la ligne de financement L1 n’a plus que 123,45\s€ et 2 mobilités : la subvention de 999,00\s€/);
  });

  it('a nationality that is no country reads in French from its code; a refine without a code stays "invalid"', () => {
    const schema = z.strictObject({ nationality: Nationality, other: z.string().refine((v) => v === 'ok', 'must be ok') });
    const input = { nationality: 'ZZ', other: 'no' };
    const issues = schema.safeParse(input).error!.issues.map((i) => ({ message: i.message, ...codeOfZodIssue(i, input) }));
    expect(issues.map((i) => i.code)).toEqual(['unknown-country', 'invalid']);
    expect(issueText(issues[0]!).text).toMatch(/^pays inconnu/);
  });
});
