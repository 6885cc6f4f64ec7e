import { createHmac, createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createOrdersApi } from '../examples/orders-api.js';
import { createResourceServer, type ResourceServerOptions } from '@keyforge/resource-server';
import {
  adminToken, basic, createApi, registerClient, revoke, tokenRequest,
  type RegisteredClient, type TokenResponse,
} from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

const ORDERS = 'https://orders.example.com';
const BILLING = 'https://billing.example.com';
const REVOCATION_CHECK_SECONDS = 1;

let srv: TestServer;
let url: string;
let issuer: string;
let admin: string;
let rsClient: RegisteredClient;
let auth: ResourceServerOptions;
let api: Server;
let apiUrl: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(app: { callback(): RequestListener }): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer(app.callback());
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

function close(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  challenge: string | null;
}

async function call(base: string, path: string, authorization?: string, method = 'GET'): Promise<Answer> {
  const res = await fetch(base + path, { method, headers: authorization ? { authorization } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, challenge: res.headers.get('www-authenticate') };
}

const bearer = (token: string) => `Bearer ${token}`;

async function token(client: RegisteredClient, scope: string, base = url): Promise<string> {
  const res = await tokenRequest(base, client.client_id, client.client_secret, { scope });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as TokenResponse).access_token;
}

async function app(metadata: Record<string, unknown>, base = url): Promise<RegisteredClient> {
  return registerClient(base, { grant_types: ['client_credentials'], ...metadata });
}

async function linkResourceServer(base: string, adminTok: string, apiId: string, clientId: string): Promise<void> {
  const res = await request(base)
    .post(`/api/apis/${encodeURIComponent(apiId)}/resource-servers`)
    .set('Authorization', bearer(adminTok))
    .send({ client_id: clientId });
  if (res.status !== 200) throw new Error(`link: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Polls until `check` holds or `limitMs` passes; returns the last answer either way. */
async function eventually(limitMs: number, probe: () => Promise<Answer>, check: (a: Answer) => boolean): Promise<Answer> {
  const end = Date.now() + limitMs;
  let last = await probe();
  while (!check(last) && Date.now() < end) {
    await sleep(100);
    last = await probe();
  }
  return last;
}

const challengeOf = (error: string, extra = '') =>
  new RegExp(`^Bearer realm="${ORDERS}", error="${error}", error_description="[^"]+"${extra}$`);

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  issuer = srv.config.issuer;
  admin = await adminToken(url, issuer);
  await createApi(url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }, { name: 'orders:write' }] });
  await createApi(url, admin, { identifier: BILLING, name: 'Billing', scopes: [{ name: 'billing:read' }] });
  rsClient = await app({ client_name: 'orders-api' });
  await linkResourceServer(url, admin, ORDERS, rsClient.client_id);
  auth = {
    issuer,
    audience: ORDERS,
    clientId: rsClient.client_id,
    clientSecret: rsClient.client_secret,
    revocationCheckSeconds: REVOCATION_CHECK_SECONDS,
    jwksCooldownSeconds: 1,
  };
  ({ server: api, url: apiUrl } = await listen(createOrdersApi(auth)));
});
afterAll(async () => {
  await close(api);
  await srv?.destroy();
});

describe.each(['jwt', 'opaque'] as const)('%s tokens through the example API', (strategy) => {
  let client: RegisteredClient;
  let reader: RegisteredClient;

  beforeAll(async () => {
    client = await app({ client_name: `${strategy} app`, scope: 'orders:read orders:write billing:read', access_token_strategy: strategy, access_token_ttl: 600 });
    reader = await app({ client_name: `${strategy} reader`, scope: 'orders:read', access_token_strategy: strategy, access_token_ttl: 600 });
  });

  it('passes a valid token and puts its claims on ctx.state.token', async () => {
    const t = await token(client, 'orders:read orders:write');
    const read = await call(apiUrl, '/orders', bearer(t));
    expect(read.status).toBe(200);
    expect(read.body['caller']).toEqual({ clientId: client.client_id, scopes: ['orders:read', 'orders:write'], format: strategy });
    const write = await call(apiUrl, '/orders', bearer(t), 'POST');
    expect(write.status).toBe(201);
    expect(write.body['by']).toBe(client.client_id);
  });

  it('refuses a token for another API with 401 invalid_token', async () => {
    const t = await token(client, 'billing:read');
    const res = await call(apiUrl, '/orders', bearer(t));
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('invalid_token');
    expect(res.challenge).toMatch(challengeOf('invalid_token'));
  });

  it('refuses a token without the route scope with 403 insufficient_scope naming it', async () => {
    const t = await token(reader, 'orders:read');
    expect((await call(apiUrl, '/orders', bearer(t))).status).toBe(200);
    const res = await call(apiUrl, '/orders', bearer(t), 'POST');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'insufficient_scope', scope: 'orders:write' });
    expect(res.challenge).toMatch(challengeOf('insufficient_scope', ', scope="orders:write"'));
  });

  it('refuses an expired token', async () => {
    const short = await app({ client_name: `${strategy} short`, scope: 'orders:read', access_token_strategy: strategy, access_token_ttl: 1 });
    const t = await token(short, 'orders:read');
    // Used while live (an opaque answer gets cached), then again once exp has passed.
    await call(apiUrl, '/orders', bearer(t));
    await sleep(2100);
    const res = await call(apiUrl, '/orders', bearer(t));
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('invalid_token');
  });

  it(`refuses a revoked token within revocationCheckSeconds (${REVOCATION_CHECK_SECONDS} s)`, async () => {
    const t = await token(client, 'orders:read');
    expect((await call(apiUrl, '/orders', bearer(t))).status).toBe(200);
    expect((await revoke(url, client.client_id, client.client_secret, t)).status).toBe(200);
    // Generous limit: the kit's bound is 1 s, the wait only guards against a slow machine.
    const res = await eventually(10_000, () => call(apiUrl, '/orders', bearer(t)), (a) => a.status !== 200);
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('invalid_token');
    expect(res.challenge).toMatch(challengeOf('invalid_token'));
  });
});

describe('requests the kit refuses before asking anyone', () => {
  it('lets the public route through without a token', async () => {
    expect((await call(apiUrl, '/health')).status).toBe(200);
  });

  it('answers 401 with a bare challenge when there is no bearer token (RFC 6750 §3.1)', async () => {
    for (const header of [undefined, 'Basic YTpi']) {
      const res = await call(apiUrl, '/orders', header);
      expect(res.status).toBe(401);
      expect(res.challenge).toBe(`Bearer realm="${ORDERS}"`);
      expect(res.body['error']).toBeUndefined();
    }
  });

  it('answers 400 invalid_request for a malformed Authorization header', async () => {
    for (const header of ['Bearer', 'Bearer a b', 'Bearer tok"en', 'Bearer a,b']) {
      const res = await call(apiUrl, '/orders', header);
      expect(res.status, header.slice(0, 20)).toBe(400);
      expect(res.body['error']).toBe('invalid_request');
      expect(res.challenge).toMatch(challengeOf('invalid_request'));
    }
  });
});

describe('the kit\'s own audience check', () => {
  it('refuses an opaque token for another API even when introspection calls it active', async () => {
    // The admin client may introspect every token, so the server answers active: true here.
    const rs = createResourceServer({ ...auth, clientId: 'admin', clientSecret: ADMIN_SECRET });
    const client = await app({ client_name: 'audience check', scope: 'orders:read billing:read' });
    const billing = await token(client, 'billing:read');
    await expect(rs.authenticate(bearer(billing))).rejects.toMatchObject({ status: 401, code: 'invalid_token', message: 'the access token is not for this API' });
    await expect(rs.authenticate(bearer(await token(client, 'orders:read')), ['orders:read'])).resolves.toMatchObject({ format: 'opaque' });
  });
});

describe('JWTs that were not issued as they claim', () => {
  let client: RegisteredClient;
  let genuine: string;

  beforeAll(async () => {
    client = await app({ client_name: 'forger target', scope: 'orders:read', access_token_strategy: 'jwt', access_token_ttl: 600 });
    genuine = await token(client, 'orders:read');
    expect((await call(apiUrl, '/orders', bearer(genuine))).status).toBe(200);
  });

  const parts = () => genuine.split('.') as [string, string, string];
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

  async function expectInvalid(forged: string): Promise<void> {
    const res = await call(apiUrl, '/orders', bearer(forged));
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('invalid_token');
    expect(res.challenge).toMatch(challengeOf('invalid_token'));
  }

  it('refuses a forged signature', async () => {
    const [h, p, sig] = parts();
    const bytes = Buffer.from(sig, 'base64url');
    bytes[10] = bytes[10]! ^ 0xff;
    await expectInvalid(`${h}.${p}.${bytes.toString('base64url')}`);
  });

  it('refuses a changed payload under the genuine signature', async () => {
    const [h, p, sig] = parts();
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    await expectInvalid(`${h}.${b64({ ...claims, scope: 'orders:read orders:write' })}.${sig}`);
  });

  it('refuses alg: none', async () => {
    const [h, p] = parts();
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    await expectInvalid(`${b64({ ...header, alg: 'none' })}.${p}.`);
  });

  it('refuses HS256 keyed with the server\'s public key', async () => {
    const [h, p] = parts();
    const { kid } = decodeProtectedHeader(genuine);
    const jwks = (await request(url).get('/jwks')).body as { keys: JWK[] };
    const jwk = jwks.keys.find((k) => k.kid === kid)!;
    const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const header = { ...(JSON.parse(Buffer.from(h, 'base64url').toString()) as object), alg: 'HS256' };
    for (const secret of [
      publicKey.export({ type: 'spki', format: 'pem' }),
      publicKey.export({ type: 'spki', format: 'der' }),
      Buffer.from(JSON.stringify(jwk)),
    ]) {
      const input = `${b64(header)}.${p}`;
      await expectInvalid(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`);
    }
  });

  it('refuses a token signed by a key the server does not publish', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n!.slice(0, 16);
    const claims = decodeJwt(genuine);
    await expectInvalid(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey));
  });

  describe('signed with the server\'s real key, but with claims the kit must check', () => {
    async function signReal(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
      const { kid, alg } = decodeProtectedHeader(genuine);
      const jwk = srv.services.holder.keys.jwks.keys.find((k) => k.kid === kid)!;
      const key = await importJWK(jwk, alg);
      return new SignJWT({ ...decodeJwt(genuine), ...claims })
        .setProtectedHeader({ alg: alg!, kid: kid!, typ: 'at+jwt', ...header })
        .sign(key);
    }

    it.each([
      ['typ JWT instead of at+jwt', { typ: 'JWT' }, {}],
      ['another issuer', {}, { iss: 'https://evil.example.com' }],
      ['another audience', {}, { aud: BILLING }],
      ['expired', {}, { exp: Math.floor(Date.now() / 1000) - 60 }],
      ['not valid before a future time', {}, { nbf: Math.floor(Date.now() / 1000) + 3600 }],
      ['no jti', {}, { jti: undefined }],
    ])('%s', async (_name, header, claims) => {
      // Control: the same signing path with no change passes, so a refusal is the claim's doing.
      expect((await call(apiUrl, '/orders', bearer(await signReal({}, {})))).status).toBe(200);
      await expectInvalid(await signReal(header, claims));
    });
  });

  it('bounds JWKS fetches caused by unknown kids (at most one per cooldown)', async () => {
    let jwksFetches = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/jwks')) jwksFetches++;
      return fetch(input, init);
    };
    const rs = createResourceServer({ ...auth, fetch: counting, jwksCooldownSeconds: 3600 });
    await expect(rs.authenticate(bearer(genuine), ['orders:read'])).resolves.toMatchObject({ clientId: client.client_id });
    expect(jwksFetches).toBe(1);
    const { privateKey } = await generateKeyPair('RS256');
    for (let i = 0; i < 20; i++) {
      const forged = await new SignJWT(decodeJwt(genuine))
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: randomBytes(8).toString('hex') })
        .sign(privateKey);
      await expect(rs.authenticate(bearer(forged))).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    }
    expect(jwksFetches).toBe(1);
  });

  it('fetches the key set again for a kid it has not seen (after a rotation)', async () => {
    const rotated = await request(url).post('/api/keys/rotate').set('Authorization', bearer(admin)).send({ algs: ['RS256'] });
    expect(rotated.status).toBe(200);
    const newKid = (rotated.body as { rotated: string[] }).rotated[0];
    // The server may finish a refresh begun before the rotation first (ProviderHolder shares
    // in-flight refreshes), so the new key can take up to its refresh interval to sign.
    let fresh = await token(client, 'orders:read');
    for (let i = 0; i < 50 && decodeProtectedHeader(fresh).kid !== newKid; i++) {
      await sleep(100);
      fresh = await token(client, 'orders:read');
    }
    expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
    // The example API's cooldown is 1 s; wait it out so the refetch is allowed.
    await sleep(1100);
    expect((await call(apiUrl, '/orders', bearer(fresh))).status).toBe(200);
    // The key it replaced is still published, so tokens it signed keep passing.
    expect((await call(apiUrl, '/orders', bearer(genuine))).status).toBe(200);
  });
});

describe('the revocation feed (GET /token/revocations)', () => {
  let jwtApp: RegisteredClient;
  let ordersJti: string;
  let billingJti: string;

  beforeAll(async () => {
    jwtApp = await app({ client_name: 'feed app', scope: 'orders:read billing:read', access_token_strategy: 'jwt', access_token_ttl: 600 });
    const o = await token(jwtApp, 'orders:read');
    const b = await token(jwtApp, 'billing:read');
    ordersJti = String(decodeJwt(o).jti);
    billingJti = String(decodeJwt(b).jti);
    await revoke(url, jwtApp.client_id, jwtApp.client_secret, o);
    await revoke(url, jwtApp.client_id, jwtApp.client_secret, b);
  });

  const feed = (id: string, secret: string, query = '') =>
    request(url).get(`/token/revocations${query}`).set('Authorization', basic(id, secret));
  const jtis = (body: { revoked: { jti: string }[] }) => body.revoked.map((r) => r.jti);

  it('needs client authentication', async () => {
    const res = await request(url).get('/token/revocations');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect((await feed(rsClient.client_id, 'wrong')).status).toBe(401);
  });

  it('gives a resource server the revoked JWTs of its own API only', async () => {
    const res = await feed(rsClient.client_id, rsClient.client_secret);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ audiences: [ORDERS], all_audiences: false, has_more: false });
    expect(jtis(res.body)).toContain(ordersJti);
    expect(jtis(res.body)).not.toContain(billingJti);
  });

  it('gives the admin every API, and a client linked to none nothing', async () => {
    const all = await feed('admin', ADMIN_SECRET);
    expect(all.body.all_audiences).toBe(true);
    expect(jtis(all.body)).toEqual(expect.arrayContaining([ordersJti, billingJti]));
    const none = await feed(jwtApp.client_id, jwtApp.client_secret);
    expect(none.body).toMatchObject({ revoked: [], audiences: [], all_audiences: false });
  });

  it('continues from a cursor with what was revoked since', async () => {
    const first = await feed(rsClient.client_id, rsClient.client_secret);
    const later = await token(jwtApp, 'orders:read');
    await revoke(url, jwtApp.client_id, jwtApp.client_secret, later);
    const next = await feed(rsClient.client_id, rsClient.client_secret, `?since=${first.body.cursor as string}`);
    expect(next.status).toBe(200);
    expect(jtis(next.body)).toContain(String(decodeJwt(later).jti));
  });

  it('refuses a cursor it did not give out', async () => {
    for (const q of ['?since=bm90LWEtY3Vyc29y', '?since=a%20b', '?other=1']) {
      const res = await feed(rsClient.client_id, rsClient.client_secret, q);
      expect(res.status, q).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });

  it('makes a kit whose client is not linked to its API fail closed (503)', async () => {
    const rs = createResourceServer({ ...auth, clientId: jwtApp.client_id, clientSecret: jwtApp.client_secret });
    const t = await token(jwtApp, 'orders:read');
    await expect(rs.authenticate(bearer(t))).rejects.toMatchObject({
      name: 'AuthorizationServerUnavailable',
      message: expect.stringContaining(`is not a resource server of ${ORDERS}`),
    });
  });
});

describe('when the authorization server is down', () => {
  let down: TestServer;
  let downApi: { server: Server; url: string };
  let client: RegisteredClient;

  beforeAll(async () => {
    down = await startTestServer();
    const downAdmin = await adminToken(down.url, down.config.issuer);
    await createApi(down.url, downAdmin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }, { name: 'orders:write' }] });
    const rs = await app({ client_name: 'orders-api' }, down.url);
    await linkResourceServer(down.url, downAdmin, ORDERS, rs.client_id);
    client = await app({ client_name: 'jwt', scope: 'orders:read', access_token_strategy: 'jwt' }, down.url);
    downApi = await listen(createOrdersApi({
      issuer: down.config.issuer, audience: ORDERS, clientId: rs.client_id, clientSecret: rs.client_secret,
      revocationCheckSeconds: REVOCATION_CHECK_SECONDS, timeoutSeconds: 2,
    }));
  });
  afterAll(async () => {
    await close(downApi?.server);
    await down?.destroy();
  });

  it('answers 503, never a pass, once it cannot check', async () => {
    const jwt = await token(client, 'orders:read', down.url);
    expect((await call(downApi.url, '/orders', bearer(jwt))).status).toBe(200);
    await close(down.server);

    // An opaque token the kit has never seen cannot be introspected.
    const opaque = await call(downApi.url, '/orders', bearer(randomBytes(32).toString('base64url')));
    expect(opaque.status).toBe(503);
    expect(opaque.body['error']).toBe('temporarily_unavailable');

    // A JWT still verifies locally, but only until the revocation list is older than the bound.
    const res = await eventually(10_000, () => call(downApi.url, '/orders', bearer(jwt)), (a) => a.status !== 200);
    expect(res.status).toBe(503);
    expect(res.body['error']).toBe('temporarily_unavailable');
  });
});

describe('misconfiguration is logged, once per cause', () => {
  /** A resource server whose log lines are kept; its callers would only see 503. */
  function logged(overrides: Partial<ResourceServerOptions>) {
    const lines: string[] = [];
    const rs = createResourceServer({ ...auth, ...overrides, logger: (line) => lines.push(line) });
    return { rs, lines };
  }

  async function expect503Twice(rs: ReturnType<typeof createResourceServer>, authorization: string): Promise<void> {
    for (let i = 0; i < 2; i++) {
      await expect(rs.authenticate(authorization)).rejects.toMatchObject({ name: 'AuthorizationServerUnavailable' });
    }
  }

  it('a wrong client secret: logs that its credentials were refused, naming what to check, once', async () => {
    const { rs, lines } = logged({ clientSecret: 'not-the-secret', introspectionCacheSeconds: 0 });
    await expect503Twice(rs, bearer(randomBytes(32).toString('base64url')));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/introspection refused this resource server \(401 invalid_client.*check clientId .* and clientSecret/);
    expect(lines[0]).not.toContain('not-the-secret');
  });

  it('an issuer that is not the server\'s own (localhost vs 127.0.0.1): logs both names', async () => {
    const wrong = issuer.includes('127.0.0.1') ? issuer.replace('127.0.0.1', 'localhost') : issuer.replace('localhost', '127.0.0.1');
    const { rs, lines } = logged({ issuer: wrong, discoveryUrl: `${url}/.well-known/oauth-authorization-server` });
    const t = await token(await app({ scope: 'orders:read', access_token_strategy: 'opaque' }), 'orders:read');
    await expect503Twice(rs, bearer(t));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(issuer);
    expect(lines[0]).toContain(wrong);
  });

  it('a client that was never linked: logs the server\'s 403, not "the access token is not active"', async () => {
    const unlinked = await app({ client_name: 'never linked' });
    const { rs, lines } = logged({ clientId: unlinked.client_id, clientSecret: unlinked.client_secret, introspectionCacheSeconds: 0 });
    const t = await token(await app({ scope: 'orders:read', access_token_strategy: 'opaque' }), 'orders:read');
    await expect503Twice(rs, bearer(t));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/403 unauthorized_client: client \S+ is not a resource server of any API/);
  });

  it('logs again after the repeat interval, with the count of repeats; onUnavailable still sees every one', async () => {
    const seen: string[] = [];
    const { rs, lines } = logged({ clientSecret: 'wrong', introspectionCacheSeconds: 0, logRepeatSeconds: 0.5, onUnavailable: (e) => seen.push(e.message) });
    await expect503Twice(rs, bearer('a'.repeat(40)));
    await sleep(600);
    await expect(rs.authenticate(bearer('b'.repeat(40)))).rejects.toMatchObject({ name: 'AuthorizationServerUnavailable' });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/\(1 more since last logged\)$/);
    expect(seen).toHaveLength(3);
  });
});
