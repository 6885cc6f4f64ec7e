import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LAPTOP, launchBrowser, PHONE, screenshot, watchPage } from './support/browser.js';
import { adminToken, createApi, tokenRequest } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const ORDERS = 'https://orders.example.com';
const INVENTORY = 'https://inventory.example.com';
const ADMIN_PASSWORD = 'correct-horse-battery-staple';

let srv: TestServer;
let url: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

const watch = (p: Page): Page => watchPage(p, problems);

async function submitted(p: Page, action: () => Promise<unknown>): Promise<void> {
  await p.evaluate('window.__previousDocument = true');
  await action();
  await p.waitForFunction('!window.__previousDocument');
}

/** The page has no horizontal scrollbar: nothing sticks out at this width. */
async function fitsWidth(p: Page): Promise<void> {
  const [scroll, client] = await p.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]') as [number, number];
  expect(scroll, `${p.url()} is ${scroll}px wide in a ${client}px window`).toBeLessThanOrEqual(client);
}

beforeAll(async () => {
  srv = await startTestServer({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD, CLIENT_CACHE_SECONDS: '0' });
  url = srv.url;
  const admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, {
    identifier: ORDERS, name: 'Orders API',
    scopes: [{ name: 'orders:read', description: 'Read orders' }, { name: 'orders:write', description: 'Create and change orders' }],
  });
  await createApi(url, admin, { identifier: INVENTORY, name: 'Inventory API', scopes: [{ name: 'inventory:read', description: 'Read stock levels' }] });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: LAPTOP });
  page = watch(await context.newPage());
  await page.goto(`${url}/portal/sign-in`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await submitted(page, () => page.getByRole('button', { name: 'Sign in' }).click());
});

afterAll(async () => {
  await browser?.close();
  await srv?.destroy();
});

describe('clients and registration in a browser', () => {
  let iat = '';
  let client = { client_id: '', client_secret: '', registration_access_token: '' };

  it('creates an initial access token from the Registration page and shows it once', async () => {
    await page.getByRole('link', { name: 'Registration' }).click();
    await page.waitForURL('**/portal/initial-access-tokens');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Registration');
    await screenshot(page, '40-registration-empty');

    await page.getByRole('checkbox', { name: 'All of Orders API' }).check();
    await page.getByRole('checkbox', { name: 'inventory:read' }).check();
    await page.getByRole('checkbox', { name: /^Opaque/ }).uncheck();
    await page.getByLabel('Longest token lifetime').fill('900');
    await page.getByLabel('Registrations').fill('3');
    await page.getByLabel('Valid for').selectOption({ label: '7 days' });
    await page.getByLabel('Description').fill('Shop CI');
    await submitted(page, () => page.getByRole('button', { name: 'Create token' }).last().click());
    await page.getByRole('heading', { name: 'Initial access token created' }).waitFor();
    iat = await page.locator('[data-credential="initial-access-token"]').inputValue();
    expect(iat.length).toBeGreaterThan(20);
    const row = page.locator('tr', { hasText: 'Shop CI' });
    await expect(row.textContent()).resolves.toMatch(/Orders API[\s\S]*inventory:read[\s\S]*JWT · TTL at most 15 minutes[\s\S]*3 of 3/);
    await screenshot(page, '41-registration-created');
    await page.setViewportSize(PHONE);
    await fitsWidth(page);
    await screenshot(page, '42-registration-created-phone');
    await page.setViewportSize(LAPTOP);
  });

  it('shows clients registered with it, with their policy', async () => {
    for (const name of ['billing-sync', 'stock-watcher']) {
      const res = await request(url).post('/reg').set('Authorization', `Bearer ${iat}`)
        .send({ client_name: name, scope: name === 'billing-sync' ? 'orders:read orders:write' : 'inventory:read', access_token_strategy: 'jwt' });
      expect(res.status).toBe(201);
      if (name === 'billing-sync') client = res.body;
    }
    await page.getByRole('link', { name: 'Clients' }).click();
    await page.waitForURL('**/portal/clients');
    const row = page.locator(`tr[data-client="${client.client_id}"]`);
    await expect(row.textContent()).resolves.toMatch(/billing-sync[\s\S]*orders:read[\s\S]*orders:write[\s\S]*JWT[\s\S]*15 minutes[\s\S]*Active/);
    await screenshot(page, '43-clients');
    await row.getByText('Manage').click();
    await screenshot(page, '44-clients-menu');
  });

  it('disables a client: /token refuses it with invalid_client; enabling lets it back in', async () => {
    expect((await tokenRequest(url, client.client_id, client.client_secret)).status).toBe(200);
    const row = page.locator(`tr[data-client="${client.client_id}"]`);
    if (!(await row.locator('details[open]').count())) await row.getByText('Manage').click();
    await submitted(page, () => row.getByRole('button', { name: /^Disable/ }).click());
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('is disabled');
    await expect(page.locator(`tr[data-client="${client.client_id}"]`).textContent()).resolves.toContain('Disabled');
    const refused = await tokenRequest(url, client.client_id, client.client_secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    await screenshot(page, '45-clients-disabled');

    const again = page.locator(`tr[data-client="${client.client_id}"]`);
    await again.getByText('Manage').click();
    await submitted(page, () => again.getByRole('button', { name: /^Enable/ }).click());
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('is enabled again');
    expect((await tokenRequest(url, client.client_id, client.client_secret)).status).toBe(200);
  });

  it('rotates the registration access token: the new one works at /reg, the old one does not', async () => {
    const row = page.locator(`tr[data-client="${client.client_id}"]`);
    await row.getByText('Manage').click();
    await submitted(page, () => row.getByRole('button', { name: /^Rotate registration token/ }).click());
    await page.getByRole('heading', { name: /New registration access token for billing-sync/ }).waitFor();
    const rotated = await page.locator('[data-credential="registration-access-token"]').inputValue();
    const reg = `/reg/${encodeURIComponent(client.client_id)}`;
    expect((await request(url).get(reg).set('Authorization', `Bearer ${rotated}`)).status).toBe(200);
    expect((await request(url).get(reg).set('Authorization', `Bearer ${client.registration_access_token}`)).status).toBe(401);
    await expect(page.locator('.copy-btn').first().isVisible()).resolves.toBe(true);
    await screenshot(page, '46-clients-rotated');
    await page.setViewportSize(PHONE);
    await fitsWidth(page);
    await screenshot(page, '47-clients-rotated-phone');
    await page.getByRole('link', { name: 'I have copied it' }).click();
    await page.waitForURL('**/portal/clients?source=registration');
    await fitsWidth(page);
    await screenshot(page, '48-clients-phone');
    await page.setViewportSize(LAPTOP);
  });

  it('deletes a client after confirming', async () => {
    const row = page.locator(`tr[data-client="${client.client_id}"]`);
    await row.getByText('Manage').click();
    await row.getByRole('link', { name: /Delete/ }).click();
    await page.getByRole('heading', { name: 'Delete billing-sync?' }).waitFor();
    await screenshot(page, '49-client-delete-confirm');
    await submitted(page, () => page.getByRole('button', { name: 'Delete client' }).click());
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('was deleted');
    await expect(page.locator(`tr[data-client="${client.client_id}"]`).count()).resolves.toBe(0);
  });

  it('raised no script errors and nothing the content security policy blocked', () => {
    expect(problems).toEqual([]);
  });
});
