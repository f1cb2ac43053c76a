import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs the CLI exactly as external checks do: `npm run -s grant -- ARGS`, optional stdin. */
const cli = (args: string[], stdin?: string) => {
  const r = spawnSync('npm', ['run', '-s', 'grant', '--', ...args], { cwd: process.cwd(), input: stdin, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'grant-cli-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

const hawKiel = { callYear: 2024, activity: 'HE-SMS', sendingCountry: 'DE', receivingCountry: 'SE', durationDays: 131, distanceKm: 1000, rates: { monthlyEur: 600 } };

describe('grant CLI contract', () => {
  it('FILE → breakdown JSON on stdout with exactly the contract keys, exit 0 (HAW Kiel: 2,969 €, 133 days)', () => {
    const r = cli([file('kiel.json', hawKiel)]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['totalCents', 'currency', 'callYear', 'days', 'lines']);
    expect(out).toMatchObject({ totalCents: 296_900, currency: 'EUR', callYear: 2024, days: 133 });
    for (const l of out.lines) expect(Object.keys(l)).toEqual(['ruleId', 'item', 'amountCents', 'basis']);
    expect(out.lines.reduce((s: number, l: { amountCents: number }) => s + l.amountCents, 0)).toBe(out.totalCents);
  });

  it('"-" reads stdin', () => {
    const r = cli(['-'], JSON.stringify({ ...hawKiel, durationDays: 88 }));
    expect(r.status).toBe(0);
    // 90 × 600 ÷ 30 = 1,800 + 309 = 2,109 €.
    expect(JSON.parse(r.stdout).totalCents).toBe(210_900);
  });

  it('--project FILE → organisational + inclusion support in the same shape', () => {
    const r = cli(['--project', file('p.json', { callYear: 2024, action: 'KA131', participants: 101, inclusionSupportParticipants: 1 })]);
    expect(r.status).toBe(0);
    // 100 × 400 + 1 × 230 + 1 × 125 = 40,355 €.
    expect(JSON.parse(r.stdout)).toMatchObject({ totalCents: 4_035_500, currency: 'EUR', callYear: 2024, days: 0 });
  });

  it.each([
    ['invalid JSON', '{"callYear": 2024,', /invalid JSON/],
    ['a missing field', { ...hawKiel, receivingCountry: undefined }, /receivingCountry/],
    ['an invalid field', { ...hawKiel, activity: 'HE-XXX' }, /activity/],
    ['an unknown field', { ...hawKiel, budgetLine: 'x' }, /budgetLine: unknown field/],
    ['a duration out of limits', { ...hawKiel, durationDays: 400 }, /durationDays: .*DUR-HE-STU-LT/],
    ['too many travel days', { ...hawKiel, travelDays: 4 }, /travelDays/],
  ])('%s → exit 2, field named on stderr, nothing on stdout', (_name, content, message) => {
    const r = cli([file(`bad-${_name.replace(/\W/g, '')}.json`, content)]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  describe('extended contract (issue 14): accompanyingPerson, courseDays, rates.dailyFrom15Eur', () => {
    const run = (input: unknown) => {
      const r = cli(['-'], JSON.stringify(input));
      return { ...r, out: r.status === 0 ? JSON.parse(r.stdout) : null };
    };
    const lines = (out: { lines: { ruleId: string; amountCents: number }[] }) => out.lines.map((l) => [l.ruleId, l.amountCents]);

    it('accompanyingPerson: paid at the staff rate of rates.dailyEur with 70 % after day 14, plus travel, same output shape (§1.8)', () => {
      const r = run({ callYear: 2024, activity: 'SCH-PUPIL-GRP', accompanyingPerson: true, sendingCountry: 'IS', receivingCountry: 'DE', durationDays: 20, distanceKm: 2400, rates: { dailyEur: 191 } });
      expect(r.status).toBe(0);
      expect(Object.keys(r.out)).toEqual(['totalCents', 'currency', 'callYear', 'days', 'lines']);
      expect(lines(r.out)).toEqual([['GRANT-ACCOMP-DAYS-1-14', 267_400], ['GRANT-ACCOMP-DAYS-15+', 106_960], ['GRANT-TRAVEL-STD', 39_500]]);
      expect(r.out).toMatchObject({ totalCents: 413_860, days: 22 });
    });

    it('courseDays: adds the course-fee line (VET staff course, 5 days in Italy: 400 €)', () => {
      const r = run({ callYear: 2024, activity: 'VET-STAFF-CO', sendingCountry: 'FR', receivingCountry: 'IT', durationDays: 5, distanceKm: 900, courseDays: 5 });
      expect(r.status).toBe(0);
      expect(r.out.lines.find((l: { ruleId: string }) => l.ruleId === 'GRANT-COURSE-FEES')).toMatchObject({ item: 'Course fees', amountCents: 40_000, basis: expect.stringMatching(/80\.00 € × 5 course days/) });
    });

    it("rates.dailyFrom15Eur: the NA's published rate from day 15 replaces 70 % of rates.dailyEur (FRSE 56 → 39)", () => {
      const r = run({ callYear: 2023, activity: 'VET-LEARN-ST', sendingCountry: 'PL', receivingCountry: 'DE', durationDays: 20, distanceKm: 1000, rates: { dailyEur: 56, dailyFrom15Eur: 39 } });
      expect(r.status).toBe(0);
      expect(r.out.lines.find((l: { ruleId: string }) => l.ruleId === 'GRANT-LEARNER-DAYS-15+')).toMatchObject({ amountCents: 31_200, basis: expect.stringMatching(/published rate from day 15/) });
    });

    it('the other project rules under rates (countryGrouping, travelBandsEur, nationalTopUps) and virtualComponent, each shown in the basis', () => {
      const r = run({ callYear: 2024, activity: 'SCH-STAFF-JS', sendingCountry: 'IS', receivingCountry: 'FR', durationDays: 5, distanceKm: 4500,
        virtualComponent: { startDate: '2025-01-06', endDate: '2025-01-10' },
        rates: { countryGrouping: 'old', travelBandsEur: { standard: { '4000': 1180 } }, nationalTopUps: [{ name: 'Kit', amountEur: 50, per: 'mobility', condition: 'all' }] } });
      expect(r.status).toBe(0);
      // FR on the old grouping: group 2, 110 €/day × 7 = 770 €; 1,180 € band; 50 € top-up; the virtual component at 0 €.
      expect(lines(r.out)).toEqual([['GRANT-STAFF-DAYS-1-14', 77_000], ['GRANT-TRAVEL-STD', 118_000], ['GRANT-NATIONAL-TOPUP', 5_000], ['GRANT-VIRTUAL-COMPONENT', 0]]);
      expect(r.out.lines[0].basis).toMatch(/group 2, old grouping \(the project's NA grouping\)/);
    });

    it.each([
      ['rates.countryGrouping unknown', { activity: 'VET-STAFF-JS', rates: { countryGrouping: 'older' } }, /rates\.countryGrouping: /],
      ['rates.travelBandsEur for no band', { activity: 'VET-STAFF-JS', distanceKm: 900, rates: { travelBandsEur: { standard: { '4001': 1180 } } } }, /rates\.travelBandsEur\.standard\.4001: no standard band/],
      ['rates.nationalTopUps without a name', { activity: 'VET-STAFF-JS', rates: { nationalTopUps: [{ amountEur: 5, per: 'month', condition: 'all' }] } }, /rates\.nationalTopUps\.0\.name: /],
      ['virtualComponent ending before it starts', { activity: 'VET-STAFF-JS', virtualComponent: { startDate: '2025-02-02', endDate: '2025-02-01' } }, /virtualComponent\.endDate: /],
    ])('%s → exit 2 naming the field', (_name, patch, message) => {
      const r = run({ callYear: 2024, sendingCountry: 'FR', receivingCountry: 'IT', durationDays: 5, ...patch });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });

    it.each([
      ['courseDays on a job shadowing', { activity: 'VET-STAFF-JS', courseDays: 3 }, /courseDays: course fees apply to staff courses/],
      ['courseDays not an integer', { activity: 'VET-STAFF-CO', courseDays: 2.5 }, /courseDays: /],
      ['courseDays above the duration', { activity: 'VET-STAFF-CO', courseDays: 6 }, /courseDays: 6 course days exceed/],
      ['accompanyingPerson not a boolean', { activity: 'SCH-PUPIL-GRP', accompanyingPerson: 'yes' }, /accompanyingPerson: /],
      ['accompanyingPerson of a staff activity', { activity: 'SCH-STAFF-JS', accompanyingPerson: true }, /accompanyingPerson: an accompanying person accompanies/],
      ['accompanyingPerson with fewer opportunities', { activity: 'SCH-PUPIL-GRP', accompanyingPerson: true, fewerOpportunities: true }, /fewerOpportunities: an accompanying person cannot/],
      ['rates.dailyFrom15Eur negative', { activity: 'VET-STAFF-JS', rates: { dailyEur: 100, dailyFrom15Eur: -1 } }, /rates\.dailyFrom15Eur: /],
      ['rates.dailyFrom15Eur above the daily rate', { activity: 'VET-STAFF-JS', rates: { dailyEur: 100, dailyFrom15Eur: 120 } }, /rates\.dailyFrom15Eur: 120\.00 € from day 15 is above/],
    ])('%s → exit 2 naming the field', (_name, patch, message) => {
      const r = run({ callYear: 2024, sendingCountry: 'FR', receivingCountry: 'IT', durationDays: 5, ...patch });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });
  });

  it('bad project input and bad usage → exit 2', () => {
    const bad = cli(['--project', file('bp.json', { callYear: 2024, action: 'KA999', participants: 1 })]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/action/);
    expect(bad.stdout).toBe('');
    const none = cli([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/usage/);
    const missing = cli([join(dir, 'nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/ENOENT/);
  });

  it('--help (or -h) prints the usage and the extended contract: every field of a mobility, read from the domain\'s schema; exit 0', () => {
    for (const flag of ['--help', '-h']) {
      const r = cli([flag]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^usage: grant FILE/);
      for (const field of ['callYear', 'activity', 'courseDays?', 'accompanyingPerson?', 'virtualComponent?', 'rates?']) expect(r.stdout).toContain(`  ${field}:`);
    }
  });
});
