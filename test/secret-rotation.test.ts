import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, basic, createApi, introspect, registerClient, tokenRequest } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

const ORDERS = 'https://rotation-orders.example.com';
const CLI = resolve('dist/src/cli/main.js');

// Two instances on one database, each with the default 5 s client cache: rotation must not
// depend on which of them a request reaches.
let a: TestServer;
let b: TestServer;
let admin: string;

const api = (srv: TestServer) => ({
  get: (path: string) => request(srv.url).get(`/api${path}`).set('Authorization', `Bearer ${admin}`),
  post: (path: string, body?: object) => {
    const req = request(srv.url).post(`/api${path}`).set('Authorization', `Bearer ${admin}`);
    return body ? req.send(body) : req;
  },
});

const works = async (srv: TestServer, id: string, secret: string) => (await tokenRequest(srv.url, id, secret)).status === 200;
const everywhere = async (id: string, secret: string) => [await works(a, id, secret), await works(b, id, secret)];

let counter = 0;
async function appWithKeys(): Promise<{ id: string; key: string; secret: string; token: string }> {
  const created = await api(a).post('/applications', { name: `rotating ${++counter}`, token_type: 'JWT', subscriptions: [ORDERS] });
  expect(created.status).toBe(201);
  const keys = await api(a).post(`/applications/${created.body.id}/keys/production`, { scopes: ['orders:read'] });
  expect(keys.status).toBe(201);
  return { id: created.body.id, key: keys.body.consumer_key, secret: keys.body.consumer_secret, token: keys.body.tokens[0].access_token };
}

function cli(args: string[], configDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: configDir, KEYFORGE_CONFIG_DIR: configDir },
      timeout: 30_000,
    }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }));
  });
}

beforeAll(async () => {
  const db = `t_secrot_${randomBytes(4).toString('hex')}`;
  a = await startTestServer({ CLIENT_CACHE_SECONDS: '5' }, db);
  b = await startTestServer({ CLIENT_CACHE_SECONDS: '5', ISSUER: a.config.issuer }, db);
  admin = await adminToken(a.url, a.config.issuer);
  await createApi(a.url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }] });
  // b learns about the API within CONFIG_REFRESH_SECONDS (1 s in tests).
  await new Promise((r) => setTimeout(r, 1500));
}, 60_000);
afterAll(async () => {
  await b?.stop();
  await a?.destroy();
});

describe('rotating an application secret', () => {
  it('keeps both secrets working on every instance during the grace period, and issued tokens valid', async () => {
    const k = await appWithKeys();
    // b caches the client with the old secret only.
    expect(await everywhere(k.key, k.secret)).toEqual([true, true]);

    const rotated = await api(a).post(`/applications/${k.id}/keys/production/rotate-secret`, { grace_seconds: 3600 });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.consumer_secret as string;
    expect(fresh).not.toBe(k.secret);
    const until = new Date(rotated.body.previous_secret_expires_at as string).getTime();
    expect(Math.abs(until - (Date.now() + 3600_000))).toBeLessThan(10_000);

    // At once, on both instances (b's cached record knows nothing of the new secret).
    expect(await everywhere(k.key, fresh)).toEqual([true, true]);
    expect(await everywhere(k.key, k.secret)).toEqual([true, true]);
    // Tokens issued before the rotation stay valid.
    expect((await introspect(b.url, k.key, fresh, k.token)).body.active).toBe(true);

    // The key set says when the old secret stops.
    const shown = await api(b).get(`/applications/${k.id}/keys/production`);
    expect(new Date(shown.body.previous_secret_expires_at as string).getTime()).toBe(until);

    // Ended early: the old secret stops on both instances at once; the new one keeps working.
    expect((await api(b).post(`/applications/${k.id}/keys/production/end-previous-secret`)).status).toBe(200);
    expect(await everywhere(k.key, k.secret)).toEqual([false, false]);
    expect(await everywhere(k.key, fresh)).toEqual([true, true]);
    expect((await api(a).get(`/applications/${k.id}/keys/production`)).body.previous_secret_expires_at).toBeUndefined();

    const log = await api(a).get('/audit-log?action=keys.rotate_secret');
    expect(log.body.entries.some((e: { target: string }) => e.target === k.id)).toBe(true);
    const ended = await api(a).get('/audit-log?action=keys.end_previous_secret');
    expect(ended.body.entries.some((e: { target: string }) => e.target === k.id)).toBe(true);
  });

  it('stops the old secret when the grace period ends', async () => {
    const k = await appWithKeys();
    const rotated = await api(a).post(`/applications/${k.id}/keys/production/rotate-secret`, { grace_seconds: 2 });
    expect(await everywhere(k.key, k.secret)).toEqual([true, true]);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await everywhere(k.key, k.secret)).toEqual([false, false]);
    expect(await everywhere(k.key, rotated.body.consumer_secret as string)).toEqual([true, true]);
  });

  it('attack: regenerating after a rotation stops the previous secret too', async () => {
    const k = await appWithKeys();
    await api(a).post(`/applications/${k.id}/keys/production/rotate-secret`);
    const regenerated = await api(a).post(`/applications/${k.id}/keys/production/regenerate-secret`);
    expect(regenerated.status).toBe(200);
    expect(await everywhere(k.key, k.secret)).toEqual([false, false]);
    expect(await everywhere(k.key, regenerated.body.consumer_secret as string)).toEqual([true, true]);
  });

  it('attack: a stored hash never works as a secret, current or previous', async () => {
    const k = await appWithKeys();
    await api(a).post(`/applications/${k.id}/keys/production/rotate-secret`);
    const doc = await a.store.collections.clients.findOne({ _id: k.key });
    const m = doc!.metadata as Record<string, string>;
    expect(m['previous_client_secret']).toMatch(/^hmac-sha256:/);
    expect(m['client_secret']).toMatch(/^hmac-sha256:/);
    expect(m['previous_client_secret']).not.toContain(k.secret);
    expect(await everywhere(k.key, m['previous_client_secret']!)).toEqual([false, false]);
    expect(await everywhere(k.key, m['client_secret']!)).toEqual([false, false]);
  });

  it('refuses a grace period out of range with a 4xx JSON body', async () => {
    const k = await appWithKeys();
    for (const body of [{ grace_seconds: -1 }, { grace_seconds: 'soon' }, { grace_seconds: 10 ** 9 }, { other: 1 }]) {
      const res = await api(a).post(`/applications/${k.id}/keys/production/rotate-secret`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBeTruthy();
    }
    expect(await works(a, k.key, k.secret)).toBe(true);
  });
});

describe('rotating the secret of a client from dynamic registration', () => {
  it('works through /api/clients, and RFC 7592 can neither see nor extend the previous secret', async () => {
    const c = await registerClient(a.url, { scope: 'orders:read' });
    const rotated = await api(a).post(`/clients/${c.client_id}/rotate-secret`, { grace_seconds: 3 });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.client_secret as string;
    expect(await everywhere(c.client_id, fresh)).toEqual([true, true]);
    expect(await everywhere(c.client_id, c.client_secret)).toEqual([true, true]);
    expect((await api(b).get(`/clients/${c.client_id}`)).body.previous_secret_expires_at).toBeTruthy();

    // The client reads itself: no hash of either secret.
    const read = await request(a.url).get(`/reg/${c.client_id}`).set('Authorization', `Bearer ${c.registration_access_token}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toMatch(/hmac-sha256|previous_client_secret/);
    // The client tries to keep its old secret alive for ever through an RFC 7592 update.
    const update = await request(a.url).put(`/reg/${c.client_id}`).set('Authorization', `Bearer ${c.registration_access_token}`)
      .send({ client_id: c.client_id, client_secret: fresh, scope: 'orders:read', previous_client_secret_expires_at: 4_000_000_000 });
    expect(update.status).toBe(200);
    expect(JSON.stringify(update.body)).not.toMatch(/hmac-sha256|previous_client_secret/);
    // The update kept the rotation as it was: both still work, until the 3 s are over.
    expect(await works(a, c.client_id, c.client_secret)).toBe(true);
    await new Promise((r) => setTimeout(r, 3500));
    expect(await everywhere(c.client_id, c.client_secret)).toEqual([false, false]);
    expect(await everywhere(c.client_id, fresh)).toEqual([true, true]);

    const log = await api(a).get('/audit-log?action=client.rotate_secret');
    expect(log.body.entries.some((e: { target: string }) => e.target === c.client_id)).toBe(true);
  });

  it('ends a client\'s previous secret early; the admin client and key sets are refused here', async () => {
    const c = await registerClient(a.url, { scope: 'orders:read' });
    await api(a).post(`/clients/${c.client_id}/rotate-secret`);
    expect((await api(b).post(`/clients/${c.client_id}/end-previous-secret`)).status).toBe(200);
    expect(await everywhere(c.client_id, c.client_secret)).toEqual([false, false]);
    expect((await api(a).post('/clients/admin/rotate-secret')).status).toBe(400);
    const k = await appWithKeys();
    expect((await api(a).post(`/clients/${k.key}/rotate-secret`)).status).toBe(400);
  });
});

describe('the CLI', () => {
  it('rotates a key set\'s secret and a client\'s secret, and ends the previous ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keyforge-cli-rot-'));
    const login = await cli(['login', '--url', a.url, '--client-id', 'admin', '--client-secret', ADMIN_SECRET], dir);
    expect(login.code, login.stderr).toBe(0);
    const k = await appWithKeys();
    // Ids are random base64url and may begin with '-': after '--' they are never read as options.
    const r = await cli(['--json', 'keys', 'rotate-secret', '--grace', '600', '--', k.id, 'production'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { consumer_secret: string; previous_secret_expires_at: string };
    expect(await everywhere(k.key, out.consumer_secret)).toEqual([true, true]);
    expect(await everywhere(k.key, k.secret)).toEqual([true, true]);
    expect((await cli(['keys', 'end-previous-secret', '--', k.id, 'production'], dir)).code).toBe(0);
    expect(await works(a, k.key, k.secret)).toBe(false);

    const c = await registerClient(a.url, { scope: 'orders:read' });
    const rc = await cli(['--json', 'clients', 'rotate-secret', '--', c.client_id], dir);
    expect(rc.code, rc.stderr).toBe(0);
    const fresh = (JSON.parse(rc.stdout) as { client_secret: string }).client_secret;
    expect(await works(b, c.client_id, fresh)).toBe(true);
    expect(await works(b, c.client_id, c.client_secret)).toBe(true);
    expect((await cli(['clients', 'end-previous-secret', '--', c.client_id], dir)).code).toBe(0);
    expect(await works(b, c.client_id, c.client_secret)).toBe(false);
  });

  it('turns "require DPoP" on and off for an application', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keyforge-cli-dpop-'));
    expect((await cli(['login', '--url', a.url, '--client-id', 'admin', '--client-secret', ADMIN_SECRET], dir)).code).toBe(0);
    const created = await cli(['--json', 'apps', 'create', '--name', 'cli dpop', '--token-type', 'JWT', '--subscribe', ORDERS, '--require-dpop'], dir);
    expect(created.code, created.stderr).toBe(0);
    const app = JSON.parse(created.stdout) as { id: string; require_dpop: boolean };
    expect(app.require_dpop).toBe(true);
    const keys = await cli(['--json', 'keys', 'generate', app.id, 'production', '--scope', 'orders:read'], dir);
    const k = JSON.parse(keys.stdout) as { consumer_key: string; consumer_secret: string; dpop_bound: boolean };
    expect(k.dpop_bound).toBe(true);
    expect((await tokenRequest(a.url, k.consumer_key, k.consumer_secret)).body.error).toBe('invalid_dpop_proof');
    const off = await cli(['--json', 'apps', 'update', app.id, '--no-require-dpop'], dir);
    expect(JSON.parse(off.stdout).require_dpop).toBe(false);
    expect(await works(a, k.consumer_key, k.consumer_secret)).toBe(true);
    // Neither flag: unchanged.
    expect(JSON.parse((await cli(['--json', 'apps', 'update', app.id, '--description', 'x'], dir)).stdout).require_dpop).toBe(false);
  });
});

// Basic auth helper kept in use for a malformed-secret probe.
it('a secret with a wrong length or charset is simply refused', async () => {
  const res = await request(a.url).post('/token').set('Authorization', basic('nobody', 'x'.repeat(300))).type('form').send({ grant_type: 'client_credentials' });
  expect(res.status).toBe(401);
});
