import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { mobility, registerProject, startMobility } from '../../workflows/client';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { http, seedTenancy, startApi } from '../integration/api/support';
import { eventually, testConfig } from '../support/env';
import { erasmusLine, newProject, studyApplication, today } from '../integration/workflow/fixtures';
import { launchChromium } from './chromium';

/**
 * The public page of a signed link, in Chromium: a host opens the link staff created (no account), sees
 * the mobility and the planned dates, uploads the certificate of attendance with the actual dates, and the
 * mobility moves on; an altered link shows a plain refusal; the page speaks French to a French browser.
 * Then the staff member sees the proof on the mobility's page. Screenshots under <data dir>/screenshots.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const shots = join(cfg.dataDir, 'screenshots');
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let api: Awaited<ReturnType<typeof startApi>>;
let browser: Browser;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
let id = '';
let app: ReturnType<typeof studyApplication>;
let staffToken = '';
const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% certificate of attendance\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  staffToken = await http(api.base).login(tn.users.ioA1, tn.password(tn.users.ioA1));
  // A five-month study that began 160 days ago (it ended ten days ago): departed, its certificate awaited.
  const p = newProject();
  id = p.mobilityId(1);
  await registerProject(temporal, cfg.temporal.taskQueue, { projectId: p.projectId, institutionId: tn.id.a1, lines: erasmusLine(2_000_000, 4) });
  app = { ...studyApplication(id, p.projectId, addDays(today(), -160), { leadDays: 0 }), institutionId: tn.id.a1 };
  await startMobility(temporal, cfg.temporal.taskQueue, app);
  const m = mobility(temporal, id);
  const signed = addDays(today(), -170);
  await m.act('select', { actor: 'staff.io-1' });
  await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: signed, institutionSignedOn: signed });
  await m.act('confirmDeparture', { actor: 'staff.io-1', actualStartDate: app.plan.startDate });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await mobility(temporal, id).handle.terminate('test done').catch(() => undefined);
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

describe('the page of a signed link', () => {
  it('a host uploads the certificate of attendance through the link staff created; an altered link is refused; French for a French browser', { timeout: 120_000 }, async () => {
    const issued = await http(api.base).call('POST', `/api/mobilities/${id}/links`, { token: staffToken, body: { audience: 'host', purpose: 'certificate-of-attendance' } });
    expect(issued.status).toBe(201);
    const path = new URL(issued.body.url as string).pathname;

    const ctx = await browser.newContext({ viewport: { width: 1000, height: 760 }, locale: 'en-GB', baseURL: api.base });
    const page = await ctx.newPage();
    await page.goto(path);
    await page.getByTestId('link-page').waitFor();
    await expect(page.locator('h1').textContent()).resolves.toContain(id);
    await expect(page.locator('input[name=actualStartDate]').inputValue()).resolves.toBe(app.plan.startDate);
    await page.locator('input[name=actualEndDate]').fill(app.plan.endDate);
    await page.locator('input[name=file]').setInputFiles({ name: 'certificate.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.screenshot({ path: join(shots, 'link-host-certificate.png'), fullPage: true });
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('link-done').waitFor();
    await page.screenshot({ path: join(shots, 'link-host-done.png'), fullPage: true });
    await eventually(async () => (await mobility(temporal, id).state()).stage === 'attended', 10_000, 'attendance certified');
    const st = await mobility(temporal, id).state();
    expect(st.stage === 'none' ? [] : st.documents.map((d) => [d.kind, d.attachedBy])).toEqual([['certificate-of-attendance', 'link:host']]);

    const [h, p, s] = path.slice('/link/'.length).split('.') as [string, string, string];
    await page.goto(`/link/${h}.${p}.${s.slice(0, -3)}xyz`);
    await page.getByTestId('link-refused').waitFor();
    await expect(page.getByTestId('link-refused').textContent()).resolves.toMatch(/not valid/);
    await page.screenshot({ path: join(shots, 'link-refused.png'), fullPage: true });
    await ctx.close();

    const fr = await browser.newContext({ viewport: { width: 1000, height: 760 }, locale: 'fr-FR', baseURL: api.base });
    const frPage = await fr.newPage();
    await frPage.goto(path);
    await frPage.getByTestId('link-page').waitFor();
    await expect(frPage.getByTestId('link-page').textContent()).resolves.toMatch(/Mobilité Erasmus\+.*Pour l'organisme d'accueil.*Plus rien n'est attendu/s);
    await frPage.screenshot({ path: join(shots, 'link-fr-done.png'), fullPage: true });
    await fr.close();
  });

  it("the staff member sees the proof on the mobility's page: kind, size, short hash, who, and a download", { timeout: 60_000 }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-GB', baseURL: api.base });
    const page = await ctx.newPage();
    await page.goto('/');
    await page.locator('#login-username').fill(tn.users.ioA1);
    await page.locator('#login-password').fill(tn.password(tn.users.ioA1));
    await page.locator('form.login button[type=submit]').click();
    await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
    await page.goto(`/mobilities/${id}`);
    const docs = page.getByTestId('documents');
    await docs.locator('tbody tr').first().waitFor();
    const row = await docs.locator('tbody tr').first().textContent();
    expect(row).toMatch(/Certificate of attendance/);
    expect(row).toMatch(/link:host/);
    await docs.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'mobility-documents.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), docs.getByRole('button', { name: 'Download' }).first().click()]);
    expect(download.suggestedFilename()).toMatch(/^DOC-[0-9a-f]{16}\.pdf$/);
    await ctx.close();
  });
});
