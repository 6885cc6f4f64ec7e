import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  adminToken, basic, createApi, introspect, registerClient, tokenRequest, type RegisteredClient,
} from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;
let url: string;
let issuer: string;
let client: RegisteredClient;
const ORDERS = 'https://orders.example.com';
const STOCK = 'https://stock.example.com';

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  issuer = srv.config.issuer;
  const admin = await adminToken(url, issuer);
  await createApi(url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }, { name: 'orders:write' }] });
  await createApi(url, admin, { identifier: STOCK, name: 'Stock', scopes: [{ name: 'stock:read' }] });
  client = await registerClient(url, { scope: 'orders:read stock:read' });
});
afterAll(() => srv?.destroy());

const token = (params: Record<string, string>, c = client) => tokenRequest(url, c.client_id, c.client_secret, params);

describe('API resolution from scopes (RFC 8707)', () => {
  it('finds the API from the scopes when resource is omitted', async () => {
    const res = await token({ scope: 'stock:read' });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('stock:read');
    const info = await introspect(url, client.client_id, client.client_secret, res.body.access_token);
    expect(info.body.aud).toBe(STOCK);
  });

  it('accepts an explicit resource and narrows to allowed scopes of it', async () => {
    const res = await token({ resource: ORDERS });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('orders:read');
  });

  it('refuses scopes of more than one API with invalid_scope', async () => {
    const res = await token({ scope: 'orders:read stock:read' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });

  it('refuses unknown scopes and scopes the client may not have', async () => {
    expect((await token({ scope: 'nope' })).body.error).toBe('invalid_scope');
    const notAllowed = await token({ scope: 'orders:write' });
    expect(notAllowed.status).toBe(400);
    expect(notAllowed.body.error).toBe('invalid_scope');
  });

  it('refuses a scope that is not of the named resource', async () => {
    const res = await token({ scope: 'stock:read', resource: ORDERS });
    expect(res.body.error).toBe('invalid_scope');
  });

  it('needs a resource when no scope is asked and the client spans APIs', async () => {
    const res = await token({});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });

  it('refuses unknown and malformed resources with invalid_target', async () => {
    expect((await token({ resource: 'https://unknown.example.com' })).body.error).toBe('invalid_target');
    expect((await token({ resource: 'not a uri' })).body.error).toBe('invalid_target');
    expect((await token({ resource: `${ORDERS}#frag` })).body.error).toBe('invalid_target');
  });

  it('refuses a client with no allowed scope of any API', async () => {
    const bare = await registerClient(url, {});
    const res = await token({}, bare);
    expect(res.body.error).toBe('invalid_target');
    expect((await token({ resource: ORDERS }, bare)).body.error).toBe('invalid_scope');
  });
});

describe('client authentication', () => {
  it('client_secret_post', async () => {
    const c = await registerClient(url, { scope: 'orders:read', token_endpoint_auth_method: 'client_secret_post' });
    const res = await request(url).post('/token').type('form')
      .send({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });
    expect(res.status).toBe(200);
    const info = await request(url).post('/token/introspection').type('form')
      .send({ client_id: c.client_id, client_secret: c.client_secret, token: res.body.access_token });
    expect(info.body.active).toBe(true);
    // Both in the body and in the header at once is ambiguous.
    const both = await request(url).post('/token').type('form').set('Authorization', basic(c.client_id, c.client_secret))
      .send({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('invalid_request');
  });

  it('private_key_jwt, with replay protection', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await registerClient(url, {
      scope: 'orders:read', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] },
      token_endpoint_auth_signing_alg: 'ES256',
    });
    const assertion = (aud: string) => new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(c.client_id).setSubject(c.client_id).setAudience(aud)
      .setIssuedAt().setExpirationTime('1m').setJti(crypto.randomUUID())
      .sign(privateKey);
    const form = async (aud: string) => ({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(aud),
    });
    const body = await form(`${issuer}/token`);
    const res = await request(url).post('/token').type('form').send(body);
    expect(res.status).toBe(200);
    const replay = await request(url).post('/token').type('form').send(body);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');

    // Our introspection endpoint accepts the same method.
    const { grant_type: _g, ...auth } = await form(`${issuer}/token/introspection`);
    const info = await request(url).post('/token/introspection').type('form')
      .send({ ...auth, token: res.body.access_token });
    expect(info.status).toBe(200);
    expect(info.body.active).toBe(true);
    const infoReplay = await request(url).post('/token/introspection').type('form')
      .send({ ...auth, token: res.body.access_token });
    expect(infoReplay.status).toBe(401);
  });

  it('wrong secret: 401 invalid_client with WWW-Authenticate for Basic', async () => {
    const res = await tokenRequest(url, client.client_id, 'wrong-secret');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.headers['www-authenticate']).toMatch(/^Basic/);
    const unknown = await tokenRequest(url, 'no-such-client', 'x');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
  });
});

describe('malformed requests get RFC 6749 §5.2 errors, never a 500', () => {
  it('unsupported grant type', async () => {
    const res = await tokenRequest(url, client.client_id, client.client_secret, { grant_type: 'password' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_grant_type');
  });

  it('missing grant type', async () => {
    const res = await request(url).post('/token').set('Authorization', basic(client.client_id, client.client_secret))
      .type('form').send({ scope: 'orders:read' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('duplicate parameters', async () => {
    const res = await request(url).post('/token').set('Authorization', basic(client.client_id, client.client_secret))
      .type('form').send('grant_type=client_credentials&scope=orders:read&scope=stock:read');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('wrong content type', async () => {
    const res = await request(url).post('/token').set('Authorization', basic(client.client_id, client.client_secret))
      .send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('oversized body', async () => {
    const res = await request(url).post('/token').set('Authorization', basic(client.client_id, client.client_secret))
      .type('form').send(`grant_type=client_credentials&scope=${'a'.repeat(200_000)}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('malformed Basic header and GET', async () => {
    const res = await request(url).post('/token').set('Authorization', 'Basic !!!').type('form')
      .send({ grant_type: 'client_credentials' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toMatch(/invalid_(client|request)/);
    const get = await request(url).get('/token');
    expect(get.status).toBeGreaterThanOrEqual(400);
    expect(get.status).toBeLessThan(500);
  });

  it('opaque token values are stored only as hashes', async () => {
    const res = await token({ scope: 'orders:read' });
    const raw = res.body.access_token as string;
    const all = await srv.store.collections.tokens.find({}).toArray();
    expect(JSON.stringify(all)).not.toContain(raw);
  });
});
