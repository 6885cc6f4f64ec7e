import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ORDERS, ORDERS_ALG, startKeyforge, type Credentials, type Keyforge } from './support/keyforge.js';
import { startOrdersProbe, type OrdersProbe } from './support/orders-probe.js';
import { get, runExample, startExample, type ExampleServer } from './support/processes.js';
import { EXAMPLES } from './support/toolchains.js';

// docs/integrations/node.md: express-oauth2-jwt-bearer (JWT, strict RFC 9068), openid-client
// (introspection and client credentials), and keyforge's own kit for comparison.

const dir = join(EXAMPLES, 'node');
let kf: Keyforge;

beforeAll(async () => { kf = await startKeyforge(); });
afterAll(async () => { await kf?.stop(); });

const node = (file: string, env: Record<string, string>) => startExample({
  cmd: process.execPath, args: [join(dir, file)], env: { KEYFORGE_ISSUER: kf.issuer, ...env },
});

const expressJwt = (env: Record<string, string> = {}) =>
  node('express-jwt-api.mjs', { KEYFORGE_AUDIENCE: ORDERS, KEYFORGE_SIGNING_ALG: ORDERS_ALG, ...env });
const introspecting = (rs: Credentials = kf.ordersResourceClient) =>
  node('openid-client-introspection-api.mjs', { KEYFORGE_RS_CLIENT_ID: rs.clientId, KEYFORGE_RS_CLIENT_SECRET: rs.clientSecret });

describe('express-oauth2-jwt-bearer, strict (RFC 9068)', () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await expressJwt(); });
  afterAll(async () => { await api?.stop(); });

  it('accepts a keyforge JWT for its audience with orders:read', async () => {
    const a = await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
    expect(a.status, api.log()).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ caller: kf.jwtApp.clientId });
  });

  it('refuses no token, an opaque token, a token for another API, and a token without the scope', async () => {
    expect((await get(`${api.url}/orders`)).status).toBe(401);
    expect((await get(`${api.url}/me`, await kf.token(kf.opaqueApp, 'orders:read'))).status).toBe(401);
    expect((await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(401);
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerJwtApp, 'orders:write'))).status).toBe(403);
  });

  it('with a tokenSigningAlg other than the API\'s signing_alg, refuses its tokens', async () => {
    const rs256 = await expressJwt({ KEYFORGE_SIGNING_ALG: 'RS256' });
    try {
      const a = await get(`${rs256.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
      expect(a.status).toBe(401);
      expect(a.challenge).toMatch(/invalid_token/);
    } finally { await rs256.stop(); }
  });

  it('without the audience, does not start', async () => {
    await expect(expressJwt({ KEYFORGE_AUDIENCE: '' })).rejects.toThrow(/audience/i);
  });
});

describe('openid-client token introspection', () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await introspecting(); });
  afterAll(async () => { await api?.stop(); });

  it('accepts an opaque token with orders:read; refuses one without it, one for another API, a revoked one', async () => {
    const token = await kf.token(kf.opaqueApp, 'orders:read');
    const a = await get(`${api.url}/orders`, token);
    expect(a.status, api.log()).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ caller: kf.opaqueApp.clientId });
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerOpaqueApp, 'orders:write'))).status).toBe(403);
    expect((await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(401);
    await kf.revoke(kf.opaqueApp, token);
    expect((await get(`${api.url}/orders`, token)).status).toBe(401);
  });

  it('with a client not linked to the API, or a wrong secret, fails closed (503)', async () => {
    for (const rs of [kf.unlinkedClient, { ...kf.ordersResourceClient, clientSecret: 'not-the-secret' }]) {
      const broken = await introspecting(rs);
      try {
        expect((await get(`${broken.url}/orders`, await kf.token(kf.opaqueApp, 'orders:read'))).status).toBe(503);
        expect(broken.log()).toMatch(/introspection failed: 40[13]/);
      } finally { await broken.stop(); }
    }
  });
});

describe('openid-client, client credentials', () => {
  let probe: OrdersProbe;
  beforeAll(async () => { probe = await startOrdersProbe(kf); });
  afterAll(async () => { await probe?.close(); });

  const client = (scope: string) => runExample({
    cmd: process.execPath, args: [join(dir, 'openid-client-client.mjs')],
    env: {
      KEYFORGE_ISSUER: kf.issuer, KEYFORGE_CLIENT_ID: kf.twoApiApp.clientId, KEYFORGE_CLIENT_SECRET: kf.twoApiApp.clientSecret,
      KEYFORGE_SCOPE: scope, ORDERS_URL: probe.url,
    },
  });

  it('gets a token and calls the API with it', async () => {
    const r = await client('orders:read');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`"caller":"${kf.twoApiApp.clientId}"`);
  });

  it('without the scope, an application of two APIs gets no token', async () => {
    const calls = probe.seen.length;
    const r = await client('');
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/invalid_target/);
    expect(probe.seen.length).toBe(calls);
  });
});

describe("keyforge's kit, for comparison", () => {
  let api: ExampleServer;
  beforeAll(async () => {
    api = await node('kit-api.mjs', {
      KEYFORGE_AUDIENCE: ORDERS, KEYFORGE_RS_CLIENT_ID: kf.ordersResourceClient.clientId, KEYFORGE_RS_CLIENT_SECRET: kf.ordersResourceClient.clientSecret,
    });
  });
  afterAll(async () => { await api?.stop(); });

  it('takes JWT and opaque tokens for its API, and refuses the rest', async () => {
    for (const app of [kf.jwtApp, kf.opaqueApp]) {
      const a = await get(`${api.url}/orders`, await kf.token(app, 'orders:read'));
      expect(a.status, api.log()).toBe(200);
    }
    expect((await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(401);
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerJwtApp, 'orders:write'))).status).toBe(403);
  });
});
