import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PortalUsers } from '../src/portal/index.js';
import { LAPTOP, launchBrowser, PHONE, screenshot, watchPage } from './support/browser.js';
import { adminToken, createApi, introspect } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

const ORDERS = 'https://orders.example.com';
const INVENTORY = 'https://inventory.example.com';
const ADMIN_PASSWORD = 'correct-horse-battery-staple';

let srv: TestServer;
let url: string;
let issuer: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Script errors and anything the content security policy blocked, from every page. */
const problems: string[] = [];

const watch = (p: Page): Page => watchPage(p, problems);

const adminIntrospect = async (token: string) =>
  (await introspect(url, 'admin', ADMIN_SECRET, token)).body as Record<string, unknown>;

async function verifyJwt(token: string, audience: string) {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${url}/jwks`)), { issuer, audience, typ: 'at+jwt' });
  return payload;
}

const panel = (type: 'production' | 'sandbox') => page.locator(`#panel-${type}`);

async function credential(scope: Locator, kind: string): Promise<string> {
  return scope.locator(`[data-credential="${kind}"]`).first().inputValue();
}

async function credentials(scope: Locator, kind: string): Promise<string[]> {
  const fields = scope.locator(`[data-credential="${kind}"]`);
  const values: string[] = [];
  for (let i = 0; i < (await fields.count()); i++) values.push(await fields.nth(i).inputValue());
  return values;
}

/** Runs an action that submits a form and waits until the next document has replaced this one. */
async function submitted(p: Page, action: () => Promise<unknown>): Promise<void> {
  await p.evaluate('window.__previousDocument = true');
  await action();
  await p.waitForFunction('!window.__previousDocument');
}

async function signIn(p: Page, username: string, password: string): Promise<void> {
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(password);
  await submitted(p, () => p.getByRole('button', { name: 'Sign in' }).click());
}

/** Fills the Generate Keys form of one tab and submits it; returns the one-time values. */
async function generateKeys(type: 'production' | 'sandbox', ttl: string, scopes: string[]) {
  const form = panel(type);
  await form.getByLabel('Access token validity period').fill(ttl);
  for (const s of scopes) await form.getByRole('checkbox', { name: s }).check();
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/keys/${type}`));
  await submitted(page, () => form.getByRole('button', { name: 'Generate keys' }).click());
  expect((await response).status()).toBe(200);
  expect((await response).headers()['cache-control']).toBe('no-store');
  const result = form.locator('.result');
  await result.getByRole('heading', { name: /keys generated/ }).waitFor();
  return {
    consumerKey: await credential(result, 'consumer-key'),
    consumerSecret: await credential(result, 'consumer-secret'),
    tokens: await credentials(result, 'access-token'),
    curls: await credentials(result, 'curl'),
  };
}

beforeAll(async () => {
  srv = await startTestServer({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD });
  url = srv.url;
  issuer = srv.config.issuer;
  const admin = await adminToken(url, issuer);
  await createApi(url, admin, {
    identifier: ORDERS,
    name: 'Orders API',
    scopes: [{ name: 'orders:read', description: 'Read orders' }, { name: 'orders:write', description: 'Create and change orders' }],
  });
  await createApi(url, admin, {
    identifier: INVENTORY,
    name: 'Inventory API',
    scopes: [{ name: 'inventory:read', description: 'Read stock levels' }],
    signing_alg: 'ES256',
  });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: LAPTOP });
  page = watch(await context.newPage());
});

afterAll(async () => {
  await browser?.close();
  await srv?.destroy();
});

describe('developer portal in a browser', () => {
  let jwtApp = '';
  let production = { consumerKey: '', consumerSecret: '', tokens: [] as string[], curls: [] as string[] };

  it('leads from / to the sign-in page and refuses a wrong password', async () => {
    await page.goto(`${url}/`);
    expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
    await screenshot(page, '01-sign-in');

    await signIn(page, 'admin', 'not-the-password');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The username or password is not correct.');
    await expect(page.getByLabel('Username').inputValue()).resolves.toBe('admin');
    await expect(page.getByLabel('Password').inputValue()).resolves.toBe('');
    expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
    await screenshot(page, '02-sign-in-wrong-password');
  });

  it('signs in with a session cookie that scripts cannot read', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL('**/portal/applications');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Applications');
    await expect(page.getByText('No applications yet').isVisible()).resolves.toBe(true);
    const session = (await context.cookies()).find((c) => c.name === 'kf_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/portal', secure: false });
    await expect(page.evaluate('document.cookie')).resolves.not.toContain('kf_session');
    await screenshot(page, '03-applications-empty');
  });

  it('creates a JWT application, keeping the form on an error', async () => {
    await page.getByRole('link', { name: 'Create application' }).first().click();
    await page.getByLabel('Description').fill('Sends invoices');
    await page.getByRole('checkbox', { name: /Orders API/ }).check();
    await page.getByRole('checkbox', { name: /Inventory API/ }).check();
    await submitted(page, () => page.getByRole('button', { name: 'Create application' }).click());

    // Nothing typed is lost; the message sits with its field.
    await expect(page.locator('#name-error').textContent()).resolves.toContain('Enter a name.');
    await expect(page.getByLabel('Name').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Description').inputValue()).resolves.toBe('Sends invoices');
    await expect(page.getByRole('checkbox', { name: /Orders API/ }).isChecked()).resolves.toBe(true);
    await expect(page.getByRole('checkbox', { name: /Inventory API/ }).isChecked()).resolves.toBe(true);
    await screenshot(page, '04-create-application-error');

    await page.getByLabel('Name').fill('Billing Service');
    await page.getByRole('radio', { name: /JWT/ }).check();
    await page.getByLabel('Access token validity period').fill('3600');
    await screenshot(page, '05-create-application');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.waitForURL(/\/portal\/applications\/[A-Za-z0-9_-]+$/);
    jwtApp = new URL(page.url()).pathname.split('/').pop()!;
    await expect(page.getByRole('status').filter({ hasText: 'ready' }).textContent()).resolves.toContain('Billing Service is ready');
    await expect(page.getByRole('tab', { name: /Production Keys/ }).getAttribute('aria-selected')).resolves.toBe('true');
    await screenshot(page, '06-application');
  });

  it('generates production keys and shows key, secret and a JWT once', async () => {
    production = await generateKeys('production', '900', ['orders:read']);
    expect(production.tokens).toHaveLength(1);
    const token = production.tokens[0]!;
    expect(production.curls[0]).toBe(`curl -H "Authorization: Bearer ${token}" ${ORDERS}`);
    await expect(page.locator('.result .warning').textContent()).resolves.toContain('shown only once');
    await screenshot(page, '07-production-keys-generated');

    const payload = await verifyJwt(token, ORDERS);
    expect(payload).toMatchObject({ key_type: 'PRODUCTION', client_id: production.consumerKey, scope: 'orders:read' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    expect(await adminIntrospect(token)).toMatchObject({ active: true, key_type: 'PRODUCTION', client_id: production.consumerKey, aud: ORDERS });

    // The copy button puts the exact value on the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    const secretBlock = panel('production').locator('.result .credential', { has: page.locator('[data-credential="consumer-secret"]') });
    await secretBlock.getByRole('button', { name: /Copy/ }).click();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(production.consumerSecret);
  });

  it('switches to Sandbox Keys with the keyboard and generates keys for two APIs', async () => {
    await page.getByRole('tab', { name: /Production Keys/ }).focus();
    await page.keyboard.press('ArrowRight');
    const sandboxTab = page.getByRole('tab', { name: /Sandbox Keys/ });
    await expect(sandboxTab.getAttribute('aria-selected')).resolves.toBe('true');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('tab-sandbox');
    await expect(panel('sandbox').isVisible()).resolves.toBe(true);
    await expect(panel('production').isVisible()).resolves.toBe(false);

    const sandbox = await generateKeys('sandbox', '300', ['orders:write', 'inventory:read']);
    expect(sandbox.consumerKey).not.toBe(production.consumerKey);
    expect(sandbox.tokens).toHaveLength(2);
    await screenshot(page, '08-sandbox-keys-two-apis');

    const result = panel('sandbox').locator('.result');
    const ordersToken = await credential(result.locator(`[data-token-api="${ORDERS}"]`), 'access-token');
    const inventoryToken = await credential(result.locator(`[data-token-api="${INVENTORY}"]`), 'access-token');
    const orders = await verifyJwt(ordersToken, ORDERS);
    expect(orders).toMatchObject({ key_type: 'SANDBOX', scope: 'orders:write', client_id: sandbox.consumerKey });
    expect(orders.exp! - orders.iat!).toBe(300);
    const inventory = await verifyJwt(inventoryToken, INVENTORY);
    expect(inventory).toMatchObject({ key_type: 'SANDBOX', scope: 'inventory:read' });
    expect(decodeProtectedHeader(inventoryToken).alg).toBe('ES256');
    for (const t of sandbox.tokens) expect(await adminIntrospect(t)).toMatchObject({ active: true, key_type: 'SANDBOX' });
  });

  it('shows the consumer key ever after, never the secret or the token', async () => {
    await page.goto(`${url}/portal/applications/${jwtApp}`);
    const html = await page.content();
    expect(html).toContain(production.consumerKey);
    expect(html).not.toContain(production.consumerSecret);
    expect(html).not.toContain(production.tokens[0]);
    await expect(credential(panel('production'), 'consumer-key')).resolves.toBe(production.consumerKey);
    await screenshot(page, '09-application-with-keys');
  });

  it('gets a new token with the consumer secret, after a wrong one', async () => {
    const form = panel('production');
    await form.getByLabel('Consumer secret').fill('not-the-secret');
    await submitted(page, () => form.getByRole('button', { name: 'Get access token' }).click());
    await expect(panel('production').locator('#production-token-client_secret-error').textContent())
      .resolves.toContain('That is not the consumer secret of these keys.');
    await screenshot(page, '10-new-token-wrong-secret');

    await panel('production').getByLabel('Consumer secret').fill(production.consumerSecret);
    await submitted(page, () => panel('production').getByRole('button', { name: 'Get access token' }).click());
    const tokens = await credentials(panel('production').locator('.result'), 'access-token');
    expect(tokens).toHaveLength(1);
    expect(await adminIntrospect(tokens[0]!)).toMatchObject({ active: true, key_type: 'PRODUCTION', scope: 'orders:read' });
    await screenshot(page, '11-new-token');
    production.tokens.push(tokens[0]!);
  });

  it('regenerates the secret: old tokens die, the new token works', async () => {
    await page.goto(`${url}/portal/applications/${jwtApp}`);
    const form = panel('production');
    await form.getByText('Regenerate consumer secret').click();
    await submitted(page, () => form.getByRole('button', { name: 'Regenerate secret' }).click());
    const result = panel('production').locator('.result');
    const secret = await credential(result, 'consumer-secret');
    const [token] = await credentials(result, 'access-token');
    expect(secret).not.toBe(production.consumerSecret);
    for (const old of production.tokens) expect(await adminIntrospect(old)).toEqual({ active: false });
    expect(await adminIntrospect(token!)).toMatchObject({ active: true, key_type: 'PRODUCTION' });
    await screenshot(page, '12-secret-regenerated');
  });

  it('creates an OAuth application and gets opaque tokens for both key sets', async () => {
    await page.goto(`${url}/portal/applications/new`);
    await page.getByLabel('Name').fill('Inventory Sync');
    await page.getByRole('radio', { name: /OAuth/ }).check();
    await page.getByRole('checkbox', { name: /Inventory API/ }).check();
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.waitForURL(/\/portal\/applications\/[A-Za-z0-9_-]+$/);

    const prod = await generateKeys('production', '600', ['inventory:read']);
    const token = prod.tokens[0]!;
    expect(token.split('.')).toHaveLength(1);
    const info = await adminIntrospect(token);
    expect(info).toMatchObject({ active: true, key_type: 'PRODUCTION', client_id: prod.consumerKey, aud: INVENTORY });
    expect(Number(info['exp']) - Number(info['iat'])).toBe(600);
    await screenshot(page, '13-oauth-production-keys');

    await page.getByRole('tab', { name: /Sandbox Keys/ }).click();
    const sandbox = await generateKeys('sandbox', '120', ['inventory:read']);
    expect(await adminIntrospect(sandbox.tokens[0]!)).toMatchObject({ active: true, key_type: 'SANDBOX' });
  });

  it('edits an application; a bad validity period keeps everything else typed', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Description').fill('Pulls stock levels');
    await page.getByLabel('Access token validity period').fill('ten minutes');
    await submitted(page, () => page.getByRole('button', { name: 'Save changes' }).click());
    await expect(page.locator('#access_token_ttl-error').textContent()).resolves.toContain('whole number of seconds');
    await expect(page.getByLabel('Description').inputValue()).resolves.toBe('Pulls stock levels');
    await expect(page.getByRole('radio', { name: /OAuth/ }).isChecked()).resolves.toBe(true);
    await screenshot(page, '13b-edit-application-error');

    await page.getByLabel('Access token validity period').fill('1200');
    await submitted(page, () => page.getByRole('button', { name: 'Save changes' }).click());
    await expect(page.getByRole('status').filter({ hasText: 'saved' }).textContent()).resolves.toContain('Changes saved');
    // The new validity period reached both key sets.
    await expect(panel('production').textContent()).resolves.toContain('1200 seconds (20 minutes)');
  });

  it('lists applications with token type, key sets and creation date', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    const rows = page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    const billing = rows.filter({ hasText: 'Billing Service' });
    await expect(billing.textContent()).resolves.toMatch(/JWT[\s\S]*Production[\s\S]*Sandbox/);
    const sync = rows.filter({ hasText: 'Inventory Sync' });
    await expect(sync.textContent()).resolves.toContain('OAuth');
    await expect(billing.locator('time').getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    await screenshot(page, '14-applications');
  });

  it('lists APIs and lets the admin create and edit one, keeping the form on an error', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'APIs' }).click();
    await expect(page.getByRole('heading', { name: 'Orders API' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('orders:write').first().isVisible()).resolves.toBe(true);
    await screenshot(page, '15-apis');

    await page.getByRole('link', { name: 'Create API' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Shipping API');
    await page.getByLabel('Identifier').fill('not a uri');
    await page.getByLabel('Scope 1 name').fill('shipping:read');
    await page.getByLabel('Scope 1 description').fill('Track parcels');
    await submitted(page, () => page.getByRole('button', { name: 'Create API' }).click());
    await expect(page.locator('#identifier-error').textContent()).resolves.toContain('absolute URI');
    await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('Shipping API');
    await expect(page.getByLabel('Scope 1 name').inputValue()).resolves.toBe('shipping:read');
    await expect(page.getByLabel('Scope 1 description').inputValue()).resolves.toBe('Track parcels');
    await screenshot(page, '16-create-api-error');

    await page.getByLabel('Identifier').fill('https://shipping.example.com');
    await page.getByRole('button', { name: 'Create API' }).click();
    await page.waitForURL('**/portal/apis');
    await expect(page.getByRole('heading', { name: 'Shipping API' }).isVisible()).resolves.toBe(true);

    await page.getByRole('link', { name: 'Edit Shipping API' }).click();
    await page.getByRole('button', { name: 'Add a scope' }).click();
    await page.getByLabel('Scope 2 name').fill('shipping:write');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL('**/portal/apis');
    await expect(page.getByText('shipping:write').isVisible()).resolves.toBe(true);
    await srv.services.registry.refresh();
    expect(srv.services.registry.get('https://shipping.example.com')?.scopes.map((s) => s.name)).toEqual(['shipping:read', 'shipping:write']);
  });

  it('refuses a form without its CSRF token and changes nothing', async () => {
    const before = await srv.store.db.collection('applications').countDocuments();
    await page.goto(`${url}/portal/applications/new`);
    await page.getByLabel('Name').fill('Forged');
    await page.locator('main form input[name="_csrf"]').evaluate((el) => el.remove());
    const response = page.waitForResponse((r) => r.request().method() === 'POST');
    await submitted(page, () => page.getByRole('button', { name: 'Create application' }).click());
    expect((await response).status()).toBe(403);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not allowed');
    await expect(page.getByRole('main').textContent()).resolves.toContain('security token was missing');
    await screenshot(page, '17-missing-csrf');

    // Same with a request that has the session cookie but no token at all.
    const forged = await context.request.post(`${url}/portal/applications`, {
      form: { name: 'Forged again', token_type: 'JWT', access_token_ttl: '3600' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await srv.store.db.collection('applications').countDocuments()).toBe(before);
  });

  it('reads well on a phone', async () => {
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, storageState: await context.storageState() });
    const small = watch(await phone.newPage());
    await small.goto(`${url}/portal/applications`);
    await screenshot(small, '18-phone-applications');
    await small.goto(`${url}/portal/applications/${jwtApp}`);
    // Nothing wider than the screen.
    await expect(small.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(PHONE.width);
    await screenshot(small, '19-phone-application');
    await small.goto(`${url}/portal/applications/new`);
    await expect(small.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(PHONE.width);
    await screenshot(small, '19b-phone-create-application');
    await phone.close();
  });

  it('deletes an application after confirmation and revokes its tokens', async () => {
    const app = await srv.store.db
      .collection<{ _id: string; keys: Record<string, { client_id: string }> }>('applications')
      .findOne({ _id: jwtApp });
    const clientIds = Object.values(app!.keys).map((k) => k.client_id);
    expect(clientIds).toHaveLength(2);
    const live = { client_id: { $in: clientIds }, revoked: false };
    expect(await srv.store.collections.tokens.countDocuments(live)).toBeGreaterThan(0);

    await page.goto(`${url}/portal/applications`);
    await page.getByRole('link', { name: 'Delete Billing Service' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Delete Billing Service?');
    await screenshot(page, '20-delete-application');
    await page.getByRole('button', { name: 'Delete application' }).click();
    await page.waitForURL('**/portal/applications');
    await expect(page.getByRole('status').filter({ hasText: 'deleted' }).textContent()).resolves.toContain('Billing Service was deleted');
    expect(await srv.store.collections.tokens.countDocuments(live)).toBe(0);
    expect(await srv.store.collections.clients.countDocuments({ 'metadata.application_id': jwtApp })).toBe(0);
  });

  it('sends an expired session back to sign-in', async () => {
    await srv.store.db.collection('portal_sessions').updateMany({}, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    await page.goto(`${url}/portal/apis`);
    await page.waitForURL('**/portal/sign-in**');
    await expect(page.getByRole('status').filter({ hasText: 'session' }).textContent()).resolves.toContain('Your session has ended');
    await screenshot(page, '21-session-expired');

    // Signing in again leads back to where the person was going.
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL('**/portal/apis');
  });

  it('slows and then locks repeated failed sign-ins', async () => {
    await new PortalUsers(srv.store.db).create('dev', 'dev-password-1234', 'developer');
    const other = await browser.newContext({ viewport: LAPTOP });
    const p = watch(await other.newPage());
    await p.goto(`${url}/portal/sign-in`);
    for (let i = 1; i <= 4; i++) {
      await signIn(p, 'dev', `wrong-${i}`);
      await expect(p.getByRole('alert').textContent()).resolves.toContain('not correct');
    }
    await signIn(p, 'dev', 'wrong-5');
    await expect(p.getByRole('alert').textContent()).resolves.toContain('Too many failed sign-ins');
    // Locked: even the right password is refused for now.
    await signIn(p, 'dev', 'dev-password-1234');
    await expect(p.getByRole('alert').textContent()).resolves.toContain('locked');
    expect(new URL(p.url()).pathname).toBe('/portal/sign-in');
    const locks = await srv.store.db.collection('portal_login_attempts').find({ locked_until: { $gt: new Date() } }).toArray();
    expect(locks).toHaveLength(1);
    expect(locks[0]!['failures']).toBe(5);
    await screenshot(p, '22-sign-in-locked');
    await other.close();

    // Another account is not affected.
    const fresh = await browser.newContext({ viewport: LAPTOP });
    const q = watch(await fresh.newPage());
    await q.goto(`${url}/portal/sign-in`);
    await signIn(q, 'admin', ADMIN_PASSWORD);
    await q.waitForURL('**/portal/applications');

    // And signing out ends the session.
    await submitted(q, () => q.getByRole('button', { name: 'Sign out' }).click());
    await expect(q.getByRole('status').filter({ hasText: 'signed out' }).textContent()).resolves.toContain('You have signed out.');
    await q.goto(`${url}/portal/applications`);
    expect(new URL(q.url()).pathname).toBe('/portal/sign-in');
    await fresh.close();
  });

  it('ran every page without a script error or a blocked resource', () => {
    expect(problems).toEqual([]);
  });
});
