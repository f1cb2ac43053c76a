import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { http, participant, project, seedTenancy, startApi, today } from '../integration/api/support';
import { testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * The Groups page in Debian's Chromium: an institution's international office records a group of pupils
 * with an accompanying teacher and a subgroup through the page's forms, sees its members, stages, grant
 * lines, total and organisational support, selects the whole group and reads the answer per member.
 * Screenshots under <data dir>/screenshots (groups-*.png); no page error.
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
const problems: string[] = [];
const projectId = `2024-1-FR01-KA121-SCH-${uniq()}`;
const refs: string[] = [];
const day = (n: number) => new Date(Date.parse(`${today()}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  const { login, call } = http(api.base);
  const token = await login(tn.users.ioOut, tn.password(tn.users.ioOut));
  const terms = { action: 'KA121', callYear: 2024, country: 'FR', prefinancingPercent: 80, applicableRates: { 'SCH-PUPIL-GRP': { '1': { dailyEur: 85 } }, 'SCH-STAFF-JS': { '1': { dailyEur: 191 } } } };
  const reg = await call('POST', '/api/projects', { token, body: project(projectId, tn.id.out, null, [{ lineId: 'erasmus', funder: 'Erasmus+ KA121', allocatedCents: 5_000_000, allocatedMobilities: 20 }], terms) });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
  for (let i = 0; i < 3; i++) refs.push(await participant(api.base, token, tn.id.out));
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await temporal?.connection.close();
  await pool.end();
});

async function signIn(page: Page, username: string, password: string) {
  await page.goto('/login');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('form.login button[type=submit]').click();
  await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
}

describe('the Groups page', () => {
  it('records a group with a subgroup, a learner pair and an accompanying teacher; shows grant lines, total and organisational support; selects the group per member', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-GB', baseURL: api.base });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await signIn(page, tn.users.ioOut, tn.password(tn.users.ioOut));
    await page.goto('/groups?new=1');
    await page.locator('[data-testid=group-new-toggle]').waitFor({ timeout: 15_000 }).catch(async (e: unknown) => {
      await page.screenshot({ path: join(shots, 'groups-failed.png'), fullPage: true });
      throw e;
    });
    await page.locator('[data-testid=group-project]').fill(projectId);
    const f = (path: string) => page.locator(`#group-form-${path.replace(/\./g, '-')}`);
    await f('institutionId').fill(tn.id.out);
    await f('activity').selectOption('SCH-PUPIL-GRP');
    await f('funderLineId').fill('erasmus');
    await f('plan.startDate').fill(day(-20));
    await f('plan.endDate').fill(day(-16));
    await f('plan.sendingCountry').fill('FR');
    await f('plan.receivingCountry').fill('DE');
    await f('plan.hostOrgId').fill('D-BERLIN01');
    await f('plan.distanceKm').fill('1050');
    await page.locator('[data-testid=group-add-subgroup]').click();
    await page.locator('input[name="subgroups.0.subgroupId"]').fill('train');
    await page.locator('[data-testid=group-subgroups] input[type=checkbox]').first().check();
    // Two rows are offered (a learner, an accompanying person); a third for the second pupil, in the subgroup.
    await page.locator('input[name="members.0.participantRef"]').fill(refs[0]!);
    await page.locator('input[name="members.1.participantRef"]').fill(refs[1]!);
    await page.locator('[data-testid=group-add-member]').click();
    await page.locator('input[name="members.2.participantRef"]').fill(refs[2]!);
    await page.locator('[data-testid=group-members] select').nth(2).selectOption('train');
    await page.screenshot({ path: join(shots, 'groups-new.png'), fullPage: true });
    await page.locator('#group-form button[type=submit]').click();
    await page.locator('[data-testid=group-card]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=group-members-table] tbody tr').nth(2).waitFor();
    expect(await page.locator('[data-testid=group-members-table] tbody tr').count()).toBe(3);
    expect(await page.locator('[data-testid=group-card]').textContent()).toMatch(/2 learners, 1 accompanying person(?!s)/);

    await page.locator('[data-testid=group-card] button[data-action=select]').click();
    await page.locator('#group-select button[type=submit]').click();
    await page.locator('[data-testid=group-results] li').nth(2).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=group-results] li.outcome-applied').count()).toBe(3);
    // After selection the members carry their estimated grants: the accompanying person's at the staff rate.
    await page.locator('[data-testid=group-members-table] details').nth(2).waitFor({ timeout: 30_000 });
    for (const d of await page.locator('[data-testid=group-members-table] details').all()) await d.locator('summary').click();
    expect(await page.locator('[data-testid=group-members-table]').textContent()).toMatch(/GRANT-ACCOMP-DAYS-1-14/);
    expect(await page.locator('[data-testid=group-org-support]').textContent()).toMatch(/2 participants counted, 1 accompanying person excluded/);
    // Organisational support in euros, as the server computed it: call 2024's 100 € × the two learners.
    expect(await page.locator('[data-testid=group-org-support-amount]').textContent()).toBe('€200.00');
    expect(await page.locator('[data-testid=group-org-support-unit]').textContent()).toBe('€100.00 per participant × 2 participants (call 2024, rule ORG-KA12X)');
    expect(await page.locator('[data-testid=group-total]').textContent()).toMatch(/€/);
    await page.screenshot({ path: join(shots, 'groups-card.png'), fullPage: true });

    // The same page in French.
    const fr = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR', baseURL: api.base });
    const p2 = await fr.newPage();
    p2.on('pageerror', (e) => problems.push(`page error (fr): ${e.message}`));
    await signIn(p2, tn.users.ioOut, tn.password(tn.users.ioOut));
    await p2.goto(page.url());
    await p2.locator('[data-testid=group-card]').waitFor({ timeout: 30_000 });
    expect(await p2.locator('[data-testid=group-card]').textContent()).toMatch(/Soutien organisationnel/);
    expect(await p2.locator('[data-testid=group-org-support]').textContent()).toMatch(/2 participants comptés, 1 accompagnateur exclu(?!s)/);
    expect(await p2.locator('[data-testid=group-card]').textContent()).toMatch(/2 apprenants, 1 accompagnateur(?!s)/);
    expect((await p2.locator('[data-testid=group-org-support-amount]').textContent())?.replace(/\s/g, ' ')).toBe('200,00 €');
    expect((await p2.locator('[data-testid=group-org-support-unit]').textContent())?.replace(/\s/g, ' ')).toBe('100,00 € par participant × 2 participants (appel 2024, règle ORG-KA12X)');
    // Each member's grant lines in French too, worded from their rule ids and parameters (none left in the server's English).
    await p2.locator('[data-testid=group-members-table] details').nth(2).waitFor({ timeout: 30_000 });
    for (const d of await p2.locator('[data-testid=group-members-table] details').all()) await d.locator('summary').click();
    expect(await p2.getByTestId('member-grant-line').count()).toBeGreaterThanOrEqual(6);
    expect(await p2.locator('[data-testid=member-grant-line]:has([lang=en])').allTextContents()).toEqual([]);
    expect(await p2.locator('[data-testid=group-members-table]').textContent()).toMatch(/GRANT-ACCOMP-DAYS-1-14/);
    await p2.screenshot({ path: join(shots, 'groups-card-fr.png'), fullPage: true });
    await fr.close();
    await ctx.close();
    expect(problems).toEqual([]);
  }, 180_000);
});
