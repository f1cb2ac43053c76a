import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../infra/db/pool';
import { inboxFile } from '../../infra/stack/mail';
import { connectTemporal } from '../../infra/temporal';
import { seedTenancy, startApi } from '../integration/api/support';
import { eventually, testConfig, uniq } from '../support/env';
import { launchChromium } from './chromium';

/**
 * Onboarding in Debian's Chromium (issue 13, "Done when": a consortium coordinator creates an
 * institution, a site and a staff account in the console). The coordinator uses the Organisation
 * page's forms only; a refused field shows next to the field; the new staff member opens the link of
 * the invitation e-mail from the development mailbox, chooses a password and signs in. Screenshots
 * under <data dir>/screenshots (onboarding-*.png); axe-core finds no serious violation; no page error.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const shots = join(cfg.dataDir, 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let temporal: Client;
let api: Awaited<ReturnType<typeof startApi>>;
let browser: Browser;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  temporal = await connectTemporal(cfg);
  tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await temporal?.connection.close();
  await pool.end();
});

async function context(locale: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale, baseURL: api.base });
  ctx.on('page', (page) => {
    page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    // The refusals this test provokes on purpose appear as failed requests (400); nothing else may.
    page.on('console', (m) => {
      if ((m.type() === 'error' || m.type() === 'warning') && !/status of 400/.test(m.text())) problems.push(`console ${m.type()} on ${page.url()}: ${m.text()}`);
    });
  });
  return ctx;
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto('/login');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('form.login button[type=submit]').click();
  await page.waitForURL((u) => u.pathname !== '/' && u.pathname !== '/login');
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `onboarding-${name}.png`), fullPage: true });

async function accessible(page: Page, what: string) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] }));
  expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${what}: ${v.id} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

const invitationFor = (username: string) => {
  let text = '';
  try { text = readFileSync(inboxFile(cfg), 'utf8'); } catch { return undefined; }
  const mail = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { body: string; headers: Record<string, string> }).find((m) => m.headers['x-invitation-for']?.trim() === username);
  if (!mail) return undefined;
  return /https?:\/\/\S+?(\/set-password#token=[A-Za-z0-9_-]{43})/.exec(mail.body.replace(/=\r?\n/g, '').replace(/=3D/g, '='))?.[1];
};

describe('a consortium coordinator onboards a new member in the console', () => {
  it('creates an institution, a site and a staff account with the forms; the staff member sets a password from the e-mail and signs in', async () => {
    const t = uniq();
    const inst = `INST-${t}`;
    const site = `INST-${t}-NORD`;
    const username = `nadia.${t}`.toLowerCase();
    const ctx = await context('fr-FR');
    const page = await ctx.newPage();
    await signIn(page, tn.users.coordA, tn.password(tn.users.coordA));
    await page.getByRole('link', { name: 'Organisation' }).click();
    await page.waitForURL('**/organisation');
    await expect.poll(() => page.locator('[data-testid=institutions] tbody tr').count(), { timeout: 15_000 }).toBe(3);
    await shot(page, '1-scope');
    await accessible(page, 'organisation');

    // New institution: a wrong OID is refused next to its field; corrected, it is created in the coordinator's consortium.
    await page.locator('summary', { hasText: 'Nouvel établissement' }).click();
    await expect.poll(() => page.locator('#new-institution-consortiumId').inputValue(), { timeout: 15_000 }).toBe(tn.id.consA);
    await page.locator('#new-institution-id').fill(inst);
    await page.locator('#new-institution-name').fill('Lycée des Métiers Nouveaux');
    await page.locator('#new-institution-oid').fill('E123');
    await page.locator('#new-institution button[type=submit]').click();
    await expect.poll(() => page.locator('#new-institution-oid').getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');
    await expect.poll(() => page.locator('#new-institution-oid-error').isVisible(), { timeout: 15_000 }).toBe(true);
    await shot(page, '2-refused-field');
    await page.locator('#new-institution-oid').fill(`E${String(Date.now()).slice(-8)}`);
    await page.locator('#new-institution button[type=submit]').click();
    await expect.poll(() => page.locator('[data-testid=org-notice]').textContent(), { timeout: 15_000 }).toBe('Enregistré.');
    await expect.poll(async () => (await page.locator('[data-testid=institutions]').textContent()) ?? '', { timeout: 15_000 }).toContain(inst);
    await expect.poll(async () => (await page.locator(`[data-testid=members-${tn.id.consA}]`).textContent()) ?? '', { timeout: 15_000 }).toContain(inst);

    // New site of that institution.
    await page.locator('summary', { hasText: 'Nouveau site' }).click();
    await page.locator('#new-site-id').fill(site);
    await page.locator('#new-site-institutionId').fill(inst);
    await page.locator('#new-site-name').fill('Campus nord');
    await page.locator('#new-site button[type=submit]').click();
    await expect.poll(async () => (await page.locator('[data-testid=sites]').textContent()) ?? '', { timeout: 15_000 }).toContain(site);

    // New staff account: the institution's coordinator, invited by e-mail.
    await page.locator('summary', { hasText: 'Nouveau compte' }).click();
    await page.locator('#new-staff-username').fill(username);
    await page.locator('#new-staff-displayName').fill('Nadia Nouvelle');
    await page.locator('#new-staff-email').fill(`${username}@lycee.example.org`);
    await page.locator('#new-staff-role').selectOption('institution-coordinator');
    await page.locator('#new-staff-scopeKind').selectOption('institution');
    await page.locator('#new-staff-scopeId').fill(inst);
    await page.locator('#new-staff button[type=submit]').click();
    await expect.poll(async () => (await page.locator('[data-testid=org-notice]').textContent()) ?? '', { timeout: 15_000 }).toContain(`${username}@lycee.example.org`);
    await expect.poll(async () => (await page.locator(`[data-testid=staff] tr[data-username="${username}"]`).textContent()) ?? '', { timeout: 15_000 }).toContain('Invité');
    await expect.poll(() => page.locator('[data-testid=audit] tbody tr').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    await shot(page, '3-created');
    await ctx.close();

    // The new staff member, in English, from the development mailbox.
    const path = await eventually(async () => invitationFor(username), 10_000, 'the invitation e-mail');
    const ctx2 = await context('en-GB');
    const p2 = await ctx2.newPage();
    await p2.goto(path);
    await expect.poll(() => p2.locator('h1').textContent(), { timeout: 15_000 }).toBe('Choose your password');
    await accessible(p2, 'set-password');
    await p2.locator('#setpw-password').fill('too short');
    await p2.locator('#setpw-confirm').fill('too short');
    await p2.locator('form.login button[type=submit]').click();
    await expect.poll(() => p2.locator('#setpw-password-error').isVisible(), { timeout: 15_000 }).toBe(true);
    const password = `a long and fine password ${t}`;
    await p2.locator('#setpw-password').fill(password);
    await p2.locator('#setpw-confirm').fill(password);
    await p2.locator('form.login button[type=submit]').click();
    await expect.poll(async () => (await p2.locator('[data-testid=setpw-done]').textContent()) ?? '', { timeout: 15_000 }).toContain(username);
    await shot(p2, '4-password-set');
    // The link works once.
    await p2.goto('/login');
    await p2.goto(path);
    await p2.locator('#setpw-password').fill(`${password} again`);
    await p2.locator('#setpw-confirm').fill(`${password} again`);
    await p2.locator('form.login button[type=submit]').click();
    await expect.poll(async () => (await p2.locator('[data-testid=setpw-refused]').textContent()) ?? '', { timeout: 15_000 }).toContain('already used');

    await signIn(p2, username, password);
    await p2.getByRole('link', { name: 'Organisation' }).click();
    await expect.poll(async () => (await p2.locator('[data-testid=institutions]').textContent()) ?? '', { timeout: 15_000 }).toContain(inst);
    await expect.poll(async () => (await p2.locator('[data-testid=sites]').textContent()) ?? '', { timeout: 15_000 }).toContain(site);
    await shot(p2, '5-new-staff-organisation');
    await accessible(p2, 'organisation (new staff)');
    await ctx2.close();
    expect(problems).toEqual([]);
  });
});
