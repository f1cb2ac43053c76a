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
});
