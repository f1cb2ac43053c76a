import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { mobility } from '../../workflows/client';
import { startProjector } from '../../workers/projector';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { application, http, KA131_TERMS, participant, project, seedTenancy, startApi } from '../integration/api/support';
import { testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * A co-funded mobility's page in Chromium (French and English): the "Financement" / "Funding" table shows the
 * Erasmus+ share and the regional line's share (150 €/month capped at 600 €, fewer opportunities) with their rule,
 * basis and what each line holds; the application form offers the co-funding lines field. Screenshots under
 * <data dir>/screenshots (co-funding-*.png).
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
const projectId = `2024-1-FR01-KA131-HED-${uniq()}`;
let mobilityId = '';

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: `co-funding-browser-${uniq()}` });
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  const coord = await login(tn.users.coordA, tn.password(tn.users.coordA));
  const io = await login(tn.users.ioA1, tn.password(tn.users.ioA1));
  const lines = [
    { lineId: 'EPLUS', funder: 'ERASMUS+', allocatedCents: 5_000_000, allocatedMobilities: 10 },
    { lineId: 'REGION', funder: 'Région Auvergne-Rhône-Alpes', allocatedCents: 200_000, allocatedMobilities: 5, rule: { kind: 'flat', per: 'month', amountEur: 150, capEur: 600, condition: 'fewer-opportunities' } },
  ];
  expect((await call('POST', '/api/projects', { token: coord, body: { ...project(projectId, tn.id.a1, tn.id.consA, undefined, KA131_TERMS), lines } })).status).toBe(200);
  const ref = await participant(api.base, io, tn.id.a1, { fewerOpportunitiesCriterion: 'FO-03' });
  const app = application(projectId, 1, { institutionId: tn.id.a1, consortiumId: tn.id.consA }, ref);
  const r = await call('POST', '/api/mobilities', { token: io, body: { ...app, funderLineId: 'EPLUS', coFundingLineIds: ['REGION'] } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  mobilityId = app.mobilityId;
  expect((await call('POST', `/api/mobilities/${mobilityId}/actions/select`, { token: io, body: {} })).status).toBe(200);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (mobilityId) await mobility(temporal, mobilityId).handle.terminate('co-funding browser test done').catch(() => undefined);
  await api?.close();
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

describe('a co-funded mobility in the console', () => {
  for (const [locale, heading, held] of [['fr-FR', 'Financement', 'Réservé sur la ligne'], ['en-GB', 'Funding', 'Held on the line']] as const) {
    it(`${locale}: the mobility page shows each line's share with its rule and basis`, async () => {
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 1000 }, locale, baseURL: api.base });
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto('/');
      await page.locator('#login-username').fill(tn.users.ioA1);
      await page.locator('#login-password').fill(tn.password(tn.users.ioA1));
      await page.locator('form.login button[type=submit]').click();
      await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
      await page.goto(`/mobilities/${mobilityId}`);
      const funding = page.getByTestId('funding');
      await funding.waitFor();
      await expect(funding.getByRole('heading', { name: heading }).isVisible()).resolves.toBe(true);
      await expect(funding.getByRole('columnheader', { name: held }).isVisible()).resolves.toBe(true);
      const rows = await funding.getByTestId('funding-shares').locator('tbody tr').allInnerTexts();
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatch(/EPLUS\s+ERASMUS\+\s+FUND-ERASMUS-PLUS/);
      expect(rows[1]).toMatch(/REGION\s+Région Auvergne-Rhône-Alpes\s+FUND-FLAT-MONTH\s+600,00\s€|REGION\s+Région Auvergne-Rhône-Alpes\s+FUND-FLAT-MONTH\s+€600\.00/);
      expect(rows[1]).toMatch(/capped at 600\.00 €/);
      await funding.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, `co-funding-${locale}.png`), fullPage: true });
      // The application form offers the co-funding lines.
      await page.goto('/applications/new');
      await page.locator('#apply-coFundingLineIds').waitFor();
      expect(await page.locator('#apply-coFundingLineIds-list option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toContain('REGION');
      expect(errors).toEqual([]);
      await ctx.close();
    });
  }
});
