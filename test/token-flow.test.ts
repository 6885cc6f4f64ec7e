import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  adminToken, createApi, introspect, registerClient, revoke, tokenRequest,
  type RegisteredClient, type TokenResponse,
} from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;
let url: string;
let issuer: string;
const API = 'https://orders.example.com';

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  issuer = srv.config.issuer;
  const admin = await adminToken(url, issuer);
  await createApi(url, admin, {
    identifier: API,
    name: 'Orders',
    scopes: [{ name: 'orders:read', description: 'Read orders' }, { name: 'orders:write' }],
  });
});
afterAll(() => srv?.destroy());

describe.each(['opaque', 'jwt'] as const)('%s tokens', (strategy) => {
  let client: RegisteredClient;

  beforeAll(async () => {
    client = await registerClient(url, {
      client_name: `${strategy} app`,
      grant_types: ['client_credentials'],
      scope: 'orders:read orders:write',
      access_token_strategy: strategy,
      access_token_ttl: 600,
    });
  });

  it('issues, introspects, revokes and re-introspects', async () => {
    const res = await tokenRequest(url, client.client_id, client.client_secret, { scope: 'orders:read' });
    expect(res.status).toBe(200);
    const body = res.body as TokenResponse;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'orders:read' });
    expect(res.headers['cache-control']).toContain('no-store');

    if (strategy === 'jwt') {
      expect(decodeProtectedHeader(body.access_token).typ).toBe('at+jwt');
      const jwks = createRemoteJWKSet(new URL(`${url}/jwks`));
      const { payload } = await jwtVerify(body.access_token, jwks, { issuer, audience: API, typ: 'at+jwt' });
      expect(payload).toMatchObject({ sub: client.client_id, client_id: client.client_id, scope: 'orders:read' });
      expect(payload.exp! - payload.iat!).toBe(600);
      expect(typeof payload.jti).toBe('string');
    } else {
      expect(body.access_token.split('.')).toHaveLength(1);
    }

    const active = await introspect(url, client.client_id, client.client_secret, body.access_token);
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({
      active: true, scope: 'orders:read', client_id: client.client_id, token_type: 'Bearer',
      sub: client.client_id, aud: API, iss: issuer,
    });
    expect(active.body.exp - active.body.iat).toBe(600);
    expect(typeof active.body.jti).toBe('string');
    expect(active.body.jti).not.toBe(body.access_token);

    const rv = await revoke(url, client.client_id, client.client_secret, body.access_token);
    expect(rv.status).toBe(200);

    const after = await introspect(url, client.client_id, client.client_secret, body.access_token);
    expect(after.body).toEqual({ active: false });
  });

  it('gives all allowed scopes of the API when none are asked for', async () => {
    const res = await tokenRequest(url, client.client_id, client.client_secret);
    expect(res.status).toBe(200);
    expect((res.body as TokenResponse).scope!.split(' ').sort()).toEqual(['orders:read', 'orders:write']);
  });
});

describe('discovery', () => {
  it.each(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'])('%s', async (path) => {
    const res = await request(url).get(path);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/token`,
      introspection_endpoint: `${issuer}/token/introspection`,
      revocation_endpoint: `${issuer}/token/revocation`,
      registration_endpoint: `${issuer}/reg`,
      jwks_uri: `${issuer}/jwks`,
      grant_types_supported: ['client_credentials'],
    });
    expect(res.body.scopes_supported).toEqual(expect.arrayContaining(['orders:read', 'orders:write', 'admin']));
    expect(res.body.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
    );
    expect(res.body.authorization_endpoint).toBeUndefined();
  });
});
