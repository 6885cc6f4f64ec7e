import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, registerClient, tokenRequest } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// Refusals that docs/security.md lists and no other test proved (issue 9, threat model).

let srv: TestServer;
let admin: string;
const ORDERS = 'https://orders.example.com';

beforeAll(async () => {
  srv = await startTestServer({ TRUST_PROXY: 'true' });
  admin = await adminToken(srv.url, srv.config.issuer);
  await createApi(srv.url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }] });
});
afterAll(() => srv?.destroy());

describe('oidc-provider\'s interactive endpoints are not reachable (RFC 9700 §2.1, §4.11, §4.12)', () => {
  // Its default routes besides the ones PROVIDER_ROUTES in src/app.ts lets through.
  it.each([
    ['GET', '/auth?client_id=admin&response_type=code&redirect_uri=https://evil.example/cb'],
    ['POST', '/auth'],
    ['GET', '/auth/some-uid'],
    ['GET', '/session/end'],
    ['POST', '/session/end/confirm'],
    ['GET', '/me'],
    ['POST', '/request'],
    ['POST', '/device/auth'],
    ['GET', '/device'],
    ['POST', '/backchannel'],
    ['POST', '/challenge'],
    ['POST', '/credential'],
    ['GET', '/interaction/some-uid'],
  ])('%s %s answers a JSON 404, never a page or a redirect', async (method, path) => {
    const res = await request(srv.url)[method === 'GET' ? 'get' : 'post'](path).type('form').send('client_id=admin');
    expect(res.status).toBe(404);
    expect(res.headers['location']).toBeUndefined();
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.error).toBe('not_found');
  });

  it('offers only the methods each provider route needs', async () => {
    const reg = await request(srv.url).get('/reg');
    expect(reg.status).toBe(405);
    expect(reg.headers['allow']).toBe('POST');
    const jwks = await request(srv.url).delete('/jwks');
    expect(jwks.status).toBe(405);
  });
});

describe('what a client cannot obtain or choose (RFC 9700 §2.2.2, §2.4, §4.15)', () => {
  it('gets no refresh token, and the refresh and password grants are unsupported', async () => {
    const c = await registerClient(srv.url, { scope: 'orders:read' });
    const ok = await tokenRequest(srv.url, c.client_id, c.client_secret);
    expect(ok.status).toBe(200);
    expect(ok.body.refresh_token).toBeUndefined();
    const grants: Record<string, string>[] = [{ grant_type: 'refresh_token', refresh_token: 'x' }, { grant_type: 'password', username: 'admin', password: 'x' }];
    for (const grant of grants) {
      const res = await tokenRequest(srv.url, c.client_id, c.client_secret, grant);
      expect(res.status, grant.grant_type).toBe(400);
      expect(res.body.error).toBe('unsupported_grant_type');
    }
  });

  it('cannot pick its own client_id at registration (the id its tokens carry as sub and client_id)', async () => {
    for (const wanted of ['admin', 'some-user-id']) {
      const c = await registerClient(srv.url, { scope: 'orders:read', client_id: wanted });
      expect(c.client_id).not.toBe(wanted);
      const introspected = await request(srv.url).post('/token/introspection').auth(c.client_id, c.client_secret).type('form')
        .send({ token: (await tokenRequest(srv.url, c.client_id, c.client_secret)).body.access_token });
      expect(introspected.body).toMatchObject({ active: true, sub: c.client_id, client_id: c.client_id });
    }
  });
});

describe('clickjacking and transport headers (RFC 9700 §4.16)', () => {
  it('forbids framing of the portal sign-in page and of every other answer', async () => {
    const page = await request(srv.url).get('/portal/sign-in');
    expect(page.status).toBe(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    for (const path of ['/.well-known/oauth-authorization-server', '/jwks', '/api/openapi.json', '/healthz']) {
      expect((await request(srv.url).get(path)).headers['x-frame-options'], path).toBe('DENY');
    }
  });

  it('sends Strict-Transport-Security on requests its trusted proxy says came over https', async () => {
    const viaTls = await request(srv.url).get('/healthz').set('X-Forwarded-Proto', 'https');
    expect(viaTls.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('keeps introspection, revocation and revocation feed answers out of caches', async () => {
    const c = await registerClient(srv.url, { scope: 'orders:read' });
    const form = { client_id: c.client_id, client_secret: c.client_secret, token: 'x' };
    for (const path of ['/token/introspection', '/token/revocation']) {
      const res = await request(srv.url).post(path).type('form').send(form);
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
    const feed = await request(srv.url).get('/token/revocations').auth(c.client_id, c.client_secret);
    expect(feed.headers['cache-control']).toBe('no-store');
  });
});

describe('client assertions at our own endpoints (RFC 7523 §3, RFC 9700 §2.5)', () => {
  it('refuses an assertion made for another audience, or without jti, at revocation', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await registerClient(srv.url, {
      scope: 'orders:read', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] },
      token_endpoint_auth_signing_alg: 'ES256',
    });
    const assertion = (aud: string, jti: string | undefined) => {
      const jwt = new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(c.client_id).setSubject(c.client_id).setAudience(aud).setIssuedAt().setExpirationTime('1m');
      return (jti ? jwt.setJti(jti) : jwt).sign(privateKey);
    };
    const revokeWith = async (aud: string, jti: string | undefined) => request(srv.url).post('/token/revocation')
      .type('form').send({
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(aud, jti),
        token: 'x',
      });

    // Control: the same assertion for our revocation endpoint is accepted.
    expect((await revokeWith(`${srv.config.issuer}/token/revocation`, crypto.randomUUID())).status).toBe(200);
    for (const [aud, jti] of [['https://other-server.example/token', crypto.randomUUID()], [`${srv.config.issuer}/token/revocation`, undefined]] as const) {
      const res = await revokeWith(aud, jti);
      expect(res.status, `${aud} ${String(jti)}`).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    }
  });
});

describe('the management API\'s own guard rails', () => {
  const api = (method: 'post', path: string) =>
    request(srv.url)[method](`/api${path}`).set('Authorization', `Bearer ${admin}`);

  it('never lets an initial access token register for the management API or its admin scope', async () => {
    for (const body of [{ allowed_apis: [`${srv.config.issuer}/api`] }, { allowed_scopes: ['admin'] }]) {
      const res = await api('post', '/initial-access-tokens').send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error_description).toMatch(/cannot be registered for/);
    }
  });

  it('refuses an import that would replace the admin client or the management API, writing nothing', async () => {
    const adminBefore = await srv.store.collections.clients.findOne({ _id: 'admin' });
    const hijack = await api('post', '/import').send({
      format: 'keyforge-export',
      version: 1,
      clients: [{ client_id: 'admin', metadata: { client_secret: 'attacker-chosen-secret-0123456789', scope: 'admin' } }],
    });
    expect(hijack.status).toBe(400);
    expect(hijack.body.error_description).toMatch(/admin client/);
    expect(await srv.store.collections.clients.findOne({ _id: 'admin' })).toEqual(adminBefore);
    expect((await tokenRequest(srv.url, 'admin', 'attacker-chosen-secret-0123456789', { resource: `${srv.config.issuer}/api`, scope: 'admin' })).status).toBe(401);

    const system = await api('post', '/import').send({
      format: 'keyforge-export',
      version: 1,
      apis: [{ identifier: `${srv.config.issuer}/api`, name: 'Mine now', scopes: [{ name: 'admin' }] }],
    });
    expect(system.status).toBe(400);
    expect(system.body.error_description).toMatch(/management API/);
  });
});
