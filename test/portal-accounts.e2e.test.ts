import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LAPTOP, launchBrowser, PHONE, screenshot, watchPage } from './support/browser.js';
import { adminToken, createApi, tokenRequest } from './support/oauth.js';
import { eventually } from './support/processes.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const ORDERS = 'https://orders.example.com';
const HIDDEN = 'https://payroll.example.com';
const ADMIN_PASSWORD = 'correct-horse-battery-staple';

let srv: TestServer;
let url: string;
let browser: Browser;
/** Script errors and anything the content security policy blocked, from every page. */
const problems: string[] = [];

interface Person {
  name: string;
  password: string;
  context: BrowserContext;
  page: Page;
  appId: string;
  keys: Record<'production' | 'sandbox', { consumerKey: string; consumerSecret: string; tokens: number }>;
}

async function open(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: LAPTOP });
  const page = watchPage(await context.newPage(), problems);
  return { context, page };
}

/** The page at desktop and phone widths. */
async function shoot(page: Page, name: string): Promise<void> {
  await screenshot(page, `accounts-${name}`);
  await page.setViewportSize(PHONE);
  await screenshot(page, `accounts-${name}-phone`);
  await page.setViewportSize(LAPTOP);
}

async function submitted(p: Page, action: () => Promise<unknown>): Promise<void> {
  await p.evaluate('window.__previousDocument = true');
  await action();
  await p.waitForFunction('!window.__previousDocument');
}

async function invite(admin: Page, username: string): Promise<string> {
  await admin.goto(`${url}/portal/accounts`);
  await admin.getByLabel('Username').fill(username);
  await admin.getByLabel('E-mail').fill(`${username}@example.com`);
  await submitted(admin, () => admin.getByRole('button', { name: 'Create invitation link' }).click());
  return admin.locator('[data-credential="link"]').inputValue();
}

async function generateKeys(p: Page, type: 'production' | 'sandbox') {
  if (type === 'sandbox') await p.getByRole('tab', { name: /Sandbox Keys/ }).click();
  const form = p.locator(`#panel-${type}`);
  await form.getByLabel('Access token validity period').fill('600');
  await form.getByRole('checkbox', { name: 'orders:read' }).check();
  await submitted(p, () => form.getByRole('button', { name: 'Generate keys' }).click());
  const result = form.locator('.result');
  return {
    consumerKey: await result.locator('[data-credential="consumer-key"]').inputValue(),
    consumerSecret: await result.locator('[data-credential="consumer-secret"]').inputValue(),
    tokens: await result.locator('[data-credential="access-token"]').count(),
  };
}

const people: Record<string, Person> = {};

beforeAll(async () => {
  srv = await startTestServer({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD });
  url = srv.url;
  const admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, { identifier: ORDERS, name: 'Orders API', scopes: [{ name: 'orders:read', description: 'Read orders' }] });
  await createApi(url, admin, { identifier: HIDDEN, name: 'Payroll API', scopes: [{ name: 'payroll:read', description: 'Read payslips' }] });
  const published = await request(url).post(`/api/apis/${encodeURIComponent(ORDERS)}/publish`).set('Authorization', `Bearer ${admin}`);
  expect(published.status).toBe(200);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await srv?.destroy();
});

describe('many developers in the portal', { timeout: 120_000 }, () => {
  let adminPage: Page;

  it('an admin invites two developers, each with a single-use link', async () => {
    const { page } = await open();
    adminPage = page;
    await page.goto(`${url}/portal/sign-in`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await submitted(page, () => page.getByRole('button', { name: 'Sign in' }).click());

    const links: Record<string, string> = {};
    for (const name of ['alice', 'bob']) {
      links[name] = await invite(page, name);
      expect(links[name]).toMatch(new RegExp(`^${url}/portal/invitations/[A-Za-z0-9_-]{43}$`));
      if (name === 'alice') await shoot(page, '01-invitation-link');
    }
    await page.goto(`${url}/portal/accounts`);
    await expect(page.locator('tbody tr').filter({ hasText: 'bob' }).textContent()).resolves.toContain('Invited');
    await shoot(page, '02-accounts');

    for (const name of ['alice', 'bob']) {
      const { context, page: p } = await open();
      await p.goto(links[name]!);
      await expect(p.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Choose your password');
      if (name === 'alice') await shoot(p, '03-choose-password');
      const password = name === 'alice' ? 'amber-lantern-harbour-7' : 'cobalt-meadow-stairs-3';
      await p.getByLabel('Password', { exact: true }).fill(password);
      await p.getByLabel('Password again').fill(password);
      await submitted(p, () => p.getByRole('button', { name: 'Set password and sign in' }).click());
      if (new URL(p.url()).pathname !== '/portal/applications') throw new Error(`${p.url()} ${(await p.textContent('body'))?.slice(0, 400)}`);
      people[name] = { name, password, context, page: p, appId: '', keys: {} as Person['keys'] };

      // The link worked once: a second use, even in another browser, is refused.
      const { context: other, page: q } = await open();
      const again = await q.goto(links[name]!);
      expect(again?.status()).toBe(404);
      await expect(q.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This link does not work');
      if (name === 'alice') await shoot(q, '04-link-used');
      await other.close();
    }
  });

  it('each developer sees the published APIs only, creates an application and gets production and sandbox keys that work', async () => {
    for (const person of Object.values(people)) {
      const p = person.page;
      await p.goto(`${url}/portal/apis`);
      await expect(p.getByRole('heading', { name: 'Orders API' }).isVisible()).resolves.toBe(true);
      await expect(p.getByText('Payroll API').count()).resolves.toBe(0);
      if (person.name === 'alice') await shoot(p, '05-developer-apis');

      await p.goto(`${url}/portal/applications/new`);
      await expect(p.getByRole('checkbox', { name: /Payroll API/ }).count()).resolves.toBe(0);
      await p.getByLabel('Name').fill(`${person.name}'s shop`);
      await p.getByRole('checkbox', { name: /Orders API/ }).check();
      await submitted(p, () => p.getByRole('button', { name: 'Create application' }).click());
      person.appId = new URL(p.url()).pathname.split('/').pop()!;
      person.keys.production = await generateKeys(p, 'production');
      person.keys.sandbox = await generateKeys(p, 'sandbox');

      for (const type of ['production', 'sandbox'] as const) {
        const k = person.keys[type];
        const res = await tokenRequest(url, k.consumerKey, k.consumerSecret, { scope: 'orders:read' });
        expect(res.status).toBe(200);
      }
      // One refusal of each kind, which the usage counts as failures.
      const k = person.keys.production;
      expect((await tokenRequest(url, k.consumerKey, 'wrong-secret', { scope: 'orders:read' })).status).toBe(401);
      expect((await tokenRequest(url, k.consumerKey, k.consumerSecret, { scope: 'payroll:read' })).status).toBe(400);
    }
    const alice = people['alice']!;
    await alice.page.goto(`${url}/portal/applications`);
    await expect(alice.page.locator('tbody tr').count()).resolves.toBe(1);
    await shoot(alice.page, '06-developer-applications');
  });

  it('the application page counts the tokens the test issued, with failures beside them', async () => {
    const alice = people['alice']!;
    // Generating keys issues the first token; the test asked for one more per key set.
    const expected = { production: alice.keys.production.tokens + 1, sandbox: alice.keys.sandbox.tokens + 1 };
    const counted = async (type: 'production' | 'sandbox', span: 'day' | 'month') =>
      alice.page.locator(`[data-usage="${type}-${span}-issued"]`).textContent();
    // Counting runs after each answer; a reload writes this instance's counts before reading.
    await eventually(async () => {
      await alice.page.goto(`${url}/portal/applications/${alice.appId}`);
      return (await counted('sandbox', 'day')) === String(expected.sandbox)
        && (await alice.page.locator('.usage-card').first().locator('.stats__item--bad').first().textContent())!.includes('1');
    }, 5000);
    for (const type of ['production', 'sandbox'] as const) {
      for (const span of ['day', 'month'] as const) await expect(counted(type, span)).resolves.toBe(String(expected[type]));
    }
    const production = alice.page.locator('.usage-card').first();
    await expect(production.locator('.stats__item--bad').first().textContent()).resolves.toContain('1');
    await expect(production.locator('svg.chart').count()).resolves.toBe(2);
    await alice.page.locator('#usage').scrollIntoViewIfNeeded();
    await shoot(alice.page, '07-application-usage');
    await alice.page.locator('#usage').screenshot({ path: 'test-artifacts/screenshots/accounts-usage-section.png' });

    const api = await request(url).get(`/api/applications/${alice.appId}/usage`).set('Authorization', `Bearer ${await adminToken(url, srv.config.issuer)}`);
    expect(api.status).toBe(200);
    const keySets = api.body.key_sets as { key_type: string; last_24_hours: { issued: number; invalid_client: number; invalid_scope: number } }[];
    expect(keySets.find((k) => k.key_type === 'PRODUCTION')!.last_24_hours).toMatchObject({ issued: expected.production, invalid_client: 1, invalid_scope: 1 });
  });

  it('neither developer reaches the other\'s application by URL, by form post, or through the API', async () => {
    const alice = people['alice']!;
    const bob = people['bob']!;
    const byUrl = await alice.page.goto(`${url}/portal/applications/${bob.appId}`);
    expect(byUrl?.status()).toBe(404);
    const text = await alice.page.textContent('body');
    expect(text).not.toContain("bob's shop");
    expect(text).not.toContain(bob.keys.production.consumerKey);
    await shoot(alice.page, '08-other-application-404');

    // A form post with alice's own valid CSRF token, aimed at bob's application.
    await alice.page.goto(`${url}/portal/applications`);
    const csrf = await alice.page.locator('input[name="_csrf"]').first().inputValue();
    for (const path of ['/delete', '/keys/production/secret', '/keys/production/revoke', '']) {
      const res = await alice.context.request.post(`${url}/portal/applications/${bob.appId}${path}`, {
        form: { _csrf: csrf, name: 'stolen', token_type: 'JWT', access_token_ttl: '60' }, maxRedirects: 0,
      });
      expect(res.status(), path).toBe(404);
      expect(await res.text()).not.toContain(bob.keys.production.consumerKey);
    }
    const adminPages = ['/portal/accounts', '/portal/overview', '/portal/apis/new'];
    for (const path of adminPages) expect((await alice.page.goto(`${url}${path}`))?.status(), path).toBe(404);

    // Through the API with her own session.
    const session = await request(url).post('/api/sessions').send({ username: 'alice', password: alice.password });
    expect(session.status).toBe(201);
    const auth = `Bearer ${session.body.session_token as string}`;
    const list = await request(url).get('/api/applications').set('Authorization', auth);
    expect(list.body.applications.map((a: { id: string }) => a.id)).toEqual([alice.appId]);
    for (const call of [
      request(url).get(`/api/applications/${bob.appId}`),
      request(url).get(`/api/applications/${bob.appId}/usage`),
      request(url).delete(`/api/applications/${bob.appId}`),
      request(url).post(`/api/applications/${bob.appId}/keys/production/regenerate-secret`),
    ]) {
      const res = await call.set('Authorization', auth);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(bob.keys.production.consumerKey);
    }
    expect((await request(url).get('/api/accounts').set('Authorization', auth)).status).toBe(403);
    expect((await request(url).get(`/api/applications/${alice.appId}`).set('Authorization', auth)).status).toBe(200);
    const sneaky = await request(url).patch(`/api/applications/${alice.appId}`).set('Authorization', auth).send({ subscriptions: [ORDERS, HIDDEN] });
    expect(sneaky.status).toBe(400);
    // Bob's application is still there, untouched.
    expect((await request(url).get(`/api/applications/${bob.appId}`).set('Authorization', `Bearer ${await adminToken(url, srv.config.issuer)}`)).status).toBe(200);
  });

  it('a developer changes their password and sees their sessions', async () => {
    const alice = people['alice']!;
    await alice.page.goto(`${url}/portal/account`);
    await expect(alice.page.locator('tbody tr').count()).resolves.toBeGreaterThanOrEqual(2);
    await shoot(alice.page, '09-your-account');
    alice.password = 'another-quiet-river-9';
    await alice.page.getByLabel('Current password').fill('amber-lantern-harbour-7');
    await alice.page.getByLabel('New password', { exact: true }).fill(alice.password);
    await alice.page.getByLabel('New password again').fill(alice.password);
    await submitted(alice.page, () => alice.page.getByRole('button', { name: 'Change password' }).click());
    await expect(alice.page.getByRole('status').first().textContent()).resolves.toContain('Password changed');
    // Her API session (opened above) ended with the change.
    await expect(alice.page.locator('tbody tr').count()).resolves.toBe(1);
  });

  it('a disabled account is signed out at once, and its keys keep working', async () => {
    const bob = people['bob']!;
    const session = await request(url).post('/api/sessions').send({ username: 'bob', password: bob.password });
    await adminPage.goto(`${url}/portal/accounts/bob`);
    await shoot(adminPage, '10-account');
    await submitted(adminPage, () => adminPage.getByRole('button', { name: 'Disable account' }).click());
    await expect(adminPage.getByRole('status').first().textContent()).resolves.toContain('disabled');

    await bob.page.goto(`${url}/portal/applications`);
    expect(new URL(bob.page.url()).pathname).toBe('/portal/sign-in');
    expect((await request(url).get('/api/applications').set('Authorization', `Bearer ${session.body.session_token as string}`)).status).toBe(401);
    await bob.page.getByLabel('Username').fill('bob');
    await bob.page.getByLabel('Password').fill(bob.password);
    await submitted(bob.page, () => bob.page.getByRole('button', { name: 'Sign in' }).click());
    expect(new URL(bob.page.url()).pathname).toBe('/portal/sign-in');
    const k = bob.keys.production;
    expect((await tokenRequest(url, k.consumerKey, k.consumerSecret, { scope: 'orders:read' })).status).toBe(200);
  });

  it('the admin sees usage over all applications, transfers an application and deletes an account after confirming', async () => {
    await adminPage.goto(`${url}/portal/overview`);
    await expect(adminPage.locator('tbody tr').count()).resolves.toBe(2);
    await shoot(adminPage, '11-admin-usage');

    const alice = people['alice']!;
    await adminPage.goto(`${url}/portal/applications/${people['bob']!.appId}`);
    await adminPage.getByLabel('Transfer to').selectOption('alice');
    await submitted(adminPage, () => adminPage.getByRole('button', { name: 'Transfer' }).click());
    await expect(adminPage.getByRole('status').first().textContent()).resolves.toContain('alice');
    await alice.page.goto(`${url}/portal/applications`);
    await expect(alice.page.locator('tbody tr').count()).resolves.toBe(2);

    await adminPage.goto(`${url}/portal/accounts/bob/delete`);
    await shoot(adminPage, '12-delete-account');
    await submitted(adminPage, () => adminPage.getByRole('button', { name: /Delete account/ }).click());
    await expect(adminPage.getByRole('status').first().textContent()).resolves.toContain('bob was deleted');

    const log = await request(url).get('/api/audit-log').set('Authorization', `Bearer ${await adminToken(url, srv.config.issuer)}`);
    const actions = (log.body.entries as { action: string; actor: string }[]).map((e) => `${e.actor} ${e.action}`);
    for (const a of ['user:admin account.invite', 'user:admin account.disable', 'user:admin application.transfer', 'user:admin account.delete', 'user:alice account.password_change', 'client:admin api.publish']) {
      expect(actions).toContain(a);
    }
  });

  it('ran every page without a script error or a blocked resource', () => {
    expect(problems).toEqual([]);
  });
});
