import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// Found by `npm run fuzz` (5xx answers); each test failed before its fix.

const PASSWORD = 'a-long-admin-password-for-fuzz-findings';

let srv: TestServer;
let url: string;
let admin: string;
let cookie = '';

beforeAll(async () => {
  srv = await startTestServer({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: PASSWORD, KEY_ACTIVATION_DELAY_SECONDS: '30' });
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
  const form = await request(url).get('/portal/sign-in');
  const jar = (form.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
  const signedIn = await request(url).post('/portal/sign-in').set('Cookie', jar).type('form')
    .send({ _csrf: csrf, username: 'root', password: PASSWORD });
  expect(signedIn.status).toBe(303);
  cookie = (signedIn.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
});
afterAll(() => srv?.destroy());

const api = (method: 'get' | 'post' | 'delete' | 'patch', path: string) =>
  request(url)[method](`/api${path}`).set('Authorization', `Bearer ${admin}`);

describe('unknown HTTP methods', () => {
  it.each(['MKCOL', 'PROPFIND', 'PURGE'])('%s on a portal page with a session is a 405, not a 500', async (method) => {
    const res = await request(url)[method.toLowerCase() as 'get'](`/portal/apis`).set('Cookie', cookie);
    expect(res.status).toBe(405);
  });
});

describe('import', () => {
  it('refuses an application record without its key sets, and listings keep working', async () => {
    const res = await api('post', '/import').send({ format: 'keyforge-export', version: 1, applications: [{ _id: 'imported-app' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect((await api('get', '/applications')).status).toBe(200);
    expect((await request(url).get('/portal/applications').set('Cookie', cookie)).status).toBe(200);
  });
});

describe('signing keys', () => {
  it('refuses to remove a retired key that still signs until its successor is active', async () => {
    await createApi(url, admin, { identifier: 'https://es.example.com', name: 'ES', scopes: [{ name: 'es:read' }], signing_alg: 'ES256' });
    const before = (await api('get', '/keys')).body as { kid: string; alg: string; status: string }[];
    const old = (Array.isArray(before) ? before : (before as unknown as { keys: typeof before }).keys)
      .find((k) => k.alg === 'ES256' && k.status === 'active')!;
    expect((await api('post', '/keys/rotate').send({ algs: ['ES256'] })).status).toBe(200);
    const del = await api('delete', `/keys/${old.kid}`);
    expect(del.status).toBe(409);
    expect(del.body.error).toBe('conflict');
    expect((await api('get', '/applications')).status).toBe(200);
    const keys = (await api('get', '/keys')).body;
    expect(JSON.stringify(keys)).toContain(old.kid);
  });
});

describe('an API changed while another request deletes it', () => {
  it('answers 404, never 500', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const identifier = `https://race-${i}.example.com`;
      await createApi(url, admin, { identifier, name: `Race ${i}`, scopes: [{ name: `race${i}:read` }] });
      const path = `/apis/${encodeURIComponent(identifier)}`;
      const [patched, deleted] = await Promise.all([
        api('patch', path).send({ signing_alg: 'EdDSA', resource_server_clients: [] }),
        api('delete', path),
      ]);
      statuses.add(patched.status).add(deleted.status);
    }
    for (const s of statuses) expect([200, 204, 404]).toContain(s);
  });
});
