import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { startProjector } from '../../workers/projector';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { http, project, seedTenancy, startApi } from '../integration/api/support';
import { eventually, testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * The budget page's exports in Chromium: the Beneficiary Module file downloads as XLSX under the
 * server's name, and a calendar link is created and shown with its copy button (French and English).
 * Screenshots under <data dir>/screenshots (exports-*.png).
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

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `exports-browser-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  const token = await login(tn.users.coordA, tn.password(tn.users.coordA));
  expect((await call('POST', '/api/projects', { token, body: project(projectA, tn.id.a1, tn.id.consA) })).status).toBe(200);
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

describe('exports in the console', () => {
  for (const [locale, xlsx, create, copy] of [['fr-FR', 'XLSX', 'Créer un lien de calendrier', 'Copier le lien'], ['en-GB', 'XLSX', 'Create a calendar link', 'Copy the link']] as const) {
    it(`${locale}: the BM file downloads from the budget page; a calendar link is created with a copy button`, async () => {
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale, baseURL: api.base, acceptDownloads: true });
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto('/');
      await page.locator('#login-username').fill(tn.users.coordA);
      await page.locator('#login-password').fill(tn.password(tn.users.coordA));
      await page.locator('form.login button[type=submit]').click();
      await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
      await page.goto('/budget');
      const bm = page.getByTestId('bm-export');
      await bm.waitFor();
      const [file] = await Promise.all([page.waitForEvent('download'), bm.getByRole('button', { name: new RegExp(`^${xlsx} — .*${projectA}`) }).click()]);
      expect(file.suggestedFilename()).toBe(`${projectA}-bm-mobilities.xlsx`);
      const cal = page.getByTestId('calendar-feeds');
      await cal.getByRole('button', { name: create }).click();
      const url = await cal.getByTestId('calendar-url').locator('input').inputValue();
      expect(url).toMatch(/\/cal\/[A-Za-z0-9_-]{43}\.ics$/);
      await expect(cal.getByRole('button', { name: copy }).isVisible()).resolves.toBe(true);
      const feed = await fetch(url);
      expect(feed.status).toBe(200);
      expect(await feed.text()).toContain('BEGIN:VCALENDAR');
      await bm.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, `exports-${locale}.png`), fullPage: true });
      expect(errors).toEqual([]);
      await ctx.close();
    });
  }
});
