import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi } from './support/oauth.js';
import { eventually } from './support/processes.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import type { PortalUser } from '../src/portal/users.js';

const PASSWORD = 'a-long-admin-password-for-tests';

/** Cookies as a browser keeps them: name -> value, updated from each Set-Cookie. */
class Jar {
  readonly values = new Map<string, string>();
  readonly raw: string[] = [];

  take(res: request.Response): request.Response {
    const set = res.headers['set-cookie'] as unknown as string[] | undefined;
    for (const line of set ?? []) {
      this.raw.push(line);
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (/max-age=0/i.test(line)) this.values.delete(name);
      else this.values.set(name, value);
    }
    return res;
  }

  get header(): string {
    return [...this.values].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

async function signIn(url: string, jar: Jar, username: string, password: string, extra: Record<string, string> = {}) {
  const page = jar.take(await request(url).get('/portal/sign-in').set('Cookie', jar.header));
  return jar.take(await request(url).post('/portal/sign-in').set('Cookie', jar.header).type('form')
    .send({ _csrf: csrfOf(page.text), username, password, ...extra }));
}

describe('portal sign-in and sessions', () => {
  let srv: TestServer;
  let url: string;

  beforeAll(async () => {
    srv = await startTestServer({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: PASSWORD, ISSUER: 'https://keys.example.com' });
    url = srv.url;
  });
  afterAll(() => srv?.destroy());

  it('sends / to the portal and strangers to the sign-in page', async () => {
    const root = await request(url).get('/');
    expect(root.status).toBe(302);
    expect(root.headers['location']).toBe('/portal');
    const apps = await request(url).get('/portal/applications?tab=x');
    expect(apps.status).toBe(303);
    expect(apps.headers['location']).toBe(`/portal/sign-in?next=${encodeURIComponent('/portal/applications?tab=x')}`);
  });

  it('marks cookies Secure, HttpOnly and SameSite when the issuer is https, and stores only a hash of the session id', async () => {
    const jar = new Jar();
    const res = await signIn(url, jar, 'root', PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers['location']).toBe('/portal/applications');
    const sessionLine = jar.raw.find((l) => l.startsWith('kf_session='))!;
    expect(sessionLine).toMatch(/HttpOnly/);
    expect(sessionLine).toMatch(/SameSite=Lax/);
    expect(sessionLine).toMatch(/Secure/);
    expect(sessionLine).toMatch(/Path=\/portal/);
    expect(jar.raw.find((l) => l.startsWith('kf_signin='))).toMatch(/Secure/);

    const sid = jar.values.get('kf_session')!;
    const docs = await srv.store.db.collection('portal_sessions').find({}).toArray();
    expect(docs.length).toBeGreaterThan(0);
    expect(JSON.stringify(docs)).not.toContain(sid);

    const page = await request(url).get('/portal/applications').set('Cookie', jar.header);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('Applications');
    // No resource from anywhere else.
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('refuses a sign-in form without its cookie-bound token', async () => {
    const res = await request(url).post('/portal/sign-in').type('form').send({ username: 'root', password: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/^kf_session=/)]));
  });

  it('never redirects off the site after sign-in', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/portal/../api', '/\\evil.example']) {
      const res = await signIn(url, new Jar(), 'root', PASSWORD, { next });
      expect(res.status).toBe(303);
      expect(res.headers['location']).toBe('/portal/applications');
    }
    const res = await signIn(url, new Jar(), 'root', PASSWORD, { next: '/portal/apis' });
    expect(res.headers['location']).toBe('/portal/apis');
  });

  it('signs out: the session is gone from the database and the cookie no longer works', async () => {
    const jar = new Jar();
    await signIn(url, jar, 'root', PASSWORD);
    const page = await request(url).get('/portal/applications').set('Cookie', jar.header);
    const cookie = jar.header;
    const out = jar.take(await request(url).post('/portal/sign-out').set('Cookie', cookie).type('form').send({ _csrf: csrfOf(page.text) }));
    expect(out.status).toBe(303);
    expect(out.headers['location']).toBe('/portal/sign-in?notice=signed-out');
    const again = await request(url).get('/portal/applications').set('Cookie', cookie);
    expect(again.status).toBe(303);
    expect(again.headers['location']).toContain('notice=expired');
  });

  it('records portal changes in the audit log under the person', async () => {
    const jar = new Jar();
    await signIn(url, jar, 'root', PASSWORD);
    const form = await request(url).get('/portal/applications/new').set('Cookie', jar.header);
    const res = await request(url).post('/portal/applications').set('Cookie', jar.header).type('form')
      .send({ _csrf: csrfOf(form.text), name: 'Audited', token_type: 'OAuth', access_token_ttl: '60' });
    expect(res.status).toBe(303);
    // The audit write does not hold up the answer; give it a moment to land.
    const audit = srv.store.db.collection('audit_log');
    expect(await eventually(async () => !!(await audit.findOne({ action: 'application.create' })), 5000, 20)).toBe(true);
    const entry = await audit.findOne({ action: 'application.create' });
    expect(entry).toMatchObject({ actor: 'user:root', details: { name: 'Audited' } });
    expect(await srv.store.db.collection('audit_log').countDocuments({ action: 'portal.sign_in', actor: 'user:root' })).toBeGreaterThan(0);
  });

  it('says so when keys are generated twice, instead of losing the refusal', async () => {
    const admin = await adminToken(url, srv.config.issuer);
    await createApi(url, admin, { identifier: 'https://twice.example.com', name: 'Twice', scopes: [{ name: 'twice:read' }] });
    const jar = new Jar();
    await signIn(url, jar, 'root', PASSWORD);
    const form = await request(url).get('/portal/applications/new').set('Cookie', jar.header);
    const csrf = csrfOf(form.text);
    const created = await request(url).post('/portal/applications').set('Cookie', jar.header).type('form')
      .send(`_csrf=${csrf}&name=Twice&token_type=JWT&access_token_ttl=3600&subscriptions=${encodeURIComponent('https://twice.example.com')}`);
    const appPath = created.headers['location'] as string;
    const generate = () => request(url).post(`${appPath}/keys/production`).set('Cookie', jar.header).type('form')
      .send({ _csrf: csrf, access_token_ttl: '3600', scopes: 'twice:read' });
    const first = await generate();
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.text).toContain('Production keys generated');
    const second = await generate();
    expect(second.status).toBe(400);
    expect(second.text).toContain('Production keys already exist');
    expect(second.text).not.toContain('Production keys generated');
  });

  it('answers an unknown portal page with an HTML 404 and leaves the JSON API alone', async () => {
    const jar = new Jar();
    await signIn(url, jar, 'root', PASSWORD);
    const missing = await request(url).get('/portal/applications/does-not-exist').set('Cookie', jar.header);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('text/html');
    expect(missing.text).toContain('not found');
    const api = await request(url).get('/api/applications');
    expect(api.status).toBe(401);
    expect(api.body.error).toBe('invalid_token');
  });

  it('serves its own CSS and JavaScript', async () => {
    const page = await request(url).get('/portal/sign-in');
    const css = /href="(\/portal\/assets\/portal\.css\?v=[0-9a-f]+)"/.exec(page.text)![1]!;
    const js = /src="(\/portal\/assets\/portal\.js\?v=[0-9a-f]+)"/.exec(page.text)![1]!;
    const cssRes = await request(url).get(css);
    expect(cssRes.status).toBe(200);
    expect(cssRes.headers['content-type']).toContain('text/css');
    expect((await request(url).get(js)).headers['content-type']).toContain('javascript');
    expect((await request(url).get('/portal/assets/../../package.json')).status).not.toBe(200);
  });
});

describe('sign-in lockout', () => {
  it('answers 429 with Retry-After once the attempts are used up, shared through the database', async () => {
    const db = `t_lock_${Date.now().toString(36)}`;
    const env = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: PASSWORD, LOGIN_MAX_ATTEMPTS: '2', LOGIN_LOCK_SECONDS: '120' };
    const one = await startTestServer(env, db);
    const two = await startTestServer(env, db);
    try {
      const statuses: number[] = [];
      // Failures at one instance lock the account at the other.
      for (let i = 0; i < 2; i++) statuses.push((await signIn(one.url, new Jar(), 'root', 'wrong-password-here')).status);
      const locked = await signIn(two.url, new Jar(), 'root', PASSWORD);
      // The failure that uses up the attempts is answered with the lock already.
      expect(statuses).toEqual([401, 429]);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await one.stop();
      await two.destroy();
    }
  });
});

describe('the first admin', () => {
  it('gets a generated password kept in DATA_DIR when ADMIN_PASSWORD is unset', async () => {
    const srv = await startTestServer({ ADMIN_USERNAME: 'boss' });
    try {
      const file = join(srv.config.dataDir, 'admin-password');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const password = (await readFile(file, 'utf8')).trim();
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect((await signIn(srv.url, new Jar(), 'boss', password)).headers['location']).toBe('/portal/applications');
      const user = await srv.store.db.collection('portal_users').findOne({ _id: 'boss' as never });
      expect(user!['password_hash']).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(JSON.stringify(user)).not.toContain(password);
    } finally {
      await srv.destroy();
    }
  });

  it('makes whatever account holds ADMIN_USERNAME the admin, with ADMIN_PASSWORD, at the next start', async () => {
    const db = `t_admin_holder_${Date.now()}`;
    const first = await startTestServer({ ADMIN_PASSWORD: 'holder-password-123' }, db);
    // The name held by an account of another role and password (as a lost start-up race leaves it).
    const users = first.store.db.collection<PortalUser>('portal_users');
    await users.deleteOne({ _id: 'admin' });
    await users.insertOne({
      _id: 'admin', username: 'admin', role: 'developer', password_hash: 'not-the-admin-password', created_at: new Date(), updated_at: new Date(),
    });
    await first.stop();

    const second = await startTestServer({ ADMIN_PASSWORD: 'holder-password-123' }, db);
    try {
      expect((await second.store.db.collection<PortalUser>('portal_users').findOne({ _id: 'admin' }))?.role).toBe('admin');
      expect((await signIn(second.url, new Jar(), 'admin', 'holder-password-123')).status).toBe(303);
    } finally {
      await second.destroy();
    }
  });

  it('follows a changed ADMIN_PASSWORD at the next start and ends older sessions', async () => {
    const db = `t_admin_${Date.now()}`;
    const first = await startTestServer({ ADMIN_PASSWORD: 'first-password-123' }, db);
    const jar = new Jar();
    await signIn(first.url, jar, 'admin', 'first-password-123');
    await first.stop();

    const second = await startTestServer({ ADMIN_PASSWORD: 'second-password-456' }, db);
    try {
      const old = await signIn(second.url, new Jar(), 'admin', 'first-password-123');
      expect(old.status).toBe(401);
      expect(old.text).toContain('The username or password is not correct.');
      expect((await signIn(second.url, new Jar(), 'admin', 'second-password-456')).status).toBe(303);
      expect(await second.store.db.collection('portal_sessions').countDocuments({ _id: { $exists: true } })).toBe(1);
    } finally {
      await second.destroy();
    }
  });
});
