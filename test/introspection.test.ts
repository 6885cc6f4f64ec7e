import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  adminToken, basic, createApi, introspect, registerClient, revoke, tokenRequest,
} from './support/oauth.js';
import { ADMIN_SECRET, DCR_TOKEN, startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;
let url: string;
let admin: string;
const API = 'https://ledger.example.com';

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, { identifier: API, name: 'Ledger', scopes: [{ name: 'ledger:read' }] });
});
afterAll(() => srv?.destroy());

describe('who may introspect', () => {
  it('the owner, a linked resource server and the admin see it; a client linked to no API gets 403', async () => {
    const owner = await registerClient(url, { scope: 'ledger:read', access_token_strategy: 'jwt' });
    const rs = await registerClient(url, {});
    const stranger = await registerClient(url, {});
    const { access_token: tok } = (await tokenRequest(url, owner.client_id, owner.client_secret)).body;

    expect((await introspect(url, owner.client_id, owner.client_secret, tok)).body.active).toBe(true);
    expect((await introspect(url, 'admin', ADMIN_SECRET, tok)).body.active).toBe(true);
    // Not a resource server of any API: an error, not active:false (test/introspection-permission.test.ts).
    expect((await introspect(url, stranger.client_id, stranger.client_secret, tok)).status).toBe(403);
    expect((await introspect(url, rs.client_id, rs.client_secret, tok)).status).toBe(403);

    const link = await request(url).post(`/api/apis/${encodeURIComponent(API)}/resource-servers`)
      .set('Authorization', `Bearer ${admin}`).send({ client_id: rs.client_id });
    expect(link.status).toBe(200);
    expect(link.body.resource_server_clients).toEqual([rs.client_id]);
    const seen = await introspect(url, rs.client_id, rs.client_secret, tok);
    expect(seen.body).toMatchObject({ active: true, client_id: owner.client_id, aud: API, scope: 'ledger:read' });
    expect(Object.keys(seen.body).sort()).toEqual(
      ['active', 'aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub', 'token_type'].sort(),
    );
    expect(seen.body.jti).toBe(decodeJwt(tok).jti);

    // A stranger cannot revoke someone else's token.
    await revoke(url, stranger.client_id, stranger.client_secret, tok);
    expect((await introspect(url, owner.client_id, owner.client_secret, tok)).body.active).toBe(true);
    // The admin can.
    await revoke(url, 'admin', ADMIN_SECRET, tok);
    expect((await introspect(url, owner.client_id, owner.client_secret, tok)).body.active).toBe(false);
  });

  it('requires client authentication and a token parameter', async () => {
    const c = await registerClient(url, { scope: 'ledger:read' });
    const none = await request(url).post('/token/introspection').type('form').send({ token: 'x' });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_client');
    const bad = await request(url).post('/token/introspection').set('Authorization', basic(c.client_id, 'nope'))
      .type('form').send({ token: 'x' });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Basic/);
    const missing = await request(url).post('/token/introspection').set('Authorization', basic(c.client_id, c.client_secret))
      .type('form').send({});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    const dup = await request(url).post('/token/introspection').set('Authorization', basic(c.client_id, c.client_secret))
      .type('form').send('token=a&token=b');
    expect(dup.status).toBe(400);
    const json = await request(url).post('/token/introspection').set('Authorization', basic(c.client_id, c.client_secret))
      .send({ token: 'a' });
    expect(json.status).toBe(400);
    const big = await request(url).post('/token/introspection').set('Authorization', basic(c.client_id, c.client_secret))
      .type('form').send(`token=${'a'.repeat(100_000)}`);
    expect(big.status).toBe(413);
    expect(big.body.error).toBe('invalid_request');
    const unknown = await introspect(url, 'admin', ADMIN_SECRET, 'garbage.not.jwt');
    expect(unknown.body).toEqual({ active: false });
  });

  it('revocation of unknown tokens is a quiet 200 (RFC 7009 §2.2)', async () => {
    const c = await registerClient(url, { scope: 'ledger:read' });
    const res = await revoke(url, c.client_id, c.client_secret, 'unknown-token');
    expect(res.status).toBe(200);
  });
});

describe('never-expiring tokens', () => {
  it('opaque: no expires_in, no exp, still active', async () => {
    const c = await registerClient(url, { scope: 'ledger:read', access_token_ttl: -1 });
    const res = await tokenRequest(url, c.client_id, c.client_secret);
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBeUndefined();
    const info = await introspect(url, c.client_id, c.client_secret, res.body.access_token);
    expect(info.body.active).toBe(true);
    expect(info.body.exp).toBeUndefined();
    const stored = await srv.store.collections.tokens.findOne({ client_id: c.client_id });
    expect(stored?.expiresAt).toBeNull();
  });

  it('JWT: carries a far-future exp', async () => {
    const c = await registerClient(url, { scope: 'ledger:read', access_token_ttl: -1, access_token_strategy: 'jwt' });
    const res = await tokenRequest(url, c.client_id, c.client_secret);
    const { exp, iat } = decodeJwt(res.body.access_token);
    expect(exp! - iat!).toBeGreaterThan(50 * 365 * 24 * 3600);
    expect(res.body.expires_in).toBe(exp! - iat!);
  });
});

describe('MAX_ACCESS_TOKEN_TTL', () => {
  let capped: TestServer;
  beforeAll(async () => {
    capped = await startTestServer({ MAX_ACCESS_TOKEN_TTL: '900' });
    const a = await adminToken(capped.url, capped.config.issuer);
    await createApi(capped.url, a, { identifier: API, name: 'Ledger', scopes: [{ name: 'ledger:read' }] });
  });
  afterAll(() => capped?.destroy());

  it('forbids never-expiring and over-long TTLs at registration', async () => {
    for (const ttl of [-1, 901]) {
      const res = await request(capped.url).post('/reg').set('Authorization', `Bearer ${DCR_TOKEN}`)
        .send({ scope: 'ledger:read', access_token_ttl: ttl });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_client_metadata');
      expect(res.body.error_description).toMatch(/access_token_ttl/);
    }
  });

  it('caps the default TTL of 3600 to the maximum', async () => {
    const c = await registerClient(capped.url, { scope: 'ledger:read' });
    const res = await tokenRequest(capped.url, c.client_id, c.client_secret);
    expect(res.body.expires_in).toBe(900);
  });
});
