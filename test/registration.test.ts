import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, registerClient, tokenRequest } from './support/oauth.js';
import { DCR_TOKEN, startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;
let url: string;
let admin: string;

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, { identifier: 'https://billing.example.com', name: 'Billing', scopes: [{ name: 'billing:read' }] });
});
afterAll(() => srv?.destroy());

const register = (body: unknown, token = DCR_TOKEN) =>
  request(url).post('/reg').set('Authorization', `Bearer ${token}`).send(body as object);

describe('dynamic client registration (RFC 7591)', () => {
  it('registers a client with defaults and returns its credentials once', async () => {
    const res = await register({ client_name: 'svc', scope: 'billing:read' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      client_name: 'svc',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      access_token_strategy: 'opaque',
      access_token_ttl: 3600,
      scope: 'billing:read',
    });
    expect(res.body.client_secret).toEqual(expect.any(String));
    expect(res.body.registration_access_token).toEqual(expect.any(String));
    expect(res.body.registration_client_uri).toBe(`${srv.config.issuer}/reg/${res.body.client_id}`);

    // The secret is stored only as a keyed hash.
    const stored = await srv.store.collections.clients.findOne({ _id: res.body.client_id });
    expect(stored?.metadata['client_secret']).toMatch(/^hmac-sha256:/);
    expect(JSON.stringify(stored)).not.toContain(res.body.client_secret);
  });

  it('requires an initial access token', async () => {
    const none = await request(url).post('/reg').send({ scope: 'billing:read' });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_token');
    const wrong = await register({ scope: 'billing:read' }, 'not-the-token-0123456789');
    expect(wrong.status).toBe(401);
  });

  it('accepts initial access tokens created by the admin, until revoked', async () => {
    const created = await request(url).post('/api/initial-access-tokens')
      .set('Authorization', `Bearer ${admin}`).send({ expires_in: 600, description: 'ci', allowed_apis: ['https://billing.example.com'], max_uses: 2 });
    expect(created.status).toBe(201);
    const { id, initial_access_token: iat } = created.body as { id: string; initial_access_token: string };
    expect((await register({ scope: 'billing:read' }, iat)).status).toBe(201);

    const listed = await request(url).get('/api/initial-access-tokens').set('Authorization', `Bearer ${admin}`);
    expect(listed.body.initial_access_tokens.map((t: { id: string }) => t.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(iat);

    const del = await request(url).delete(`/api/initial-access-tokens/${id}`).set('Authorization', `Bearer ${admin}`);
    expect(del.status).toBe(204);
    expect((await register({ scope: 'billing:read' }, iat)).status).toBe(401);
  });

  it.each([
    [{ scope: 'nope:unknown' }, /scope/],
    [{ scope: 'admin' }, /scope/],
    [{ grant_types: ['authorization_code'] }, /grant_types/],
    [{ grant_types: ['client_credentials', 'password'] }, /grant_types/],
    [{ access_token_strategy: 'paseto' }, /access_token_strategy/],
    [{ access_token_ttl: 'soon' }, /access_token_ttl/],
    [{ access_token_ttl: 1.5 }, /access_token_ttl/],
    [{ access_token_ttl: 0 }, /access_token_ttl/],
    [{ token_endpoint_auth_method: 'none' }, /token_endpoint_auth_method/],
    [{ token_endpoint_auth_method: 'private_key_jwt' }, /jwks/],
  ])('rejects %j with invalid_client_metadata naming the field', async (body, field) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_client_metadata');
    expect(res.body.error_description).toMatch(field);
  });

  it('rejects redirect URIs with invalid_redirect_uri (RFC 7591 §3.2.2)', async () => {
    const res = await register({ redirect_uris: ['https://x.example/cb'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_redirect_uri');
  });

  it('rejects bodies that are not JSON objects', async () => {
    const res = await request(url).post('/reg').set('Authorization', `Bearer ${DCR_TOKEN}`)
      .set('Content-Type', 'application/json').send('[1,2]');
    expect(res.status).toBe(400);
    const text = await request(url).post('/reg').set('Authorization', `Bearer ${DCR_TOKEN}`)
      .set('Content-Type', 'application/json').send('{"a":');
    expect(text.status).toBe(400);
  });

  it('ignores internal metadata a client tries to set for itself', async () => {
    const res = await register({ scope: 'billing:read', key_type: 'PRODUCTION', application_id: 'x' });
    expect(res.status).toBe(201);
    expect(res.body.key_type).toBeUndefined();
    expect(res.body.application_id).toBeUndefined();
  });
});

describe('client registration management (RFC 7592)', () => {
  it('reads, updates and deletes with the registration access token', async () => {
    const c = await registerClient(url, { client_name: 'managed', scope: 'billing:read' });
    let auth = `Bearer ${c.registration_access_token}`;
    const path = new URL(c.registration_client_uri).pathname;

    const read = await request(url).get(path).set('Authorization', auth);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ client_id: c.client_id, client_name: 'managed' });
    expect(read.body.client_secret).toBeUndefined();

    const updated = await request(url).put(path).set('Authorization', auth).send({
      client_id: c.client_id,
      client_secret: c.client_secret,
      client_name: 'renamed',
      scope: 'billing:read',
      access_token_strategy: 'jwt',
      access_token_ttl: 120,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ client_name: 'renamed', access_token_strategy: 'jwt', access_token_ttl: 120 });
    expect(updated.body.client_secret).toBeUndefined();
    // Each update rotates the registration access token.
    expect(updated.body.registration_access_token).not.toBe(c.registration_access_token);
    auth = `Bearer ${updated.body.registration_access_token}`;

    // The secret survived the update and the new settings apply to new tokens.
    const tok = await tokenRequest(url, c.client_id, c.client_secret);
    expect(tok.status).toBe(200);
    expect(tok.body.access_token.split('.')).toHaveLength(3);
    expect(tok.body.expires_in).toBe(120);

    const badUpdate = await request(url).put(path).set('Authorization', auth)
      .send({ client_id: c.client_id, access_token_ttl: -5.5 });
    expect(badUpdate.status).toBe(400);
    expect(badUpdate.body.error).toBe('invalid_client_metadata');

    const wrongSecret = await request(url).put(path).set('Authorization', auth)
      .send({ client_id: c.client_id, client_secret: 'wrong', scope: 'billing:read' });
    expect(wrongSecret.status).toBe(400);

    expect((await request(url).get(path)).status).toBe(401);
    expect((await request(url).get(path).set('Authorization', 'Bearer wrong')).status).toBe(401);

    const del = await request(url).delete(path).set('Authorization', auth);
    expect(del.status).toBe(204);
    expect((await tokenRequest(url, c.client_id, c.client_secret)).status).toBe(401);
    expect((await request(url).get(path).set('Authorization', auth)).status).toBe(401);
  });
});
