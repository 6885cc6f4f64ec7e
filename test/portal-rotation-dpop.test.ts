import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, tokenRequest } from './support/oauth.js';
import { eventually } from './support/processes.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const PASSWORD = 'a-long-admin-password-for-tests';
const API = 'https://portal-rot.example.com';

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const cookiesOf = (res: request.Response) => ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []).map((l) => l.split(';')[0]!).join('; ');

describe('portal: secret rotation and DPoP-bound key sets', () => {
  let srv: TestServer;
  let url: string;
  let cookie: string;
  let csrf: string;

  beforeAll(async () => {
    srv = await startTestServer({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: PASSWORD });
    url = srv.url;
    await createApi(url, await adminToken(url, srv.config.issuer), { identifier: API, name: 'Rot', scopes: [{ name: 'prot:read' }] });
    const page = await request(url).get('/portal/sign-in');
    const signedIn = await request(url).post('/portal/sign-in').set('Cookie', cookiesOf(page)).type('form')
      .send({ _csrf: csrfOf(page.text), username: 'root', password: PASSWORD });
    cookie = cookiesOf(signedIn);
    csrf = csrfOf((await request(url).get('/portal/applications/new').set('Cookie', cookie)).text);
  });
  afterAll(() => srv?.destroy());

  async function appWithKeys(extra = ''): Promise<{ path: string; key: string; secret: string; page: string }> {
    const created = await request(url).post('/portal/applications').set('Cookie', cookie).type('form')
      .send(`_csrf=${csrf}&name=P${Date.now()}&token_type=JWT&access_token_ttl=3600&subscriptions=${encodeURIComponent(API)}${extra}`);
    expect(created.status).toBe(303);
    const path = created.headers['location'] as string;
    const keys = await request(url).post(`${path}/keys/production`).set('Cookie', cookie).type('form')
      .send({ _csrf: csrf, access_token_ttl: '3600', scopes: 'prot:read' });
    expect(keys.status).toBe(200);
    const key = /id="production-consumer-key"[^>]*value="([^"]+)"/.exec(keys.text)?.[1] ?? '';
    const secret = /data-credential="consumer-secret"[^>]*value="([^"]+)"/.exec(keys.text)?.[1]
      ?? /value="([^"]+)"[^>]*data-credential="consumer-secret"/.exec(keys.text)?.[1] ?? '';
    return { path, key, secret, page: keys.text };
  }

  it('rotates with a grace period, shows when the old secret stops, and ends it early', async () => {
    const k = await appWithKeys();
    expect(k.key).toBeTruthy();
    expect(k.secret.length).toBeGreaterThan(20);
    const rotated = await request(url).post(`${k.path}/keys/production/rotate-secret`).set('Cookie', cookie).type('form')
      .send({ _csrf: csrf, grace_hours: '2' });
    expect(rotated.status).toBe(200);
    expect(rotated.text).toContain('The previous secret keeps working until');
    expect(rotated.text).toContain('data-previous-secret-until');
    expect((await tokenRequest(url, k.key, k.secret)).status).toBe(200);
    const audit = srv.store.db.collection('audit_log');
    expect(await eventually(async () => !!(await audit.findOne({ action: 'keys.rotate_secret', actor: 'user:root' })), 5000, 20)).toBe(true);

    const ended = await request(url).post(`${k.path}/keys/production/end-previous-secret`).set('Cookie', cookie).type('form').send({ _csrf: csrf });
    expect(ended.status).toBe(200);
    expect(ended.text).not.toContain('data-previous-secret-until');
    expect((await tokenRequest(url, k.key, k.secret)).status).toBe(401);

    const bad = await request(url).post(`${k.path}/keys/production/rotate-secret`).set('Cookie', cookie).type('form')
      .send({ _csrf: csrf, grace_hours: 'soon' });
    expect(bad.status).toBe(400);
  });

  it('marks key sets of an application that requires DPoP and shows the proof script', async () => {
    const k = await appWithKeys('&require_dpop=true');
    const page = await request(url).get(`${k.path}?tab=production`).set('Cookie', cookie);
    expect(page.text).toContain('data-dpop-bound');
    expect(page.text).toContain('dpop+jwt');
    expect(page.text).toContain(`${srv.config.issuer}/token`);
    const client = await srv.store.collections.clients.findOne({ _id: k.key });
    expect(client?.metadata['dpop_bound_access_tokens']).toBe(true);
    const plain = await appWithKeys();
    expect((await request(url).get(`${plain.path}?tab=production`).set('Cookie', cookie)).text).not.toContain('data-dpop-bound');
  });
});
