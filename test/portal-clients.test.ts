import { randomBytes } from 'node:crypto';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PortalUsers } from '../src/portal/index.js';
import { adminToken, createApi, registerClient, tokenRequest, type RegisteredClient } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

const PASSWORD = 'a-long-admin-password-for-tests';
const DEV_PASSWORD = 'a-long-developer-password';
const ORDERS = 'https://orders.example.com';

/** Cookies as a browser keeps them. */
class Jar {
  readonly values = new Map<string, string>();

  take(res: request.Response): request.Response {
    for (const line of (res.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      if (/max-age=0/i.test(line)) this.values.delete(pair!.slice(0, i));
      else this.values.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  }

  get header(): string {
    return [...this.values].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Audit entries are written without holding up the answer: assertions on them retry for a while. */
async function retried(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

let srv: TestServer;
let url: string;
let adminJar: Jar;
let devJar: Jar;

async function signIn(username: string, password: string): Promise<Jar> {
  const jar = new Jar();
  const page = jar.take(await request(url).get('/portal/sign-in'));
  const res = jar.take(await request(url).post('/portal/sign-in').set('Cookie', jar.header).type('form')
    .send({ _csrf: csrfOf(page.text), username, password }));
  expect(res.status).toBe(303);
  return jar;
}

const get = (jar: Jar | undefined, path: string) => request(url).get(path).set('Cookie', jar?.header ?? '');
type Form = Record<string, string | string[] | undefined>;
const post = (jar: Jar | undefined, path: string, form: Form) =>
  request(url).post(path).set('Cookie', jar?.header ?? '').type('form').send(new URLSearchParams(
    Object.entries(form).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])),
  ).toString());

/** The CSRF token of the admin's session, as any page of it carries. */
async function adminCsrf(): Promise<string> {
  return csrfOf((await get(adminJar, '/portal/clients')).text);
}

const clientPath = (c: RegisteredClient, rest = '') => `/portal/clients/${encodeURIComponent(c.client_id)}${rest}`;
const isDisabled = async (c: RegisteredClient) => (await srv.store.db.collection('clients').findOne({ _id: c.client_id as never }))?.['metadata']?.['disabled'] === true;

beforeAll(async () => {
  srv = await startTestServer({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: PASSWORD, CLIENT_CACHE_SECONDS: '0' });
  url = srv.url;
  const admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, { identifier: ORDERS, name: 'Orders API', scopes: [{ name: 'orders:read', description: 'Read orders' }, { name: 'orders:write' }] });
  await new PortalUsers(srv.store.db).create('dev', DEV_PASSWORD, 'developer');
  adminJar = await signIn('root', PASSWORD);
  devJar = await signIn('dev', DEV_PASSWORD);
});
afterAll(() => srv?.destroy());

describe('who may use the clients and registration pages', () => {
  let victim: RegisteredClient;
  beforeAll(async () => {
    victim = await registerClient(url, { client_name: 'victim', scope: 'orders:read' });
  });

  it('sends the signed-out to sign in, for pages and forms alike, and changes nothing', async () => {
    for (const path of ['/portal/clients', '/portal/initial-access-tokens', clientPath(victim, '/delete')]) {
      const res = await get(undefined, path);
      expect(res.status).toBe(303);
      expect(res.headers['location']).toMatch(/^\/portal\/sign-in/);
    }
    const res = await post(undefined, clientPath(victim, '/disable'), { _csrf: 'x' });
    expect(res.status).toBe(303);
    expect(await isDisabled(victim)).toBe(false);
  });

  it('treats a forged session cookie as signed out', async () => {
    const forged = new Jar();
    forged.values.set('kf_session', randomBytes(32).toString('base64url'));
    expect((await get(forged, '/portal/clients')).headers['location']).toMatch(/^\/portal\/sign-in/);
    const res = await post(forged, clientPath(victim, '/disable'), { _csrf: 'x' });
    expect(res.status).toBe(303);
    expect(res.headers['location']).toMatch(/^\/portal\/sign-in/);
    expect(await isDisabled(victim)).toBe(false);
  });

  it('answers 404 to a signed-in developer, even with a valid form token, and shows no links to them', async () => {
    for (const path of ['/portal/clients', '/portal/clients?source=all', '/portal/initial-access-tokens', clientPath(victim, '/delete')]) {
      const res = await get(devJar, path);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('victim');
    }
    const apps = await get(devJar, '/portal/applications');
    expect(apps.text).not.toContain('href="/portal/clients"');
    expect(apps.text).not.toContain('href="/portal/initial-access-tokens"');
    const csrf = csrfOf(apps.text);
    expect(csrf).not.toBe('');
    for (const path of [clientPath(victim, '/disable'), clientPath(victim, '/delete'), clientPath(victim, '/registration-token'), clientPath(victim, '/registration-token/revoke')]) {
      expect((await post(devJar, path, { _csrf: csrf })).status, path).toBe(404);
    }
    expect((await post(devJar, '/portal/initial-access-tokens', { _csrf: csrf, allowed_apis: ORDERS, token_formats: 'jwt', max_uses: '1', expires_in: '86400' })).status).toBe(404);
    expect(await isDisabled(victim)).toBe(false);
    expect((await tokenRequest(url, victim.client_id, victim.client_secret)).status).toBe(200);
    // The registration access token was not rotated or revoked.
    expect((await request(url).get(`/reg/${victim.client_id}`).set('Authorization', `Bearer ${victim.registration_access_token}`)).status).toBe(200);
    const before = (await srv.services.initialAccessTokens.list()).rows.length;
    expect(before).toBe(1); // only the environment's
  });

  it('refuses an admin POST without the form token, or with another session\'s', async () => {
    const devCsrf = csrfOf((await get(devJar, '/portal/applications')).text);
    const forms: Form[] = [{}, { _csrf: '' }, { _csrf: 'forged' }, { _csrf: devCsrf }];
    for (const form of forms) {
      for (const path of [clientPath(victim, '/disable'), clientPath(victim, '/delete'), clientPath(victim, '/registration-token')]) {
        const res = await post(adminJar, path, form);
        expect(res.status, `${path} ${JSON.stringify(form)}`).toBe(403);
        expect(res.text).toContain('security token');
      }
      const iat = await post(adminJar, '/portal/initial-access-tokens', { ...form, allowed_apis: ORDERS, token_formats: 'jwt', max_uses: '1', expires_in: '86400' });
      expect(iat.status).toBe(403);
    }
    expect(await isDisabled(victim)).toBe(false);
    expect((await srv.services.initialAccessTokens.list()).rows.length).toBe(1);
    expect((await request(url).get(`/reg/${victim.client_id}`).set('Authorization', `Bearer ${victim.registration_access_token}`)).status).toBe(200);
  });
});

describe('clients page', () => {
  it('lists registered clients with their scopes, format, TTL, policy and state', async () => {
    const iatRes = await request(url).post('/api/initial-access-tokens').set('Authorization', `Bearer ${await adminToken(url, srv.config.issuer)}`)
      .send({ allowed_apis: [ORDERS], token_formats: ['jwt'], max_access_token_ttl: 600 });
    const reg = await request(url).post('/reg').set('Authorization', `Bearer ${iatRes.body.initial_access_token}`)
      .send({ client_name: 'governed <b>client</b>', scope: 'orders:read', access_token_strategy: 'jwt' });
    expect(reg.status).toBe(201);
    const id = reg.body.client_id as string;

    const page = await get(adminJar, '/portal/clients');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const row = page.text.slice(page.text.indexOf(`data-client="${id}"`), page.text.indexOf('</tr>', page.text.indexOf(`data-client="${id}"`)));
    // Escaped, never markup.
    expect(row).toContain('governed &lt;b&gt;client&lt;/b&gt;');
    expect(row).toContain(id);
    expect(row).toContain('<span class="chip">orders:read</span>');
    expect(row).toContain('JWT');
    expect(row).toContain('10 minutes');
    expect(row).toContain('Orders API');
    expect(row).toContain('TTL at most 10 minutes');
    expect(row).toContain('Active');
    // The default filter shows registered clients only; "All clients" shows the admin client too.
    expect(page.text).not.toContain('data-client="admin"');
    expect((await get(adminJar, '/portal/clients?source=all')).text).toContain('data-client="admin"');
  });

  it('pages with a next link', async () => {
    for (let i = 0; i < 26; i++) await registerClient(url, { client_name: `bulk-${i}`, scope: 'orders:read' });
    const first = await get(adminJar, '/portal/clients');
    const next = /<a class="btn btn--secondary btn--sm" href="([^"]+)" rel="next">/.exec(first.text)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toMatch(/^\/portal\/clients\?source=registration&after=/);
    const second = await get(adminJar, next!);
    expect(second.status).toBe(200);
    const ids = (html: string) => [...html.matchAll(/data-client="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(first.text)).toHaveLength(25);
    expect(ids(second.text).length).toBeGreaterThan(0);
    expect(ids(second.text).filter((x) => ids(first.text).includes(x))).toEqual([]);
    expect(second.text).toContain('First page');
    // A cursor the server never gave starts from the top instead of failing.
    expect((await get(adminJar, '/portal/clients?after=bm90LWEtY3Vyc29y_')).status).toBe(200);
  });

  it('disabling makes /token answer 401 invalid_client; enabling lets it back in; both are audited', async () => {
    const c = await registerClient(url, { client_name: 'to-disable', scope: 'orders:read' });
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(200);
    const res = await post(adminJar, clientPath(c, '/disable'), { _csrf: await adminCsrf(), source: 'registration' });
    expect(res.status).toBe(303);
    expect(res.headers['location']).toBe('/portal/clients?source=registration');
    const refused = await tokenRequest(url, c.client_id, c.client_secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    const after = await get(adminJar, res.headers['location']!);
    expect(after.text).toContain('to-disable');
    expect(after.text).toContain('is disabled');

    expect((await post(adminJar, clientPath(c, '/enable'), { _csrf: await adminCsrf() })).status).toBe(303);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(200);

    await retried(async () => {
      const actions = await srv.store.db.collection('audit_log').find({ target: c.client_id }).toArray();
      expect(actions.map((a) => [a['action'], a['actor']])).toEqual(expect.arrayContaining([['client.disable', 'user:root'], ['client.enable', 'user:root']]));
    });
  });

  it('rotates the registration access token, shown once: the new one works at /reg, the old one does not; revoking ends it', async () => {
    const c = await registerClient(url, { client_name: 'to-rotate', scope: 'orders:read' });
    const reg = `/reg/${encodeURIComponent(c.client_id)}`;
    const res = await post(adminJar, clientPath(c, '/registration-token'), { _csrf: await adminCsrf(), source: 'registration' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const token = /id="rotated-token" data-credential="registration-access-token" value="([^"]+)"/.exec(res.text)?.[1];
    expect(token).toBeTruthy();
    expect((await request(url).get(reg).set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(url).get(reg).set('Authorization', `Bearer ${c.registration_access_token}`)).status).toBe(401);
    // Shown once: the list does not show it again.
    expect((await get(adminJar, '/portal/clients')).text).not.toContain(token);

    expect((await post(adminJar, clientPath(c, '/registration-token/revoke'), { _csrf: await adminCsrf() })).status).toBe(303);
    expect((await request(url).get(reg).set('Authorization', `Bearer ${token}`)).status).toBe(401);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(200);
    await retried(async () => {
      const actions = (await srv.store.db.collection('audit_log').find({ target: c.client_id }).toArray()).map((a) => a['action']);
      expect(actions).toEqual(expect.arrayContaining(['client.registration_token_rotate', 'client.registration_token_revoke']));
      expect(JSON.stringify(await srv.store.db.collection('audit_log').find({ target: c.client_id }).toArray())).not.toContain(token);
    });
  });

  it('deletes after a confirmation page', async () => {
    const c = await registerClient(url, { client_name: 'to-delete', scope: 'orders:read' });
    const confirm = await get(adminJar, clientPath(c, '/delete'));
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Delete to-delete?');
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(200);
    const res = await post(adminJar, clientPath(c, '/delete'), { _csrf: csrfOf(confirm.text) });
    expect(res.status).toBe(303);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(401);
    expect((await get(adminJar, clientPath(c, '/delete'))).status).toBe(404);
  });

  it('keeps the admin client out of reach', async () => {
    const csrf = await adminCsrf();
    const res = await post(adminJar, '/portal/clients/admin/disable', { _csrf: csrf });
    expect(res.status).toBe(400);
    expect((await get(adminJar, '/portal/clients/admin/delete')).status).toBe(400);
    expect((await post(adminJar, '/portal/clients/admin/delete', { _csrf: csrf })).status).toBe(400);
    expect((await post(adminJar, '/portal/clients/admin/registration-token', { _csrf: csrf })).status).toBe(400);
    expect((await tokenRequest(url, 'admin', ADMIN_SECRET, { resource: `${srv.config.issuer}/api`, scope: 'admin' })).status).toBe(200);
  });
});

describe('registration page', () => {
  it('creates an initial access token from the form; its value, shown once, registers within its policy', async () => {
    const page = await get(adminJar, '/portal/initial-access-tokens');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`value="${ORDERS}"`);
    expect(page.text).toContain('value="orders:write"');
    const res = await post(adminJar, '/portal/initial-access-tokens', {
      _csrf: csrfOf(page.text), allowed_scopes: ['orders:read'], token_formats: ['opaque'], max_access_token_ttl: '300',
      max_uses: '2', expires_in: '3600', description: 'CI of the shop',
    });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const value = /id="created-token" data-credential="initial-access-token" value="([^"]+)"/.exec(res.text)?.[1];
    expect(value).toBeTruthy();
    expect(res.text).toContain('CI of the shop');
    expect(res.text).toContain('2 of 2');

    const outside = await request(url).post('/reg').set('Authorization', `Bearer ${value}`).send({ scope: 'orders:write' });
    expect(outside.status).toBe(400);
    expect(outside.body.error).toBe('invalid_client_metadata');
    const jwt = await request(url).post('/reg').set('Authorization', `Bearer ${value}`).send({ scope: 'orders:read', access_token_strategy: 'jwt' });
    expect(jwt.status).toBe(400);
    const ok = await request(url).post('/reg').set('Authorization', `Bearer ${value}`).send({ client_name: 'from-portal-token', scope: 'orders:read' });
    expect(ok.status).toBe(201);
    expect(ok.body.access_token_ttl).toBe(300);
    expect((await get(adminJar, '/portal/initial-access-tokens')).text).toContain('1 of 2');
    expect((await get(adminJar, '/portal/initial-access-tokens')).text).not.toContain(value);
  });

  it('keeps the form and says what is wrong', async () => {
    const res = await post(adminJar, '/portal/initial-access-tokens', {
      _csrf: await adminCsrf(), max_access_token_ttl: 'soon', max_uses: '0', expires_in: '5', description: 'kept',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Choose at least one API or scope.');
    expect(res.text).toContain('Choose at least one token format.');
    expect(res.text).toContain('Enter a whole number of seconds');
    expect(res.text).toContain('Enter a number of registrations from 1');
    expect(res.text).toContain('Choose how long the token stays valid.');
    expect(res.text).toContain('value="kept"');
    const unknown = await post(adminJar, '/portal/initial-access-tokens', {
      _csrf: await adminCsrf(), allowed_apis: 'https://nope.example.com', token_formats: 'jwt', max_uses: '1', expires_in: '3600',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('Allowed_apis: unknown API https://nope.example.com.');
    const sneaky = await post(adminJar, '/portal/initial-access-tokens', {
      _csrf: await adminCsrf(), allowed_apis: `${srv.config.issuer}/api`, token_formats: 'jwt', max_uses: '1', expires_in: '3600',
    });
    expect(sneaky.status).toBe(400);
    expect(sneaky.text).toContain('cannot be registered for');
  });

  it('creates unlimited tokens and deletes one', async () => {
    const res = await post(adminJar, '/portal/initial-access-tokens', {
      _csrf: await adminCsrf(), allowed_apis: ORDERS, token_formats: ['jwt', 'opaque'], max_uses: '', unlimited: '1', expires_in: '604800', description: 'unlimited one',
    });
    expect(res.status).toBe(200);
    const listed = (await srv.services.initialAccessTokens.list()).rows.find((t) => t.description === 'unlimited one')!;
    expect(listed).toMatchObject({ max_uses: null, remaining_uses: null, allowed_apis: [ORDERS] });
    const page = await get(adminJar, '/portal/initial-access-tokens');
    expect(page.text).toContain('Unlimited');
    const del = await post(adminJar, `/portal/initial-access-tokens/${listed.id}/delete`, { _csrf: csrfOf(page.text) });
    expect(del.status).toBe(303);
    expect((await srv.services.initialAccessTokens.list()).rows.find((t) => t.id === listed.id)).toBeUndefined();
    await retried(async () => {
      const actions = (await srv.store.db.collection('audit_log').find({ target: listed.id }).toArray()).map((a) => a['action']);
      expect(actions).toEqual(expect.arrayContaining(['initial_access_token.create', 'initial_access_token.delete']));
    });
  });
});
