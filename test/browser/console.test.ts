import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROJECT, DEMO_VET_PROJECT, runDemo } from '../../bin/demo';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { DEMO_ACCOUNTS } from '../../workers/api/demo';
import { startProjector } from '../../workers/projector';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { http, startApi } from '../integration/api/support';
import { eventually, testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * The operations console in Debian's Chromium (playwright-core), at 1366×768, on the real stack:
 * worker, projector, API, and the demo on fresh projects. Every page is saved as a screenshot under
 * <data dir>/screenshots; every page passes axe-core with no serious or critical violation; no
 * JavaScript error and no console error happens (the only console lines allowed are the browser's
 * own notes of the refusals a test provokes on purpose).
 */
const cfg = testConfig();
const pool = createPool(cfg);
const shots = join(cfg.dataDir, 'screenshots');
const projects = { [DEMO_PROJECT]: `2024-1-FR01-KA131-HED-${uniq()}`, [DEMO_VET_PROJECT]: `2024-1-FR01-KA121-VET-${uniq()}` };
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let temporal: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let api: Awaited<ReturnType<typeof startApi>>;
let browser: Browser;
const projectorGroup = `browser-test-${uniq()}`;
const problems: string[] = [];
const allowedRefusals: RegExp[] = [];

const LANDING: Record<string, string> = {
  director: '/budget', coordinator: '/budget', admin: '/worklist', quality: '/quality', lyon: '/worklist',
  grenoble: '/worklist', bron: '/worklist', paris: '/worklist', observer: '/pipeline',
};
const PAGES: Record<string, string[]> = {
  director: ['/pipeline', '/budget', '/quality', '/organisation'],
  coordinator: ['/pipeline', '/budget', '/quality', '/organisation'],
  admin: ['/worklist', '/pipeline', '/groups'],
  quality: ['/pipeline', '/quality'],
  lyon: ['/worklist', '/pipeline', '/budget', '/quality', '/applications/new', '/organisation', '/incoming', '/imports', '/groups'],
  grenoble: ['/worklist', '/pipeline', '/budget', '/quality', '/applications/new', '/organisation', '/incoming', '/imports', '/groups'],
  bron: ['/worklist', '/pipeline', '/applications/new', '/incoming', '/imports', '/groups'],
  paris: ['/worklist', '/pipeline', '/budget', '/quality', '/applications/new', '/organisation', '/incoming', '/imports', '/groups'],
  observer: ['/pipeline'],
};

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, undefined, { groupId: projectorGroup });
  await runDemo(cfg, temporal, { projects, count: 48, log: () => undefined, tty: false });
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
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

async function context(locale = 'fr-FR'): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale, baseURL: api.base });
  ctx.on('page', watch);
  return ctx;
}

function watch(page: Page) {
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    if (allowedRefusals.some((r) => r.test(m.text()))) return;
    problems.push(`console ${m.type()} on ${page.url()}: ${m.text()}`);
  });
}

async function signIn(page: Page, username: string) {
  await page.goto('/');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(`demo-${username}`);
  await page.locator('form.login button[type=submit]').click();
  await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(page: Page, what: string) {
  // Evaluated through the DevTools protocol: the console's Content-Security-Policy forbids inline scripts, and stays on.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${what}: ${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
}

/** A departed mobility of the demo's KA131 project (a consortium mobility). */
async function aDepartedMobility(): Promise<string> {
  const { rows } = await pool.query<{ mobility_id: string }>(`SELECT mobility_id FROM demo_mobilities WHERE mobility_id LIKE $1 || '%' ORDER BY 1 DESC`, [projects[DEMO_PROJECT]]);
  for (const r of rows) if ((await temporal.workflow.getHandle(r.mobility_id).query<{ stage: string }>('state')).stage === 'departed') return r.mobility_id;
  throw new Error('no departed mobility in the demo');
}

const loaded = (page: Page) => page.waitForFunction(() => !document.querySelector('main [role=status]') && document.querySelector('main h1'));
const figures = async (page: Page, testId: string) =>
  JSON.parse((await page.locator(`[data-testid=${testId}]`).getAttribute('data-figures')) ?? '{}') as { labels: string[]; series: { label: string; values: number[] }[] };

describe('the operations console in a real browser', () => {
  it('each role signs in, lands on a page with something to do, and is offered only its own pages (screenshots, axe)', { timeout: 300_000 }, async () => {
    for (const a of DEMO_ACCOUNTS) {
      const ctx = await context();
      const page = await ctx.newPage();
      await signIn(page, a.username);
      expect(new URL(page.url()).pathname, a.username).toBe(LANDING[a.username]);
      await loaded(page);
      const nav = await page.locator('header nav a').evaluateAll((as) => as.map((x) => new URL((x as HTMLAnchorElement).href).pathname));
      expect(nav.sort(), a.username).toEqual([...PAGES[a.username]!].sort());
      // Never raw permission text anywhere.
      expect(await page.locator('body').innerText(), a.username).not.toMatch(/may not|budget\.view|mobility\.[a-z-]+/);
      for (const path of PAGES[a.username]!) {
        await page.goto(path);
        await loaded(page);
        await page.waitForTimeout(400); // charts draw on the next frames
        await shot(page, `${a.username}${path.replace(/\//g, '-')}`);
        await accessible(page, `${a.username} ${path}`);
      }
      // Something to do or to see on the landing page.
      await page.goto(LANDING[a.username]!);
      await loaded(page);
      if (['lyon', 'admin', 'grenoble'].includes(a.username)) expect(await page.locator('[data-testid=worklist-overdue] tbody tr').count(), a.username).toBeGreaterThan(0);
      if (LANDING[a.username] === '/budget') expect(await page.locator('[data-testid=budget-table] tbody tr').count(), a.username).toBeGreaterThan(0);
      if (LANDING[a.username] === '/quality') expect(await page.locator('[data-testid=quality-table] tbody tr').count(), a.username).toBeGreaterThan(0);
      if (LANDING[a.username] === '/pipeline') expect(Number(await page.locator('[data-testid=stage-counts] .stage-col.all .count').innerText())).toBeGreaterThan(0);
      await ctx.close();
    }
  });

  it('finds an overdue mobility in the worklist, records its certificate of attendance through its form, and the budget chart of another user moves without a reload', { timeout: 180_000 }, async () => {
    const coordinator = await (await context()).newPage();
    await signIn(coordinator, 'coordinator');
    await coordinator.goto('/budget?groupBy=line');
    await loaded(coordinator);
    const finalOf = async () => (await figures(coordinator, 'budget-chart')).series[2]!.values.reduce((s, v) => s + v, 0);
    const before = await finalOf();

    const ctx = await context();
    const page = await ctx.newPage();
    await signIn(page, 'lyon');
    await loaded(page);
    const ours = page.locator(`[data-testid=worklist-overdue] tr[data-kind=certificate-of-attendance][data-mobility^="${projects[DEMO_PROJECT]}"]`).first();
    const row = (await ours.count()) > 0 ? ours : page.locator('[data-testid=worklist-overdue] tr[data-kind=certificate-of-attendance]').first();
    const id = (await row.getAttribute('data-mobility'))!;
    const due = (await row.getAttribute('data-due'))!;
    await shot(page, 'lyon-worklist-overdue');
    await row.locator('a.button').click();
    await page.waitForURL(`**/mobilities/${id}?action=recordCertificateOfAttendance`);
    const form = page.locator('#action-recordCertificateOfAttendance');
    await expect.poll(() => form.isVisible()).toBe(true);
    // A date picker, prefilled with the departure date the workflow knows; the end is the planned end.
    expect(await page.locator('#action-recordCertificateOfAttendance-actualStartDate').getAttribute('type')).toBe('date');
    expect(await page.locator('#action-recordCertificateOfAttendance-actualStartDate').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await page.locator('#action-recordCertificateOfAttendance-actualEndDate').fill(due);
    await shot(page, 'lyon-mobility-certificate-form');
    await form.locator('button[type=submit]').click();
    await page.locator('[data-testid=action-done]').waitFor();
    expect(await page.locator('[data-testid=action-done]').innerText()).toContain('Présence attestée');
    expect(await page.locator('.page-head .stage').innerText()).toBe('Présence attestée');
    await shot(page, 'lyon-mobility-certified');

    // The coordinator's chart moves by itself (server-sent events fed by the projector's NOTIFY).
    await expect.poll(finalOf, { timeout: 20_000, interval: 250 }).toBeGreaterThan(before);
    await shot(coordinator, 'coordinator-budget-after-certificate');
    // Behind the figures: the mobilities of a funder line, each with its grant rule lines.
    await coordinator.locator('[data-testid=budget-table] tbody tr').first().locator('button').click();
    await coordinator.locator('ul.drill li').first().waitFor();
    await coordinator.locator('ul.drill li summary').first().click();
    expect(await coordinator.locator('ul.drill li').first().innerText()).toMatch(/GRANT-[A-Z0-9-]+/);
    await shot(coordinator, 'coordinator-budget-drill-down');
    await accessible(coordinator, 'coordinator budget drill-down');
    await coordinator.context().close();
    await ctx.close();
  });

  it('shows the domain’s refusal next to the field, in view, translated', { timeout: 120_000 }, async () => {
    allowedRefusals.push(/Failed to load resource: the server responded with a status of 409/);
    const departed = await aDepartedMobility();
    // The consortium's administrative manager certifies attendance on the consortium's mobilities.
    const page = await (await context()).newPage();
    await signIn(page, 'admin');
    await page.goto(`/mobilities/${departed}?action=recordCertificateOfAttendance`);
    const future = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    await page.locator('#action-recordCertificateOfAttendance-actualEndDate').fill(future);
    await page.locator('#action-recordCertificateOfAttendance button[type=submit]').click();
    const alert = page.locator('#action-recordCertificateOfAttendance-refusal');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Les dates ne conviennent pas');
    const field = page.locator('#action-recordCertificateOfAttendance-actualEndDate');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#action-recordCertificateOfAttendance-actualEndDate-error').isVisible()).toBe(true);
    // In view: the refusal box lies inside the viewport.
    const box = (await alert.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + Math.min(box.height, 40)).toBeLessThanOrEqual(768);
    await shot(page, 'admin-mobility-refusal');
    await accessible(page, 'admin refusal');
    await page.context().close();
    allowedRefusals.pop();
  });

  it('a role that may not record the certificate is not offered the action, and the API still refuses it', { timeout: 120_000 }, async () => {
    const departed = await aDepartedMobility();
    for (const who of ['observer', 'quality', 'director']) {
      const page = await (await context()).newPage();
      await signIn(page, who);
      await page.goto(`/mobilities/${departed}?action=recordCertificateOfAttendance`);
      await loaded(page);
      expect(await page.locator('.page-head .stage').innerText()).toBe('Parti·e');
      expect(await page.locator('[data-action]').count(), who).toBe(0);
      expect(await page.locator('#action-recordCertificateOfAttendance').count(), who).toBe(0);
      expect(await page.locator('#actions-title + p').innerText()).toBe('Rien à faire pour vous à cette étape.');
      await shot(page, `${who}-mobility-no-action`);
      await page.context().close();
      const { call, login } = http(api.base);
      const token = await login(who, `demo-${who}`);
      const r = await call('POST', `/api/mobilities/${departed}/actions/recordCertificateOfAttendance`, { token, body: { actualStartDate: '2026-01-01', actualEndDate: '2026-01-02' } });
      expect(r.status, who).toBe(403);
    }
    expect((await temporal.workflow.getHandle(departed!).query<{ stage: string }>('state')).stage).toBe('departed');
  });

  it('speaks the browser’s language, French or English, and the user can switch', { timeout: 120_000 }, async () => {
    const english = await (await context('en-GB')).newPage();
    await english.goto('/');
    expect(await english.locator('h1').innerText()).toBe('Sign in');
    await signIn(english, 'lyon');
    await loaded(english);
    expect(await english.locator('h1').innerText()).toBe('Worklist');
    expect(await english.locator('header nav').innerText()).toContain('Pipeline');
    await shot(english, 'lyon-worklist-en');
    await english.goto('/pipeline');
    await loaded(english);
    expect(await english.locator('[data-testid=stage-counts]').innerText()).toContain('Agreement signed');
    await shot(english, 'lyon-pipeline-en');
    await english.locator('header select').selectOption('fr');
    await english.locator('h1', { hasText: 'Suivi des mobilités' }).waitFor();
    expect(await english.locator('[data-testid=stage-counts]').innerText()).toContain('Convention signée');
    expect(await english.evaluate(() => document.documentElement.lang)).toBe('fr');
    // Dates and euros follow the language.
    await english.goto('/budget');
    await loaded(english);
    expect(await english.locator('[data-testid=budget-table]').innerText()).toMatch(/\d[\u202f\u00a0 ]?\d{3},\d{2}\s?€/);
    await english.locator('header select').selectOption('en');
    await english.locator('h1', { hasText: 'Budget' }).waitFor();
    expect(await english.locator('[data-testid=budget-table]').innerText()).toMatch(/€\d{1,3}(,\d{3})*\.\d{2}/);
    await english.context().close();
  });

  it('runs a mobility from application to recognition with forms only, and the back button works', { timeout: 240_000 }, async () => {
    const page = await (await context()).newPage();
    await signIn(page, 'paris');
    await page.goto('/applications/new');
    await page.locator('#apply').waitFor();
    // The participant first, in the protected registry (its own generated form); the application carries the ref it gives.
    const person: Record<string, string> = {
      institutionId: 'F-PARIS-001', givenName: 'Camille', familyName: 'Martin', email: 'camille.martin@example.org', dateOfBirth: '1988-04-12',
      gender: 'undisclosed', nationality: 'FR',
    };
    if ((await page.locator('#participant').count()) > 0) {
      for (const [path, value] of Object.entries(person)) {
        const input = page.locator(`#participant [data-path="${path}"]`);
        if ((await input.count()) === 0) continue;
        if (await input.evaluate((e) => e.tagName === 'SELECT')) await input.selectOption(value);
        else await input.fill(value);
      }
      await page.locator('#participant button[type=submit]').click();
      await page.locator('[data-testid=participant-done]').waitFor();
    }
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    // Fill what the generated form asks (it follows the OpenAPI document: fields it lacks are skipped).
    const values: Record<string, string> = {
      projectId: projects[DEMO_VET_PROJECT]!, institutionId: 'F-PARIS-001',
      activity: 'VET-STAFF-JS', funderLineId: 'erasmus',
      'plan.startDate': day(-8), 'plan.endDate': day(-4), 'plan.receivingCountry': 'DE', 'plan.sendingCountry': 'FR', 'plan.hostOrgId': 'D-BERLIN-01',
      'plan.distanceKm': '880', 'rates.callYear': '2024', 'rates.dailyEur': '120', 'rates.monthlyEur': '600',
    };
    for (const [path, value] of Object.entries(values)) {
      const input = page.locator(`#apply [data-path="${path}"]`);
      if ((await input.count()) === 0) continue;
      if (await input.evaluate((e) => e.tagName === 'SELECT')) await input.selectOption(value);
      else await input.fill(value);
    }
    await page.locator('#apply [data-path="plan.greenTravel"]').check();
    await shot(page, 'paris-application-form');
    await page.locator('#apply button[type=submit]').click();
    const refused = page.locator('#apply-refusal');
    await Promise.race([page.waitForURL(/\/mobilities\/[^/]+-MOB-\d{5}$/), refused.waitFor().then(async () => {
      throw new Error(`the application was refused: ${await refused.innerText()} ${JSON.stringify(await page.locator('.field-error').allInnerTexts())}`);
    })]);
    await loaded(page);
    expect(await page.locator('.page-head .stage').innerText()).toBe('Candidature reçue');

    const act = async (action: string, fields: Record<string, string> = {}, stage?: string) => {
      await page.locator(`[data-action=${action}]`).click();
      const form = page.locator(`#action-${action}`);
      await form.waitFor();
      for (const [name, value] of Object.entries(fields)) {
        const input = page.locator(`#action-${action}-${name}`);
        if (await input.evaluate((e) => e.tagName === 'SELECT')) await input.selectOption(value);
        else await input.fill(value);
      }
      await form.locator('button[type=submit]').click();
      await page.locator('[data-testid=action-done]').waitFor();
      // The confirmation of the previous action may still be on the page: wait for the stage itself to change.
      if (stage) await expect.poll(async () => page.locator('.page-head .stage').innerText(), { message: action, timeout: 20_000 }).toBe(stage);
    };
    await act('select', {}, 'Sélectionné·e');
    await act('signAgreement', { participantSignedOn: day(-15), institutionSignedOn: day(-14) }, 'Convention signée');
    await act('confirmDeparture', { actualStartDate: day(-8) }, 'Parti·e');
    await act('recordCertificateOfAttendance', { actualEndDate: day(-4) }, 'Présence attestée');
    await shot(page, 'paris-mobility-attended');
    // The participant report can be recorded once the workflow has invited it (its timer, the day after the end).
    await expect.poll(async () => {
      await page.reload();
      await loaded(page);
      return page.locator('[data-action=recordReportSubmitted]').count();
    }, { timeout: 30_000, interval: 1_000 }).toBe(1);
    await act('recordReportSubmitted', { submittedOn: day(0) }, 'Rapport remis');
    await act('recordRecognition', { outcome: 'full' }, 'Reconnue');
    expect(await page.locator('[data-testid=grant-lines]').innerText()).toMatch(/€/);
    await shot(page, 'paris-mobility-recognised');

    // Deep links and the back button.
    const url = page.url();
    await page.goto('/pipeline');
    await loaded(page);
    await page.goBack();
    await page.waitForURL(url);
    await loaded(page);
    expect(await page.locator('.page-head .stage').innerText()).toBe('Reconnue');
    await page.context().close();
  });

  it('shows a banner while the projections lag, and drops it when they catch up', { timeout: 120_000 }, async () => {
    const page = await (await context()).newPage();
    await signIn(page, 'coordinator');
    await loaded(page);
    expect(await page.locator('[data-testid=lag-banner]').count()).toBe(0);
    // The projector stops; the engine goes on publishing events it has not folded.
    await projector.stop();
    const { call, login } = http(api.base);
    const token = await login('lyon', 'demo-lyon');
    const { rows } = await pool.query<{ mobility_id: string }>(`SELECT mobility_id FROM demo_mobilities WHERE mobility_id LIKE $1 || '%' AND stage = 'applied' ORDER BY 1`, [projects[DEMO_PROJECT]]);
    let acted = 0;
    for (const r of rows) if ((await call('POST', `/api/mobilities/${r.mobility_id}/actions/select`, { token, body: {} })).status === 200) acted++;
    expect(acted).toBeGreaterThan(0);
    const banner = page.locator('[data-testid=lag-banner]');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.innerText()).toMatch(/Les chiffres se mettent à jour : \d+ événements pas encore comptés/);
    await shot(page, 'coordinator-budget-lag-banner');
    projector = await startProjector(cfg, pool, undefined, { groupId: projectorGroup });
    await banner.waitFor({ state: 'detached', timeout: 60_000 });
    await page.context().close();
  });

  it('raised no JavaScript error and no console error on any page', () => {
    expect(problems).toEqual([]);
  });
});
