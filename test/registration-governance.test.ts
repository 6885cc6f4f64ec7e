import { createServer, type Server } from 'node:net';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';
import { adminToken, basic, createApi, introspect, tokenRequest, type RegisteredClient } from './support/oauth.js';

// Attacks found by a security review (issue 9): each test here failed on the code before its fix.

let srv: TestServer;
let url: string;
let admin: string;
const ORDERS = 'https://orders.example.com';
const PAYMENTS = 'https://payments.example.com';

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }, { name: 'orders:write' }] });
  await createApi(url, admin, { identifier: PAYMENTS, name: 'Payments', scopes: [{ name: 'payments:refund' }] });
});
afterAll(() => srv?.destroy());

const api = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, token = admin) =>
  request(url)[method](`/api${path}`).set('Authorization', `Bearer ${token}`);

async function initialAccessToken(policy: Record<string, unknown>): Promise<{ id: string; initial_access_token: string; [k: string]: unknown }> {
  const res = await api('post', '/initial-access-tokens').send(policy);
  if (res.status !== 201) throw new Error(`iat: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const register = (iat: string, body: Record<string, unknown>) =>
  request(url).post('/reg').set('Authorization', `Bearer ${iat}`).send(body);

async function registered(iat: string, body: Record<string, unknown>): Promise<RegisteredClient> {
  const res = await register(iat, body);
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as RegisteredClient;
}

const regPath = (c: RegisteredClient) => new URL(c.registration_client_uri).pathname;

describe('finding 1: a stored secret hash never works as the secret', () => {
  it('refuses the hash from the database and from the export at /token and at introspection', async () => {
    const { initial_access_token: iat } = await initialAccessToken({ allowed_apis: [ORDERS] });
    const c = await registered(iat, { scope: 'orders:read' });
    const stored = await srv.store.collections.clients.findOne({ _id: c.client_id });
    const hash = String(stored?.metadata['client_secret']);
    expect(hash).not.toBe(c.client_secret);

    expect((await tokenRequest(url, c.client_id, hash)).status).toBe(401);
    const good = await tokenRequest(url, c.client_id, c.client_secret);
    expect(good.status).toBe(200);
    expect((await introspect(url, c.client_id, hash, good.body.access_token)).status).toBe(401);

    const exported = await api('get', '/export');
    expect(exported.status).toBe(200);
    const fromExport = (exported.body.clients as { client_id: string; metadata: Record<string, unknown> }[])
      .find((x) => x.client_id === c.client_id)?.metadata['client_secret'];
    if (typeof fromExport === 'string') expect((await tokenRequest(url, c.client_id, fromExport)).status).toBe(401);
  });

  it('refuses the admin client hash, so it yields no admin token', async () => {
    const stored = await srv.store.collections.clients.findOne({ _id: 'admin' });
    const hash = String(stored?.metadata['client_secret']);
    const res = await tokenRequest(url, 'admin', hash, { resource: `${srv.config.issuer}/api`, scope: 'admin' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect((await tokenRequest(url, 'admin', ADMIN_SECRET, { resource: `${srv.config.issuer}/api`, scope: 'admin' })).status).toBe(200);
  });
});

describe('finding 2: registration is governed by the initial access token policy', () => {
  it('keeps a client inside its policy at registration and at every RFC 7592 update, even after the token is gone', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS], max_uses: 5 });
    expect((await register(t.initial_access_token, { scope: 'payments:refund' })).body.error).toBe('invalid_client_metadata');
    const c = await registered(t.initial_access_token, { scope: 'orders:read' });
    expect(c['registration_policy']).toBeUndefined();

    expect((await api('delete', `/initial-access-tokens/${t.id}`)).status).toBe(204);
    const escalate = await request(url).put(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)
      .send({ client_id: c.client_id, scope: 'orders:read orders:write payments:refund' });
    expect(escalate.status).toBe(400);
    expect(escalate.body.error).toBe('invalid_client_metadata');
    expect(escalate.body.error_description).toMatch(/payments:refund/);

    const tok = await tokenRequest(url, c.client_id, c.client_secret, { scope: 'payments:refund' });
    expect(tok.status).toBe(400);
    expect(tok.body.error).toBe('invalid_scope');

    // Inside the policy, an update is fine.
    const widen = await request(url).put(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)
      .send({ client_id: c.client_id, scope: 'orders:read orders:write' });
    expect(widen.status).toBe(200);
  });

  it('ignores a policy that a client sends for itself', async () => {
    const t = await initialAccessToken({ allowed_scopes: ['orders:read'] });
    const c = await registered(t.initial_access_token, {
      scope: 'orders:read', registration_policy: { allowed_apis: [PAYMENTS], scopes: ['payments:refund'] },
    });
    const upd = await request(url).put(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)
      .send({ client_id: c.client_id, scope: 'payments:refund', registration_policy: { all_apis: true } });
    expect(upd.status).toBe(400);
    const listed = await api('get', `/clients/${c.client_id}`);
    expect(listed.body.registration_policy).toMatchObject({ allowed_scopes: ['orders:read'] });
  });

  it('bounds token formats and lifetimes', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS], token_formats: ['opaque'], max_access_token_ttl: 600, max_uses: 10 });
    const jwt = await register(t.initial_access_token, { scope: 'orders:read', access_token_strategy: 'jwt' });
    expect(jwt.status).toBe(400);
    expect(jwt.body.error_description).toMatch(/access_token_strategy/);
    const long = await register(t.initial_access_token, { scope: 'orders:read', access_token_ttl: 3600 });
    expect(long.status).toBe(400);
    expect(long.body.error_description).toMatch(/access_token_ttl/);
    const never = await register(t.initial_access_token, { scope: 'orders:read', access_token_ttl: -1 });
    expect(never.status).toBe(400);
    // The default TTL is brought inside the policy rather than refused.
    const ok = await registered(t.initial_access_token, { scope: 'orders:read' });
    expect(ok['access_token_ttl']).toBe(600);
    const upd = await request(url).put(regPath(ok)).set('Authorization', `Bearer ${ok.registration_access_token}`)
      .send({ client_id: ok.client_id, scope: 'orders:read', access_token_ttl: 7200, access_token_strategy: 'jwt' });
    expect(upd.status).toBe(400);
  });

  it('needs a scope policy, expires by default and is used at most max_uses times, even in parallel', async () => {
    const none = await api('post', '/initial-access-tokens').send({});
    expect(none.status).toBe(400);
    expect(none.body.error_description).toMatch(/allowed_apis|allowed_scopes/);

    const single = await initialAccessToken({ allowed_apis: [ORDERS] });
    expect(single['max_uses']).toBe(1);
    expect(single['expires_at']).toEqual(expect.any(String));
    expect(new Date(String(single['expires_at'])).getTime()).toBeGreaterThan(Date.now());
    expect((await register(single.initial_access_token, { scope: 'orders:read' })).status).toBe(201);
    const again = await register(single.initial_access_token, { scope: 'orders:read' });
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_token');

    const three = await initialAccessToken({ allowed_apis: [ORDERS], max_uses: 3 });
    const burst = await Promise.all(Array.from({ length: 10 }, () => register(three.initial_access_token, { scope: 'orders:read' })));
    expect(burst.filter((r) => r.status === 201)).toHaveLength(3);
    expect(burst.filter((r) => r.status === 401)).toHaveLength(7);
    const listed = await api('get', '/initial-access-tokens');
    const entry = (listed.body.initial_access_tokens as { id: string; uses: number }[]).find((x) => x.id === three.id);
    // A used-up token is not offered any more.
    expect(entry).toBeUndefined();
  });

  it('rotates the registration access token on every update', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS] });
    const c = await registered(t.initial_access_token, { scope: 'orders:read' });
    const first = await request(url).put(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)
      .send({ client_id: c.client_id, scope: 'orders:read', client_name: 'one' });
    expect(first.status).toBe(200);
    expect(first.body.registration_access_token).not.toBe(c.registration_access_token);
    // Replaying the old one fails; the new one works.
    const replay = await request(url).get(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`);
    expect(replay.status).toBe(401);
    const read = await request(url).get(regPath(c)).set('Authorization', `Bearer ${first.body.registration_access_token}`);
    expect(read.status).toBe(200);
    expect(read.body.client_name).toBe('one');
  });

  it('lets the admin list, disable, enable and delete registered clients and revoke or rotate their registration tokens', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS] });
    const c = await registered(t.initial_access_token, { client_name: 'governed', scope: 'orders:read' });

    const list = await api('get', '/clients?limit=100');
    expect(list.status).toBe(200);
    const item = (list.body.clients as { client_id: string }[]).find((x) => x.client_id === c.client_id);
    expect(item).toMatchObject({ client_id: c.client_id, client_name: 'governed', source: 'registration', disabled: false });
    expect(JSON.stringify(list.body)).not.toMatch(/hmac-sha256/);

    const tok = await tokenRequest(url, c.client_id, c.client_secret);
    expect(tok.status).toBe(200);
    expect((await api('post', `/clients/${c.client_id}/disable`)).status).toBe(200);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(401);
    expect((await introspect(url, c.client_id, c.client_secret, tok.body.access_token)).status).toBe(401);
    expect((await introspect(url, 'admin', ADMIN_SECRET, tok.body.access_token)).body.active).toBe(false);
    const readDisabled = await request(url).get(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`);
    expect(readDisabled.status).toBe(403);

    expect((await api('post', `/clients/${c.client_id}/enable`)).status).toBe(200);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(200);
    expect((await request(url).get(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)).status).toBe(200);

    const rotated = await api('post', `/clients/${c.client_id}/registration-access-token`);
    expect(rotated.status).toBe(201);
    expect((await request(url).get(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)).status).toBe(401);
    const rat = rotated.body.registration_access_token as string;
    expect((await request(url).get(regPath(c)).set('Authorization', `Bearer ${rat}`)).status).toBe(200);

    expect((await api('delete', `/clients/${c.client_id}/registration-access-token`)).status).toBe(204);
    expect((await request(url).get(regPath(c)).set('Authorization', `Bearer ${rat}`)).status).toBe(401);

    expect((await api('delete', `/clients/${c.client_id}`)).status).toBe(204);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(401);
    expect((await api('get', `/clients/${c.client_id}`)).status).toBe(404);
  });

  it('keeps these routes to the admin, and the admin client out of reach', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS] });
    const c = await registered(t.initial_access_token, { scope: 'orders:read' });
    const own = (await tokenRequest(url, c.client_id, c.client_secret)).body.access_token as string;
    expect((await api('get', '/clients', own)).status).toBe(401);
    expect((await request(url).get('/api/clients')).status).toBe(401);
    expect((await api('post', '/clients/admin/disable')).status).toBe(400);
    expect((await api('delete', '/clients/admin')).status).toBe(400);
  });
});

describe('finding 3: no URL the server would fetch or show', () => {
  let listener: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  it.each(['sector_identifier_uri', 'jwks_uri', 'logo_uri', 'client_uri', 'policy_uri', 'tos_uri', 'initiate_login_uri'])(
    'refuses %s at registration and update without fetching it', async (field) => {
      const t = await initialAccessToken({ allowed_apis: [ORDERS], max_uses: 2 });
      const target = `https://127.0.0.1:${port}/x`;
      const res = await register(t.initial_access_token, { scope: 'orders:read', [field]: target });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_client_metadata');
      expect(res.body.error_description).toContain(field);
      const c = await registered(t.initial_access_token, { scope: 'orders:read' });
      const upd = await request(url).put(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)
        .send({ client_id: c.client_id, scope: 'orders:read', [field]: target });
      expect(upd.status).toBe(400);
      expect(connections).toBe(0);
    },
  );

  it('answers only client-credentials metadata', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS] });
    const res = await register(t.initial_access_token, { scope: 'orders:read', software_id: 'x', frobnicate: 1 });
    expect(res.status).toBe(201);
    for (const key of ['application_type', 'id_token_signed_response_alg', 'subject_type', 'post_logout_redirect_uris',
      'require_pushed_authorization_requests', 'frobnicate']) {
      expect(res.body).not.toHaveProperty(key);
    }
    expect(res.body).toMatchObject({ grant_types: ['client_credentials'], scope: 'orders:read' });
  });
});

describe('finding 5: one audit vocabulary, with who and what changed', () => {
  type Entry = { actor: string; action: string; target?: string; details?: Record<string, unknown> };
  // The log is written after the answer, so it is read until the entry is there (2 s at most).
  const entries = async (q: string): Promise<Entry[]> => {
    for (let i = 0; ; i += 1) {
      const found = (await api('get', `/audit-log?${q}`)).body.entries as Entry[] | undefined;
      if (found?.length || i === 20) return found ?? [];
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('records the export of credentials', async () => {
    expect((await api('get', '/export')).status).toBe(200);
    const found = await entries('action=config.export');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.actor).toBe('client:admin');
  });

  it('names the initial access token behind a registration, and the before and after of an update', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS], max_uses: 2 });
    const c = await registered(t.initial_access_token, { scope: 'orders:read', access_token_ttl: 300 });
    const reg = (await entries(`action=client.register&target=${c.client_id}`))[0];
    expect(reg).toMatchObject({ actor: `initial_access_token:${t.id}`, details: { scope: 'orders:read', access_token_ttl: 300 } });
    await request(url).put(regPath(c)).set('Authorization', `Bearer ${c.registration_access_token}`)
      .send({ client_id: c.client_id, scope: 'orders:read orders:write', access_token_ttl: 600 });
    const upd = (await entries(`action=client.update&target=${c.client_id}`))[0];
    expect(upd).toMatchObject({
      actor: `client:${c.client_id}`,
      details: { before: { scope: 'orders:read', access_token_ttl: 300 }, after: { scope: 'orders:read orders:write', access_token_ttl: 600 } },
    });
  });

  it('uses the same action names as the portal, and does not decode targets twice', async () => {
    const created = await api('post', '/applications').send({ name: 'audited', token_type: 'JWT' });
    expect(created.status).toBe(201);
    const app = (await entries(`action=application.create&target=${created.body.id}`))[0];
    expect(app).toMatchObject({ actor: 'client:admin', action: 'application.create' });

    const identifier = 'https://pct.example/a%2541';
    const made = await api('post', '/apis').send({ identifier, name: 'Pct', scopes: [{ name: 'pct:read' }] });
    expect(made.status).toBe(201);
    const patched = await api('patch', `/apis/${encodeURIComponent(identifier)}`).send({ name: 'Pct 2' });
    expect(patched.status).toBe(200);
    const upd = (await entries('action=api.update'))[0];
    expect(upd?.target).toBe(identifier);
  });
});

describe('finding 9: broken percent-encoding is a 400', () => {
  it.each(['put', 'get', 'delete'] as const)('%s /reg/ with broken percent-encoding', async (method) => {
    const res = await request(url)[method]('/reg/%E0%A4%A').set('Authorization', 'Bearer x').send({});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });
});

describe('someone else\'s client', () => {
  it('cannot read or change another client through its own registration access token', async () => {
    const t = await initialAccessToken({ allowed_apis: [ORDERS], max_uses: 2 });
    const a = await registered(t.initial_access_token, { scope: 'orders:read' });
    const b = await registered(t.initial_access_token, { scope: 'orders:read' });
    const res = await request(url).get(regPath(b)).set('Authorization', `Bearer ${a.registration_access_token}`);
    expect(res.status).toBe(401);
    const put = await request(url).put(regPath(b)).set('Authorization', basic(a.client_id, a.client_secret))
      .send({ client_id: b.client_id, scope: 'orders:read' });
    expect([400, 401]).toContain(put.status);
    expect(put.body.error).toMatch(/invalid_(token|request)/);
  });
});
