import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ORDERS, startKeyforge, type Credentials, type Keyforge } from './support/keyforge.js';
import { startOrdersProbe, type OrdersProbe } from './support/orders-probe.js';
import { get, runExample, startExample, type ExampleServer } from './support/processes.js';
import { goBinaries } from './support/toolchains.js';

// docs/integrations/go.md: lestrrat-go/jwx v3 with jwk.Cache (JWT), introspection (opaque),
// golang.org/x/oauth2/clientcredentials.

let kf: Keyforge;
let bin: { resourceServer: string; client: string };

beforeAll(async () => {
  [kf, bin] = await Promise.all([startKeyforge(), goBinaries()]);
});
afterAll(async () => { await kf?.stop(); });

function ordersApi(tokens: 'jwt' | 'opaque', env: Record<string, string> = {}, rs: Credentials = kf.ordersResourceClient): Promise<ExampleServer> {
  return startExample({
    cmd: bin.resourceServer, args: [],
    env: {
      KEYFORGE_ISSUER: kf.issuer, KEYFORGE_AUDIENCE: ORDERS, KEYFORGE_TOKENS: tokens,
      KEYFORGE_RS_CLIENT_ID: rs.clientId, KEYFORGE_RS_CLIENT_SECRET: rs.clientSecret, ...env,
    },
  });
}

describe('jwx v3 with jwk.Cache', () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await ordersApi('jwt'); });
  afterAll(async () => { await api?.stop(); });

  it('accepts a JWT for its audience with orders:read', async () => {
    const a = await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
    expect(a.status, api.log()).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ caller: kf.jwtApp.clientId });
  });

  it('refuses no token, an opaque token, a token for another API, and a token without the scope', async () => {
    expect((await get(`${api.url}/orders`)).status).toBe(401);
    expect((await get(`${api.url}/me`, await kf.token(kf.opaqueApp, 'orders:read'))).status).toBe(401);
    expect((await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(401);
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerJwtApp, 'orders:write'))).status).toBe(403);
    expect((await get(`${api.url}/me`, await kf.token(kf.writerJwtApp, 'orders:write'))).status).toBe(200);
  });

  it('without jwt.WithAudience, takes a token for another API', async () => {
    const loose = await ordersApi('jwt', { INTEGRATION_OMIT_STEP: 'audience' });
    try {
      expect((await get(`${loose.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(200);
    } finally { await loose.stop(); }
  });
});

describe('net/http with introspection (opaque tokens)', () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await ordersApi('opaque'); });
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
    for (const [rs, answered] of [[kf.unlinkedClient, 403], [{ ...kf.ordersResourceClient, clientSecret: 'not-the-secret' }, 401]] as const) {
      const broken = await ordersApi('opaque', {}, rs);
      try {
        expect((await get(`${broken.url}/orders`, await kf.token(kf.opaqueApp, 'orders:read'))).status).toBe(503);
        expect(broken.log()).toContain(`introspection answered ${answered}`);
      } finally { await broken.stop(); }
    }
  });
});

describe('golang.org/x/oauth2/clientcredentials', () => {
  let probe: OrdersProbe;
  beforeAll(async () => { probe = await startOrdersProbe(kf); });
  afterAll(async () => { await probe?.close(); });

  const client = (scope: string) => runExample({
    cmd: bin.client, args: [],
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
