import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { startIncomingProjector } from '../../workers/projections/incoming';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { workflowBundle } from '../integration/workflow/harness';
import { http, participant, seedTenancy, startApi, today } from '../integration/api/support';
import { testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * The Incoming page in Debian's Chromium on the real stack: an institution coordinator sees the
 * stays it hosts with what each still owes, records a nomination with the generated form, and moves
 * an invited expert from nomination to certificate with the action forms, in French then English.
 * Screenshots: <data dir>/screenshots/incoming-*.png.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const shots = join(cfg.dataDir, 'screenshots');
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startIncomingProjector>>;
let api: Awaited<ReturnType<typeof startApi>>;
let browser: Browser;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
let ref: string;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  // The workflow bundle built once per file (as the workflow tests do).
  worker = await createMobilityWorker(cfg, { workflowBundle: await workflowBundle() });
  running = worker.worker.run();
  projector = await startIncomingProjector(cfg, pool, { groupId: `incoming-browser-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { call, login } = http(api.base);
  const token = await login(tn.users.ioA1, tn.password(tn.users.ioA1));
  ref = await participant(api.base, token, tn.id.a1);
  // Two stays already under way: a student whose learning agreement is signed, and a staff member teaching.
  const start = addDays(today(), 12);
  const student = await call('POST', '/api/incoming', { token, body: { receivingInstitutionId: tn.id.a1, participantRef: ref, kind: 'student-studies', sendingOrgId: 'D-BERLIN-01', sendingCountry: 'DE', startDate: start, endDate: addDays(start, 140) } });
  await call('POST', `/api/incoming/${student.body.incomingId}/actions/signAgreement`, { token, body: { signedOn: today(), ectsPlanned: 30 } });
  await call('POST', '/api/incoming', { token, body: { receivingInstitutionId: tn.id.a1, participantRef: ref, kind: 'staff-teaching', sendingOrgId: 'E10208646', sendingCountry: 'IT', startDate: start, endDate: addDays(start, 4) } });
  browser = await launchChromium();
}, 600_000);

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

async function signIn(page: Page) {
  await page.goto('/');
  await page.locator('#login-username').fill(tn.users.ioA1);
  await page.locator('#login-password').fill(tn.password(tn.users.ioA1));
  await page.locator('form.login button[type=submit]').click();
  await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
}

const fill = async (page: Page, form: string, values: Record<string, string>) => {
  for (const [path, value] of Object.entries(values)) {
    const input = page.locator(`#${form} [data-path="${path}"]`);
    if (await input.evaluate((e) => e.tagName === 'SELECT')) await input.selectOption(value);
    else await input.fill(value);
  }
};

describe('the Incoming page', () => {
  it('lists the hosted stays, records a nomination and runs an invited expert to the certificate with forms, in French and English', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR', baseURL: api.base });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error' && !/409|400/.test(m.text())) problems.push(`console: ${m.text()}`); });
    await signIn(page);
    await expect(page.locator('header nav a[href="/incoming"]')).toBeDefined();
    expect(await page.locator('header nav a[href="/incoming"]').innerText()).toBe('Accueil entrant');
    await page.goto('/incoming');
    await page.locator('[data-testid=incoming-table] tbody tr').nth(1).waitFor();
    expect(await page.locator('h1').innerText()).toBe('Mobilités entrantes');
    const rows = await page.locator('[data-testid=incoming-table] tbody tr').allInnerTexts();
    expect(rows.join('\n')).toMatch(/Étudiant entrant \(études\)/);
    expect(rows.join('\n')).toMatch(/Contrat signé/);
    await page.screenshot({ path: join(shots, 'incoming-list-fr.png'), fullPage: true });

    // A nomination through the generated form: an invited expert for two days, starting today.
    await page.locator('[data-testid=incoming-new-toggle]').click();
    await fill(page, 'incoming-nomination', {
      receivingInstitutionId: tn.id.a1, participantRef: ref, kind: 'invited-expert', sendingOrgId: 'D-MUNCHEN-02', sendingCountry: 'DE',
      startDate: today(), endDate: addDays(today(), 1),
    });
    await page.screenshot({ path: join(shots, 'incoming-nomination-form-fr.png'), fullPage: true });
    await page.locator('#incoming-nomination button[type=submit]').click();
    await page.locator('[data-testid=incoming-card]').waitFor();
    expect(await page.locator('[data-testid=incoming-done]').innerText()).toMatch(/Nomination IN-.*-MOB-00003 enregistrée/);
    const card = page.locator('[data-testid=incoming-card]');
    expect(await card.locator('.stage').innerText()).toBe('Nomination reçue');
    // No agreement to sign for an invited expert: arrival is offered at once.
    expect(await card.locator('[data-action]').evaluateAll((b) => b.map((x) => x.getAttribute('data-action')))).toEqual(['confirmArrival', 'cancel', 'recordNoShow']);
    await card.locator('[data-action=confirmArrival]').click();
    await fill(page, 'incoming-confirmArrival', { arrivedOn: addDays(today(), 1) });
    await page.locator('#incoming-confirmArrival button[type=submit]').click();
    // The future date is refused next to the field, in French; nothing changed.
    await page.locator('#incoming-confirmArrival [role=alert]').first().waitFor();
    expect(await page.locator('#incoming-confirmArrival').innerText()).toMatch(/dans le futur/);
    await fill(page, 'incoming-confirmArrival', { arrivedOn: today() });
    await page.locator('#incoming-confirmArrival button[type=submit]').click();
    await expect.poll(async () => card.locator('.page-head .stage').innerText(), { timeout: 20_000 }).toBe('Arrivé');
    expect(await card.innerText()).toMatch(/Attestation de présence · pour le/);

    // In English, the certificate of attendance with its form (dates pre-filled from the stay).
    await page.locator('header select').selectOption('en');
    await card.locator('[data-action=issueCertificate]').waitFor();
    expect(await page.locator('h1').innerText()).toBe('Incoming mobilities');
    await card.locator('[data-action=issueCertificate]').click();
    await fill(page, 'incoming-issueCertificate', { actualEndDate: today(), issuedOn: today() });
    await page.screenshot({ path: join(shots, 'incoming-certificate-form-en.png'), fullPage: true });
    await page.locator('#incoming-issueCertificate button[type=submit]').click();
    await expect.poll(async () => card.locator('.page-head .stage').innerText(), { timeout: 20_000 }).toBe('Attendance certified');
    expect(await card.innerText()).toMatch(/Nothing is due now/);
    await expect.poll(async () => (await page.locator('[data-testid=incoming-table]').innerText()).includes('Attendance certified'), { timeout: 20_000 }).toBe(true);
    await page.screenshot({ path: join(shots, 'incoming-list-en.png'), fullPage: true });
    expect(problems).toEqual([]);
    await ctx.close();
  });
});
