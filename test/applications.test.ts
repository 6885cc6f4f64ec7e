import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, introspect, tokenRequest, type TokenResponse } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

const ORDERS = 'https://orders.example.com';
const INVENTORY = 'https://inventory.example.com';

interface IssuedToken {
  api: string;
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope: string;
}

interface Credentials {
  key_type: string;
  consumer_key: string;
  consumer_secret: string;
  scopes: string[];
  access_token_ttl: number;
  tokens: IssuedToken[];
  token_error?: unknown;
}

let srv: TestServer;
let url: string;
let issuer: string;
let admin: string;

const api = () => ({
  get: (path: string) => request(url).get(`/api${path}`).set('Authorization', `Bearer ${admin}`),
  post: (path: string, body?: object) => {
    const req = request(url).post(`/api${path}`).set('Authorization', `Bearer ${admin}`);
    return body ? req.send(body) : req;
  },
  patch: (path: string, body: object) => request(url).patch(`/api${path}`).set('Authorization', `Bearer ${admin}`).send(body),
  delete: (path: string) => request(url).delete(`/api${path}`).set('Authorization', `Bearer ${admin}`),
});

let counter = 0;
async function createApp(body: Record<string, unknown> = {}): Promise<{ id: string }> {
  const res = await api().post('/applications', {
    name: `app ${++counter}`,
    token_type: 'JWT',
    subscriptions: [ORDERS],
    ...body,
  });
  if (res.status !== 201) throw new Error(`create app: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
}

async function generate(id: string, type: string, body: Record<string, unknown>): Promise<Credentials> {
  const res = await api().post(`/applications/${id}/keys/${type}`, body);
  if (res.status !== 201) throw new Error(`generate: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Credentials;
}

const adminIntrospect = (token: string) => introspect(url, 'admin', ADMIN_SECRET, token);

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  issuer = srv.config.issuer;
  admin = await adminToken(url, issuer);
  await createApi(url, admin, {
    identifier: ORDERS,
    name: 'Orders',
    scopes: [{ name: 'orders:read', description: 'Read orders' }, { name: 'orders:write' }],
  });
  await createApi(url, admin, {
    identifier: INVENTORY,
    name: 'Inventory',
    scopes: [{ name: 'inventory:read' }],
    signing_alg: 'ES256',
  });
});
afterAll(() => srv?.destroy());

describe('applications CRUD', () => {
  it('creates, lists, reads, updates and deletes', async () => {
    const created = await api().post('/applications', {
      name: 'Billing', description: 'Bills things', token_type: 'OAuth', access_token_ttl: 1200, subscriptions: [ORDERS],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers['location']).toBe(`${issuer}/api/applications/${id}`);
    expect(created.body).toMatchObject({
      name: 'Billing', description: 'Bills things', token_type: 'OAuth', access_token_ttl: 1200,
      subscriptions: [ORDERS], key_sets: [], keys: { production: null, sandbox: null },
    });

    const list = await api().get('/applications');
    expect(list.status).toBe(200);
    expect(list.body.applications.map((a: { id: string }) => a.id)).toContain(id);

    const patched = await api().patch(`/applications/${id}`, { name: 'Billing v2', description: '' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Billing v2', description: '', token_type: 'OAuth' });
    expect((await api().get(`/applications/${id}`)).body.name).toBe('Billing v2');

    expect((await api().delete(`/applications/${id}`)).status).toBe(204);
    const gone = await api().get(`/applications/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe('not_found');
    expect((await api().delete(`/applications/${id}`)).status).toBe(404);
  });

  it('needs an admin token like the rest of /api', async () => {
    expect((await request(url).get('/api/applications')).status).toBe(401);
  });

  it.each([
    [{ token_type: 'JWT' }, 'name is required'],
    [{ name: 'x', token_type: 'SAML' }, 'token_type must be one of'],
    [{ name: 'x', token_type: 'JWT', colour: 'red' }, 'colour is not a recognised property'],
    [{ name: 'x', token_type: 'JWT', access_token_ttl: 'long' }, 'access_token_ttl must be integer'],
    [{ name: 'x', token_type: 'JWT', access_token_ttl: 0 }, 'access_token_ttl:'],
    [{ name: '   ', token_type: 'JWT' }, 'name:'],
    [{ name: 'x', token_type: 'JWT', subscriptions: ['https://nowhere.example'] }, 'subscriptions:'],
  ])('refuses %j with a 400 naming the field', async (body, message) => {
    const res = await api().post('/applications', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(message);
  });

  it('refuses a second application with the same name, in any case', async () => {
    await createApp({ name: 'Unique Name' });
    const res = await api().post('/applications', { name: 'unique name', token_type: 'JWT' });
    expect(res.status).toBe(409);
    expect(res.body.error_description).toMatch(/^name:/);
  });

  it('never lets an application subscribe to the management API', async () => {
    const res = await api().post('/applications', { name: 'sneaky', token_type: 'JWT', subscriptions: [`${issuer}/api`] });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(/^subscriptions:/);
  });

  it('describes the endpoints in the OpenAPI document', async () => {
    const doc = (await request(url).get('/api/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/applications', '/applications/{id}', '/applications/{id}/keys/{keyType}',
      '/applications/{id}/keys/{keyType}/regenerate-secret', '/applications/{id}/keys/{keyType}/token',
      '/applications/{id}/keys/{keyType}/revoke',
    ]));
    expect(doc.components.schemas.Application).toBeDefined();
    expect(doc.paths['/applications'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'token_type']);
  });
});

describe('key sets', () => {
  it.each([['production', 'PRODUCTION'], ['sandbox', 'SANDBOX']])('%s keys of a JWT app carry key_type %s', async (type, claim) => {
    const { id } = await createApp({ token_type: 'JWT' });
    const keys = await generate(id, type, { scopes: ['orders:read'], access_token_ttl: 900 });
    expect(keys).toMatchObject({ key_type: claim, scopes: ['orders:read'], access_token_ttl: 900 });
    expect(keys.consumer_key.length).toBeGreaterThanOrEqual(22);
    expect(Buffer.from(keys.consumer_secret, 'base64url')).toHaveLength(32);
    expect(keys.tokens).toHaveLength(1);
    const [token] = keys.tokens;
    expect(token).toMatchObject({ api: ORDERS, token_type: 'Bearer', expires_in: 900, scope: 'orders:read' });

    const { payload } = await jwtVerify(token!.access_token, createRemoteJWKSet(new URL(`${url}/jwks`)), {
      issuer, audience: ORDERS, typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ key_type: claim, client_id: keys.consumer_key, scope: 'orders:read' });
    expect(payload.exp! - payload.iat!).toBe(900);

    const info = await adminIntrospect(token!.access_token);
    expect(info.body).toMatchObject({ active: true, key_type: claim, client_id: keys.consumer_key, aud: ORDERS });

    // The keys are an ordinary OAuth client: the application gets its own tokens with them.
    const own = await tokenRequest(url, keys.consumer_key, keys.consumer_secret);
    expect(own.status).toBe(200);
    expect(decodeJwt((own.body as TokenResponse).access_token)['key_type']).toBe(claim);

    const app = (await api().get(`/applications/${id}`)).body;
    expect(app.key_sets).toEqual([claim]);
    expect(app.keys[type]).toMatchObject({ key_type: claim, consumer_key: keys.consumer_key, scopes: ['orders:read'] });
    expect(JSON.stringify(app)).not.toContain(keys.consumer_secret);
  });

  it('gives production and sandbox their own clients, and refuses to generate twice', async () => {
    const { id } = await createApp();
    const prod = await generate(id, 'production', { scopes: ['orders:read'] });
    const sandbox = await generate(id, 'sandbox', { scopes: ['orders:write'] });
    expect(prod.consumer_key).not.toBe(sandbox.consumer_key);
    expect(sandbox.tokens[0]!.scope).toBe('orders:write');
    // Sandbox credentials do not reach production scopes.
    expect((await tokenRequest(url, sandbox.consumer_key, sandbox.consumer_secret, { scope: 'orders:read' })).status).toBe(400);

    const again = await api().post(`/applications/${id}/keys/production`, { scopes: ['orders:read'] });
    expect(again.status).toBe(409);
    expect((await api().post(`/applications/${id}/keys/staging`, { scopes: ['orders:read'] })).status).toBe(404);
  });

  it('issues opaque tokens for OAuth applications', async () => {
    const { id } = await createApp({ token_type: 'OAuth', access_token_ttl: 600 });
    const keys = await generate(id, 'sandbox', { scopes: ['orders:read', 'orders:write'] });
    const [token] = keys.tokens;
    expect(token!.access_token.split('.')).toHaveLength(1);
    expect(token!.expires_in).toBe(600);
    expect(token!.scope.split(' ').sort()).toEqual(['orders:read', 'orders:write']);
    const info = await adminIntrospect(token!.access_token);
    expect(info.body).toMatchObject({ active: true, key_type: 'SANDBOX', client_id: keys.consumer_key });
  });

  it('issues one token per API when the scopes span APIs', async () => {
    const { id } = await createApp({ subscriptions: [ORDERS, INVENTORY] });
    const keys = await generate(id, 'production', { scopes: ['orders:read', 'inventory:read'] });
    expect(keys.tokens.map((t) => [t.api, t.scope]).sort()).toEqual([[INVENTORY, 'inventory:read'], [ORDERS, 'orders:read']]);
    for (const t of keys.tokens) expect(decodeJwt(t.access_token).aud).toBe(t.api);
  });

  it('refuses scopes outside the subscriptions, and the admin scope always', async () => {
    const { id } = await createApp({ subscriptions: [ORDERS] });
    for (const scopes of [['inventory:read'], ['admin'], ['no-such-scope']]) {
      const res = await api().post(`/applications/${id}/keys/production`, { scopes });
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/^scopes:/);
    }
    const empty = await api().post(`/applications/${id}/keys/production`, { scopes: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error_description).toContain('scopes');
    // Nothing was created by the refusals.
    expect((await api().get(`/applications/${id}`)).body.key_sets).toEqual([]);
  });

  it('regenerating the secret revokes old tokens and retires the old secret', async () => {
    const { id } = await createApp({ token_type: 'OAuth' });
    const first = await generate(id, 'production', { scopes: ['orders:read'] });
    const oldToken = first.tokens[0]!.access_token;
    const own = (await tokenRequest(url, first.consumer_key, first.consumer_secret)).body as TokenResponse;

    const res = await api().post(`/applications/${id}/keys/production/regenerate-secret`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    const second = res.body as Credentials;
    expect(second.consumer_key).toBe(first.consumer_key);
    expect(second.consumer_secret).not.toBe(first.consumer_secret);

    expect((await adminIntrospect(oldToken)).body).toEqual({ active: false });
    expect((await adminIntrospect(own.access_token)).body).toEqual({ active: false });
    expect((await tokenRequest(url, first.consumer_key, first.consumer_secret)).status).toBe(401);
    expect((await tokenRequest(url, second.consumer_key, second.consumer_secret)).status).toBe(200);
    expect((await adminIntrospect(second.tokens[0]!.access_token)).body.active).toBe(true);
  });

  it('issues a new token with the secret, and says which field is wrong otherwise', async () => {
    const { id } = await createApp({ subscriptions: [ORDERS, INVENTORY] });
    const keys = await generate(id, 'sandbox', { scopes: ['orders:read', 'orders:write', 'inventory:read'] });

    const some = await api().post(`/applications/${id}/keys/sandbox/token`, { client_secret: keys.consumer_secret, scopes: ['orders:write'] });
    expect(some.status).toBe(200);
    expect(some.body.tokens).toHaveLength(1);
    expect(some.body.tokens[0]).toMatchObject({ api: ORDERS, scope: 'orders:write' });

    const all = await api().post(`/applications/${id}/keys/sandbox/token`, { client_secret: keys.consumer_secret });
    expect(all.body.tokens).toHaveLength(2);

    const wrong = await api().post(`/applications/${id}/keys/sandbox/token`, { client_secret: 'not-the-secret' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error_description).toMatch(/^client_secret:/);

    const outside = await api().post(`/applications/${id}/keys/sandbox/token`, { client_secret: keys.consumer_secret, scopes: ['admin'] });
    expect(outside.status).toBe(400);
    expect(outside.body.error_description).toMatch(/^scopes:/);

    const none = await api().post(`/applications/${id}/keys/production/token`, { client_secret: keys.consumer_secret });
    expect(none.status).toBe(404);
  });

  it('revokes all tokens of one key set and leaves the other alone', async () => {
    const { id } = await createApp();
    const prod = await generate(id, 'production', { scopes: ['orders:read'] });
    const sandbox = await generate(id, 'sandbox', { scopes: ['orders:read'] });
    const res = await api().post(`/applications/${id}/keys/production/revoke`);
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBe(1);
    expect((await adminIntrospect(prod.tokens[0]!.access_token)).body.active).toBe(false);
    expect((await adminIntrospect(sandbox.tokens[0]!.access_token)).body.active).toBe(true);
    // The keys themselves still work.
    expect((await tokenRequest(url, prod.consumer_key, prod.consumer_secret)).status).toBe(200);
  });

  it('deleting the application revokes its tokens and removes its clients', async () => {
    const { id } = await createApp({ token_type: 'OAuth' });
    const prod = await generate(id, 'production', { scopes: ['orders:read'] });
    const sandbox = await generate(id, 'sandbox', { scopes: ['orders:read'] });
    expect((await api().delete(`/applications/${id}`)).status).toBe(204);
    for (const k of [prod, sandbox]) {
      expect((await adminIntrospect(k.tokens[0]!.access_token)).body).toEqual({ active: false });
      expect((await tokenRequest(url, k.consumer_key, k.consumer_secret)).status).toBe(401);
    }
    expect(await srv.store.collections.clients.countDocuments({ 'metadata.application_id': id })).toBe(0);
  });

  it('removing a key set revokes its tokens and allows generating again', async () => {
    const { id } = await createApp();
    const prod = await generate(id, 'production', { scopes: ['orders:read'] });
    expect((await api().delete(`/applications/${id}/keys/production`)).status).toBe(204);
    expect((await adminIntrospect(prod.tokens[0]!.access_token)).body.active).toBe(false);
    expect((await api().get(`/applications/${id}`)).body.keys.production).toBeNull();
    const again = await generate(id, 'production', { scopes: ['orders:write'] });
    expect(again.consumer_key).not.toBe(prod.consumer_key);
  });

  it('changes scopes and validity of existing keys', async () => {
    const { id } = await createApp({ token_type: 'OAuth' });
    const keys = await generate(id, 'production', { scopes: ['orders:read'], access_token_ttl: 300 });
    const res = await api().patch(`/applications/${id}/keys/production`, { scopes: ['orders:write'], access_token_ttl: 120 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scopes: ['orders:write'], access_token_ttl: 120 });
    const token = await tokenRequest(url, keys.consumer_key, keys.consumer_secret);
    expect(token.body).toMatchObject({ scope: 'orders:write', expires_in: 120 });
  });
});

describe('application changes reach the key sets', () => {
  it('token type, validity period and subscriptions apply to new tokens', async () => {
    const { id } = await createApp({ token_type: 'JWT', subscriptions: [ORDERS, INVENTORY], access_token_ttl: 600 });
    const keys = await generate(id, 'production', { scopes: ['orders:read', 'inventory:read'] });
    const inventoryToken = keys.tokens.find((t) => t.api === INVENTORY)!.access_token;

    const patched = await api().patch(`/applications/${id}`, { token_type: 'OAuth', access_token_ttl: 300, subscriptions: [ORDERS] });
    expect(patched.status).toBe(200);
    expect(patched.body.keys.production).toMatchObject({ scopes: ['orders:read'], access_token_ttl: 300 });

    const fresh = await tokenRequest(url, keys.consumer_key, keys.consumer_secret);
    expect(fresh.status).toBe(200);
    const body = fresh.body as TokenResponse;
    expect(body.access_token.split('.')).toHaveLength(1);
    expect(body).toMatchObject({ expires_in: 300, scope: 'orders:read' });
    // The dropped API no longer accepts what the application held for it.
    expect((await adminIntrospect(inventoryToken)).body.active).toBe(false);
    expect((await tokenRequest(url, keys.consumer_key, keys.consumer_secret, { scope: 'inventory:read' })).status).toBe(400);
  });

  it('allows tokens that never expire when the server does', async () => {
    const { id } = await createApp({ token_type: 'OAuth', access_token_ttl: -5 });
    expect((await api().get(`/applications/${id}`)).body.access_token_ttl).toBe(-1);
    const keys = await generate(id, 'production', { scopes: ['orders:read'] });
    expect(keys.access_token_ttl).toBe(-1);
    expect(keys.tokens[0]!.expires_in).toBeUndefined();
    const info = await adminIntrospect(keys.tokens[0]!.access_token);
    expect(info.body.active).toBe(true);
    expect(info.body.exp).toBeUndefined();
  });
});

describe('with MAX_ACCESS_TOKEN_TTL=3600', () => {
  let capped: TestServer;
  let cappedAdmin: string;
  const post = (path: string, body: object) =>
    request(capped.url).post(`/api${path}`).set('Authorization', `Bearer ${cappedAdmin}`).send(body);

  beforeAll(async () => {
    capped = await startTestServer({ MAX_ACCESS_TOKEN_TTL: '3600' });
    cappedAdmin = await adminToken(capped.url, capped.config.issuer);
    await createApi(capped.url, cappedAdmin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }] });
  });
  afterAll(() => capped?.destroy());

  it('refuses never-expiring and longer validity periods, accepts the cap', async () => {
    const never = await post('/applications', { name: 'never', token_type: 'JWT', access_token_ttl: -1, subscriptions: [ORDERS] });
    expect(never.status).toBe(400);
    expect(never.body.error_description).toMatch(/^access_token_ttl: .*never expire/);

    const app = await post('/applications', { name: 'capped', token_type: 'JWT', access_token_ttl: 3600, subscriptions: [ORDERS] });
    expect(app.status).toBe(201);
    const tooLong = await post(`/applications/${app.body.id}/keys/production`, { scopes: ['orders:read'], access_token_ttl: 7200 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error_description).toMatch(/^access_token_ttl:/);
    const neverKeys = await post(`/applications/${app.body.id}/keys/production`, { scopes: ['orders:read'], access_token_ttl: -1 });
    expect(neverKeys.status).toBe(400);

    const ok = await post(`/applications/${app.body.id}/keys/production`, { scopes: ['orders:read'], access_token_ttl: 3600 });
    expect(ok.status).toBe(201);
    expect(ok.body.tokens[0].expires_in).toBe(3600);
  });
});
