import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { managementRouter } from '../src/management-api/index.js';
import { adminToken, registerClient, tokenRequest } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;
let url: string;
let admin: string;
const id = encodeURIComponent('https://payments.example.com');
const api = () => request(url);
const auth = () => `Bearer ${admin}`;

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
});
afterAll(() => srv?.destroy());

describe('management API auth (RFC 6750)', () => {
  it('needs a bearer token', async () => {
    const res = await api().get('/api/apis');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.error).toBe('invalid_token');
  });

  it('refuses a malformed header, an unknown token and a token for another API', async () => {
    expect((await api().get('/api/apis').set('Authorization', 'Bearer a b')).status).toBe(400);
    expect((await api().get('/api/apis').set('Authorization', 'Bearer nope')).status).toBe(401);

    await api().post('/api/apis').set('Authorization', auth())
      .send({ identifier: 'https://other.example.com', name: 'Other', scopes: [{ name: 'other:admin' }] });
    const c = await registerClient(url, { scope: 'other:admin' });
    const t = (await tokenRequest(url, c.client_id, c.client_secret)).body.access_token as string;
    const res = await api().get('/api/apis').set('Authorization', `Bearer ${t}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('describes every route it serves in its OpenAPI document', async () => {
    const doc = (await api().get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const undocumented = managementRouter(srv.services).stack.flatMap((layer) => {
      const path = String(layer.path).replace(/^\/api/, '').replace(/:(\w+)/g, '{$1}');
      if (path === '/openapi.json') return [];
      return layer.methods.filter((m) => m !== 'HEAD').map((m) => m.toLowerCase())
        .filter((m) => !doc.paths[path]?.[m]).map((m) => `${m.toUpperCase()} ${path}`);
    });
    expect(undocumented).toEqual([]);
  });

  it('serves its OpenAPI document without auth', async () => {
    const res = await api().get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/apis', '/apis/{id}', '/initial-access-tokens', '/keys/rotate']));
    // Registration governance: every client, its levers, and the policy of an initial access token.
    const paths = res.body.paths;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining([
      '/clients', '/clients/{id}', '/clients/{id}/disable', '/clients/{id}/enable', '/clients/{id}/registration-access-token',
    ]));
    expect(Object.keys(paths['/clients/{id}'])).toEqual(expect.arrayContaining(['get', 'delete']));
    expect(Object.keys(paths['/clients/{id}/registration-access-token'])).toEqual(expect.arrayContaining(['post', 'delete']));
    expect(paths['/clients'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['source', 'limit', 'after']);
    const iatBody = paths['/initial-access-tokens'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(iatBody.properties)).toEqual(expect.arrayContaining([
      'allowed_apis', 'allowed_scopes', 'token_formats', 'max_access_token_ttl', 'expires_in', 'max_uses', 'description',
    ]));
    expect(Object.keys(res.body.components.schemas.InitialAccessToken.properties)).toEqual(expect.arrayContaining([
      'allowed_apis', 'allowed_scopes', 'token_formats', 'max_access_token_ttl', 'max_uses', 'remaining_uses', 'expires_at',
    ]));
    expect(res.body.components.schemas.Client.properties.registration_policy).toEqual({ $ref: '#/components/schemas/RegistrationPolicy' });
    // Every reference resolves.
    const refs = [...JSON.stringify(res.body).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    for (const name of refs) expect(res.body.components.schemas[name], name).toBeDefined();
  });
});

describe('APIs and scopes', () => {
  it('creates, reads, lists, updates and deletes', async () => {
    const created = await api().post('/api/apis').set('Authorization', auth()).send({
      identifier: 'https://payments.example.com',
      name: 'Payments',
      scopes: [{ name: 'payments:read', description: 'Read payments' }],
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toContain(`/api/apis/${id}`);
    expect(created.body).toMatchObject({ name: 'Payments', signing_alg: 'RS256', system: false });

    expect((await api().get(`/api/apis/${id}`).set('Authorization', auth())).body.name).toBe('Payments');
    const list = await api().get('/api/apis').set('Authorization', auth());
    expect(list.body.apis.map((a: { identifier: string }) => a.identifier)).toContain('https://payments.example.com');

    const patched = await api().patch(`/api/apis/${id}`).set('Authorization', auth()).send({
      name: 'Payments v2',
      scopes: [{ name: 'payments:read', description: 'Read' }, { name: 'payments:refund' }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.scopes.map((s: { name: string }) => s.name)).toEqual(['payments:read', 'payments:refund']);

    // New scopes are usable at once: discovery and registration know them.
    const disco = await api().get('/.well-known/openid-configuration');
    expect(disco.body.scopes_supported).toContain('payments:refund');
    const c = await registerClient(url, { scope: 'payments:refund' });
    expect((await tokenRequest(url, c.client_id, c.client_secret)).body.scope).toBe('payments:refund');

    expect((await api().delete(`/api/apis/${id}`).set('Authorization', auth())).status).toBe(204);
    expect((await api().get(`/api/apis/${id}`).set('Authorization', auth())).status).toBe(404);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(400);
  });

  it('drops removed scopes from clients that listed them, so they keep working', async () => {
    const path = `/api/apis/${encodeURIComponent('https://inventory.example.com')}`;
    await api().post('/api/apis').set('Authorization', auth()).send({
      identifier: 'https://inventory.example.com', name: 'Inventory', scopes: [{ name: 'inv:read' }, { name: 'inv:write' }],
    });
    const c = await registerClient(url, { scope: 'inv:read inv:write' });
    const patched = await api().patch(path).set('Authorization', auth()).send({ scopes: [{ name: 'inv:read' }] });
    expect(patched.status).toBe(200);
    const tok = await tokenRequest(url, c.client_id, c.client_secret);
    expect(tok.status).toBe(200);
    expect(tok.body.scope).toBe('inv:read');
    const read = await api().get(new URL(c.registration_client_uri).pathname)
      .set('Authorization', `Bearer ${c.registration_access_token}`);
    expect(read.body.scope).toBe('inv:read');

    expect((await api().delete(path).set('Authorization', auth())).status).toBe(204);
    // The client still authenticates; it just has nothing left to ask for.
    const after = await tokenRequest(url, c.client_id, c.client_secret);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_target');
  });

  it('keeps scope names unique across APIs', async () => {
    await api().post('/api/apis').set('Authorization', auth())
      .send({ identifier: 'https://a.example.com', name: 'A', scopes: [{ name: 'shared' }] });
    const dup = await api().post('/api/apis').set('Authorization', auth())
      .send({ identifier: 'https://b.example.com', name: 'B', scopes: [{ name: 'b:only' }, { name: 'shared' }] });
    expect(dup.status).toBe(409);
    expect(dup.body.error_description).toMatch(/shared/);
    // Nothing of the failed create is left behind.
    expect((await api().get(`/api/apis/${encodeURIComponent('https://b.example.com')}`).set('Authorization', auth())).status).toBe(404);
    const ok = await api().post('/api/apis').set('Authorization', auth())
      .send({ identifier: 'https://b.example.com', name: 'B', scopes: [{ name: 'b:only' }] });
    expect(ok.status).toBe(201);
    const again = await api().post('/api/apis').set('Authorization', auth())
      .send({ identifier: 'https://b.example.com', name: 'B' });
    expect(again.status).toBe(409);
  });

  it.each([
    [{ name: 'x' }, /identifier/],
    [{ identifier: 'not a uri', name: 'x' }, /identifier/],
    [{ identifier: 'https://x.example.com#f', name: 'x' }, /identifier/],
    [{ identifier: 'https://x.example.com', name: '' }, /name/],
    [{ identifier: 'https://x.example.com', name: 'x', scopes: [{ name: 'has space' }] }, /scopes/],
    [{ identifier: 'https://x.example.com', name: 'x', signing_alg: 'HS256' }, /signing_alg/],
    [{ identifier: 'https://x.example.com', name: 'x', extra: 1 }, /extra/],
  ])('rejects %j naming the field', async (body, field) => {
    const res = await api().post('/api/apis').set('Authorization', auth()).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(field);
  });

  it('says in words what a field must be, never as a regular expression', async () => {
    const res = await api().post('/api/apis').set('Authorization', auth())
      .send({ identifier: 'https://x.example.com', name: 'x', scopes: [{ name: 'has space' }] });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe(
      'scopes.0.name must be a scope name: 1 to 128 printable ASCII characters, no spaces, quotes or backslashes');
    const uri = await api().post('/api/apis').set('Authorization', auth()).send({ identifier: 'not a uri', name: 'x' });
    expect(uri.body.error_description).toBe('identifier must be an absolute URI without a fragment, at most 500 characters');
  });

  it('rejects malformed JSON and wrong content types with 4xx JSON', async () => {
    const bad = await api().post('/api/apis').set('Authorization', auth()).set('Content-Type', 'application/json').send('{');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
    const form = await api().post('/api/apis').set('Authorization', auth()).type('form').send({ a: 1 });
    expect(form.status).toBe(415);
    const big = await api().post('/api/apis').set('Authorization', auth()).set('Content-Type', 'application/json')
      .send(JSON.stringify({ identifier: 'https://x.example.com', name: 'x'.repeat(100_000) }));
    expect(big.status).toBe(413);
  });

  it('protects the management API itself', async () => {
    const sys = encodeURIComponent(`${srv.config.issuer}/api`);
    expect((await api().delete(`/api/apis/${sys}`).set('Authorization', auth())).status).toBe(400);
    const drop = await api().patch(`/api/apis/${sys}`).set('Authorization', auth()).send({ scopes: [] });
    expect(drop.status).toBe(400);
  });

  it('links and unlinks resource-server clients', async () => {
    const rs = await registerClient(url, {});
    const path = `/api/apis/${encodeURIComponent('https://a.example.com')}/resource-servers`;
    expect((await api().post(path).set('Authorization', auth()).send({ client_id: 'missing' })).status).toBe(404);
    const linked = await api().post(path).set('Authorization', auth()).send({ client_id: rs.client_id });
    expect(linked.body.resource_server_clients).toEqual([rs.client_id]);
    const unlinked = await api().delete(`${path}/${rs.client_id}`).set('Authorization', auth());
    expect(unlinked.body.resource_server_clients).toEqual([]);
  });

  it('answers unknown routes and methods with JSON 4xx', async () => {
    const res = await api().get('/api/nothing').set('Authorization', auth());
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
    const nothing = await api().get('/authorize');
    expect(nothing.status).toBe(404);
  });
});
