import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { COLUMN_NAMES } from '../../workers/api/import-columns';
import { startProjector } from '../../workers/projector';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { http, project, seedTenancy, startApi, today } from '../integration/api/support';
import { eventually, testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * The Import page in Chromium: a staff member of an institution downloads the template, imports a small CSV
 * with two bad rows and one mobility already departed, watches the bar reach 100 %, reads the report naming
 * the bad rows and their columns (French), then the same job in English, and imports the same file again
 * (nothing started twice). Screenshots under <data dir>/screenshots (import-*.png).
 */
const cfg = testConfig();
const pool = createPool(cfg);
const shots = join(cfg.dataDir, 'screenshots');
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let api: Awaited<ReturnType<typeof startApi>>;
let browser: Browser;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const projectA = `2024-1-FR01-KA131-HED-${uniq()}`;
const LINES = [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 50_000_000, allocatedMobilities: 50 }];
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `import-browser-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  const token = await login(tn.users.coordA, tn.password(tn.users.coordA));
  expect((await call('POST', '/api/projects', { token, body: project(projectA, tn.id.a1, tn.id.consA, LINES) })).status).toBe(200);
  // The console's project choices come from the budget projection.
  await eventually(async () => (await pool.query('SELECT 1 FROM budget_lines WHERE project_id = $1', [projectA])).rows.length > 0, 60_000, 'the project folded');
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

/** Six rows in the template's columns: rows 3 (e-mail) and 6 (activity) are bad, row 7 a mobility already departed. */
function sampleCsv(): string {
  const t = uniq();
  const start = addDays(today(), 40);
  const row = (n: number, extra: Record<string, string | number> = {}): Record<string, string | number> => ({
    application_ref: `WEB-${t}-${n}`, institution_id: tn.id.a1, given_name: 'Léa', family_name: `Martin ${n}`, email: `lea.${t.toLowerCase()}.${n}@student.example.org`,
    date_of_birth: '2002-09-01', gender: 'female', nationality: 'FR', activity: 'HE-SMS', funder_line_id: 'erasmus',
    start_date: start, end_date: addDays(start, 149), receiving_country: 'DE', sending_country: 'FR', host_org_id: 'D-BERLIN-01', distance_km: 800,
    green_travel: 'no', fewer_opportunities: 'no', ...extra,
  });
  const past = addDays(today(), -30);
  const rows = [
    row(1), row(2, { email: 'not-an-address' }), row(3), row(4), row(5, { activity: 'HE-XXX' }),
    row(6, { start_date: past, end_date: addDays(past, 149), stage: 'departed', selected_on: addDays(today(), -120), participant_signed_on: addDays(today(), -90),
      institution_signed_on: addDays(today(), -90), departed_on: past, prefinancing_paid_eur: '1200.00', prefinancing_paid_on: addDays(today(), -60) }),
  ];
  return [COLUMN_NAMES.join(';'), ...rows.map((r) => COLUMN_NAMES.map((c) => String(r[c] ?? '')).join(';'))].join('\n');
}

describe('the Import page', () => {
  it('a staff member imports a CSV with two bad rows: the bar reaches 100 %, the report names the rows and columns (French, then English); the same file again starts nothing', { timeout: 300_000 }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR', baseURL: api.base, acceptDownloads: true });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    await page.locator('#login-username').fill(tn.users.ioA1);
    await page.locator('#login-password').fill(tn.password(tn.users.ioA1));
    await page.locator('form.login button[type=submit]').click();
    await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
    await page.locator('header nav').getByRole('link', { name: 'Import' }).click();
    await page.waitForURL((u) => u.pathname === '/imports');
    await page.getByRole('heading', { name: 'Importer des candidatures' }).waitFor();

    // The template, as the server names it; the columns documented on the page.
    const [template] = await Promise.all([page.waitForEvent('download'), page.getByTestId('template-xlsx').click()]);
    expect(template.suggestedFilename()).toBe('mobility-import-template.xlsx');
    await page.locator('summary', { hasText: 'Colonnes du modèle' }).click();
    await page.getByTestId('import-columns').locator('code', { hasText: /^stage$/ }).waitFor();

    // Upload: the bar follows the job to 100 %, then the report.
    const csv = Buffer.from(sampleCsv());
    await page.locator('#import-project').selectOption(projectA);
    await page.locator('#import-file').setInputFiles({ name: 'candidatures.csv', mimeType: 'text/csv', buffer: csv });
    await page.getByRole('button', { name: 'Importer', exact: true }).click();
    const job = page.getByTestId('import-job');
    await job.waitFor();
    await page.screenshot({ path: join(shots, 'import-fr-running.png'), fullPage: true });
    await page.locator('[data-testid=import-job][data-status=done]').waitFor({ timeout: 180_000 });
    expect(new URL(page.url()).searchParams.get('job')).toMatch(/^IMP-/);
    const bar = page.getByTestId('import-progress');
    expect(await bar.evaluate((p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max])).toEqual([6, 6]);
    await expect(page.getByTestId('import-progress-text').textContent()).resolves.toMatch(/6 \/ 6 lignes \(100\s?%\)/);
    expect(await page.getByTestId('count-started').textContent()).toBe('3');
    expect(await page.getByTestId('count-taken-over').textContent()).toBe('1');
    expect(await page.getByTestId('count-refused').textContent()).toBe('2');
    const report = page.getByTestId('import-report');
    const cells = await report.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    // Row 1 is the header: the bad rows are 3 and 6.
    expect(cells.find((c) => c[0] === '3')?.[2]).toBe('email');
    expect(cells.find((c) => c[0] === '6')?.[2]).toBe('activity');
    expect(cells.every((c) => (c[3] ?? '').length > 5)).toBe(true);
    await job.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'import-fr-done.png'), fullPage: true });

    // The same job in English (the URL keeps it).
    await page.locator('header select').selectOption('en');
    await page.getByRole('heading', { name: 'Import applications' }).waitFor();
    await page.locator('[data-testid=import-job][data-status=done]').waitFor();
    await expect(page.getByTestId('import-progress-text').textContent()).resolves.toMatch(/6 \/ 6 rows \(100%\)/);
    await expect(page.getByRole('table', { name: /Refused rows \(2\)/ }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(shots, 'import-en-done.png'), fullPage: true });

    // The same file again: four rows already imported, nothing started.
    const first = new URL(page.url()).searchParams.get('job');
    await page.locator('#import-file').setInputFiles({ name: 'candidatures.csv', mimeType: 'text/csv', buffer: csv });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.waitForURL((u) => u.searchParams.get('job') !== first);
    const again = new URL(page.url()).searchParams.get('job')!;
    // The new job's report, not the previous one still on screen while it loads.
    await page.locator(`[data-testid=import-job][data-job="${again}"][data-status=done]`).waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('count-duplicates').textContent()).toBe('4');
    expect(await page.getByTestId('count-started').textContent()).toBe('0');
    await page.screenshot({ path: join(shots, 'import-en-again.png'), fullPage: true });

    // A file with a grant column: refused as a whole, the column named next to the file field.
    const withGrant = `${COLUMN_NAMES.join(',')},estimated_grant_eur\n`;
    await page.locator('#import-file').setInputFiles({ name: 'grant.csv', mimeType: 'text/csv', buffer: Buffer.from(withGrant) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByTestId('import-file-error').textContent()).resolves.toContain('estimated_grant_eur');
    await page.screenshot({ path: join(shots, 'import-en-refused-file.png'), fullPage: true });
    expect(errors).toEqual([]);
    await ctx.close();

    // A read-only role is not offered the page.
    const { login, call } = http(api.base);
    const observer = await login(tn.users.observerA, tn.password(tn.users.observerA));
    expect((await call('GET', '/api/console/me', { token: observer })).body.pages).not.toContain('imports');
  });
});
