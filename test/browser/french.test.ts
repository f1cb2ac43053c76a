import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { buildApp } from '../../workers/api/app';
import { COLUMN_NAMES } from '../../workers/api/import-columns';
import { startProjector } from '../../workers/projector';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { http, participant, project, seedTenancy, today } from '../integration/api/support';
import { eventually, testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * The console in French, for a new French-speaking user (Chromium, locale fr-FR): an import whose file has a
 * bad date reports the reason in French (from its code, not the server's English), and the mobility it took
 * over shows its grant lines with French items and bases (from their rule ids and parameters). The API runs
 * with a logger: no Fastify deprecation (FSTDEP022) and no "Reply was already sent" warning (the live feed)
 * while the console is used and closed. Screenshots under <data dir>/screenshots (french-*.png).
 */
const cfg = testConfig();
const pool = createPool(cfg);
const shots = join(cfg.dataDir, 'screenshots');
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let api: { base: string; close: () => Promise<void> };
let browser: Browser;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const projectA = `2024-1-FR01-KA131-HED-${uniq()}`;
const LINES = [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 50_000_000, allocatedMobilities: 50 }];
const addDays = (d: string, n: number): string => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** What the API logs at warn and above, and the process's warnings (Fastify's deprecations are process warnings). */
const logged: { level: number; msg: string }[] = [];
const warnings: string[] = [];
const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.code ?? w.name}: ${w.message}`);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  process.on('warning', onWarning);
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `french-browser-${uniq()}` });
  tn = await seedTenancy(pool);
  const sink = new Writable({ write(chunk, _enc, done) { for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line)); done(); } });
  const { app } = await buildApp({ pool, temporal, taskQueue: cfg.temporal.taskQueue, logger: pino({ level: 'warn' }, sink) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  api = { base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, close: () => app.close() };
  const { login, call } = http(api.base);
  const token = await login(tn.users.coordA, tn.password(tn.users.coordA));
  expect((await call('POST', '/api/projects', { token, body: project(projectA, tn.id.a1, tn.id.consA, LINES) })).status).toBe(200);
  await eventually(async () => (await pool.query('SELECT 1 FROM budget_lines WHERE project_id = $1', [projectA])).rows.length > 0, 60_000, 'the project folded');
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  process.off('warning', onWarning);
  await browser?.close();
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

/** Two rows: row 2 a long-term study mobility already selected (its estimated grant computed), row 3 with a start date that does not exist. */
function csv(): string {
  const t = uniq();
  const start = addDays(today(), 40);
  const row = (n: number, extra: Record<string, string | number> = {}): Record<string, string | number> => ({
    application_ref: `FR-${t}-${n}`, institution_id: tn.id.a1, given_name: 'Chloé', family_name: `Bernard ${n}`, email: `chloe.${t.toLowerCase()}.${n}@etudiant.example.fr`,
    date_of_birth: '2003-04-12', gender: 'female', nationality: 'FR', activity: 'HE-SMS', funder_line_id: 'erasmus',
    start_date: start, end_date: addDays(start, 149), receiving_country: 'SE', sending_country: 'FR', host_org_id: 'S-LUND-01', distance_km: 1600,
    green_travel: 'oui', fewer_opportunities: 'oui', ...extra,
  });
  const rows = [row(1, { stage: 'selected', selected_on: addDays(today(), -3) }), row(2, { start_date: '2026-02-30' })];
  return [COLUMN_NAMES.join(';'), ...rows.map((r) => COLUMN_NAMES.map((c) => String(r[c] ?? '')).join(';'))].join('\n');
}

describe('the console in French', () => {
  it('an import with a bad date gives its reason in French; the mobility it took over shows French grant bases; no server warning', { timeout: 300_000 }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR', baseURL: api.base });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    await page.locator('#login-username').fill(tn.users.ioA1);
    await page.locator('#login-password').fill(tn.password(tn.users.ioA1));
    await page.locator('form.login button[type=submit]').click();
    await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
    await page.locator('header nav').getByRole('link', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Importer des candidatures' }).waitFor();

    await page.locator('#import-project').selectOption(projectA);
    await page.locator('#import-file').setInputFiles({ name: 'candidatures.csv', mimeType: 'text/csv', buffer: Buffer.from(csv()) });
    await page.getByRole('button', { name: 'Importer', exact: true }).click();
    await page.locator('[data-testid=import-job][data-status=done]').waitFor({ timeout: 180_000 });
    const report = page.getByTestId('import-report');
    const cells = await report.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    expect(cells[0]![0]).toBe('3');
    const bad = cells.find((c) => c[2] === 'start_date')!;
    expect(bad[3]).toBe('date non valide (AAAA-MM-JJ)');
    expect(await report.textContent()).not.toMatch(/Invalid/);
    await report.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'french-import-bad-date.png'), fullPage: true });

    // The mobility taken over at selection: its estimated grant in French.
    const { login, call } = http(api.base);
    const token = await login(tn.users.ioA1, tn.password(tn.users.ioA1));
    const job = (await call('GET', `/api/imports/${new URL(page.url()).searchParams.get('job')}`, { token })).body;
    const mobilityId = job.rows.find((r: { row: number }) => r.row === 2).mobilityId as string;
    expect(mobilityId).toMatch(/-MOB-\d{5}$/);
    await page.goto(`/mobilities/${encodeURIComponent(mobilityId)}`);
    const lines = page.getByTestId('grant-lines').first();
    await lines.waitFor();
    const rows = await lines.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(['GRANT-HE-LT', 'GRANT-HE-LT-FEWER-OPP', 'GRANT-TRAVEL-GREEN']));
    const lt = rows.find((r) => r[0] === 'GRANT-HE-LT')!;
    expect(lt[1]).toBe('Soutien individuel (long terme)');
    expect(lt[3]).toMatch(/€\/mois × \d+ jours ÷ 30 \(appel 2024, mois de 30 jours du BM : \d+ jours physiques \+ \d+ de voyage\) ; taux/);
    expect(rows.find((r) => r[0] === 'GRANT-TRAVEL-GREEN')![3]).toMatch(/aller-retour, tranche voyage vert 500 à 1\s999 km pour 1\s600 km aller/);
    for (const r of rows) expect(r[3], r[0]).not.toMatch(/\bcall\b|\bdays\b|\/month|return trip|grouping/);
    expect(await lines.locator('[data-testid=grant-basis][lang=en]').count()).toBe(0);
    await lines.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'french-mobility-grant.png'), fullPage: true });

    // The same lines in English, worded from the same parameters.
    await page.locator('header select').selectOption('en');
    await page.getByTestId('grant-lines').first().locator('td', { hasText: /^€[\d,.]+\/month × \d+ days ÷ 30 \(call 2024, BM 30-day months: \d+ physical \+ \d+ travel days\)/ }).first().waitFor();
    await page.screenshot({ path: join(shots, 'french-mobility-grant-en.png'), fullPage: true });
    expect(errors).toEqual([]);
    await ctx.close();

    // The live feed's stream closed with the page: no warning from the server, no deprecation.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(logged.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
    expect(warnings.filter((w) => /FSTDEP|Reply was already sent/.test(w))).toEqual([]);
  });

  it("the organisation's audit shows readable field changes and an incoming stay's history its events, in French", { timeout: 300_000 }, async () => {
    const { login, call } = http(api.base);
    const coord = await login(tn.users.coordA, tn.password(tn.users.coordA));
    const inst = `FR-LYC-${uniq()}`;
    expect((await call('POST', '/api/organisation/institutions', { token: coord, body: { id: inst, name: 'Lycée du Parc', oid: `E${String(Date.now()).slice(-8)}`, consortiumId: tn.id.consA } })).status).toBe(201);
    expect((await call('POST', `/api/organisation/institutions/${inst}`, { token: coord, body: { name: 'Lycée du Parc (Lyon)' } })).status).toBe(200);
    const io = await login(tn.users.ioA1, tn.password(tn.users.ioA1));
    const ref = await participant(api.base, io, tn.id.a1);
    const start = addDays(today(), 12);
    const stay = await call('POST', '/api/incoming', { token: io, body: { receivingInstitutionId: tn.id.a1, participantRef: ref, kind: 'student-studies', sendingOrgId: 'D-BERLIN-01', sendingCountry: 'DE', startDate: start, endDate: addDays(start, 140) } });
    expect(stay.status).toBe(201);
    expect((await call('POST', `/api/incoming/${stay.body.incomingId}/actions/signAgreement`, { token: io, body: { signedOn: today(), ectsPlanned: 30 } })).status).toBe(200);

    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR', baseURL: api.base });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const signIn = async (user: string) => {
      await page.goto('/login');
      await page.locator('#login-username').fill(user);
      await page.locator('#login-password').fill(tn.password(user));
      await page.locator('form.login button[type=submit]').click();
      await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
    };
    await signIn(tn.users.coordA);
    await page.goto('/organisation');
    const audit = page.getByTestId('audit');
    await audit.waitFor();
    const renamed = audit.locator('tr', { hasText: 'Établissement modifié' }).filter({ hasText: inst }).first();
    await expect(renamed.getByTestId('audit-change').textContent()).resolves.toBe('Nom : Lycée du Parc → Lycée du Parc (Lyon)');
    const created = audit.locator('tr', { hasText: 'Établissement créé' }).filter({ hasText: inst }).first();
    const creation = (await created.getByTestId('audit-change').textContent()) ?? '';
    expect(creation.startsWith('créé · ')).toBe(true);
    expect(creation).toContain('Nom : Lycée du Parc');
    expect(creation).toContain('Identifiant d’organisation (OID) : E');
    expect(await audit.textContent()).not.toMatch(/[{}"]/);
    await audit.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'french-organisation-audit.png'), fullPage: true });

    await page.locator('header').getByRole('button', { name: 'Se déconnecter' }).click();
    await signIn(tn.users.ioA1);
    await page.goto(`/incoming?id=${encodeURIComponent(stay.body.incomingId)}`);
    const card = page.getByTestId('incoming-card');
    await card.locator('ol.timeline li', { hasText: 'contrat signé' }).waitFor();
    const history = await card.locator('ol.timeline').textContent();
    expect(history).toContain('nomination enregistrée');
    expect(history).not.toContain('→ nomination enregistrée');
    expect(history).not.toMatch(/Incoming[A-Z]/);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'french-incoming-history.png'), fullPage: true });
    expect(errors).toEqual([]);
    await ctx.close();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(logged.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
    expect(warnings.filter((w) => /FSTDEP|Reply was already sent/.test(w))).toEqual([]);
  });
});
