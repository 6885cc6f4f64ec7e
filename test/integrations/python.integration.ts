import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BILLING, ORDERS, ORDERS_ALG, startKeyforge, type Keyforge } from './support/keyforge.js';
import { startOrdersProbe, type OrdersProbe } from './support/orders-probe.js';
import { get, runExample, startExample, type ExampleServer } from './support/processes.js';
import { EXAMPLES, pythonVenv } from './support/toolchains.js';

// docs/integrations/python.md: PyJWT (JWT), authlib (introspection), authlib's client (client credentials).

const dir = join(EXAMPLES, 'python');
let kf: Keyforge;
let python: string;

beforeAll(async () => {
  [kf, python] = await Promise.all([startKeyforge(), pythonVenv()]);
});
afterAll(async () => { await kf?.stop(); });

function pyjwtApi(env: Record<string, string> = {}): Promise<ExampleServer> {
  return startExample({
    cmd: python, args: [join(dir, 'pyjwt_api.py')],
    env: { KEYFORGE_ISSUER: kf.issuer, KEYFORGE_AUDIENCE: ORDERS, KEYFORGE_ALGORITHMS: ORDERS_ALG, ...env },
  });
}

function authlibApi(client = kf.ordersResourceClient): Promise<ExampleServer> {
  return startExample({
    cmd: python, args: [join(dir, 'authlib_api.py')],
    env: { KEYFORGE_ISSUER: kf.issuer, KEYFORGE_RS_CLIENT_ID: client.clientId, KEYFORGE_RS_CLIENT_SECRET: client.clientSecret },
  });
}

describe('PyJWT with PyJWKClient', () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await pyjwtApi(); });
  afterAll(async () => { await api?.stop(); });

  it('accepts a JWT for its audience with orders:read', async () => {
    const a = await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
    expect(a.status, api.log()).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ caller: kf.jwtApp.clientId });
  });

  it('refuses no token, an opaque token, a token for another API, and a token without the scope', async () => {
    expect((await get(`${api.url}/orders`)).status).toBe(401);
    expect((await get(`${api.url}/me`, await kf.token(kf.opaqueApp, 'orders:read'))).status).toBe(401);
    const billing = await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'));
    expect(billing.status).toBe(401);
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerJwtApp, 'orders:write'))).status).toBe(403);
  });
});

describe('PyJWT without a documented step', () => {
  it('without the audience, refuses every keyforge token (PyJWT will not skip aud)', async () => {
    const api = await pyjwtApi({ INTEGRATION_OMIT_STEP: 'audience' });
    try {
      const a = await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
      expect(a.status).toBe(401);
      expect(a.challenge).toMatch(/audience/i);
    } finally { await api.stop(); }
  });

  it('with algorithms other than the API\'s signing_alg, refuses its tokens', async () => {
    const api = await pyjwtApi({ KEYFORGE_ALGORITHMS: 'RS256' });
    try {
      const a = await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
      expect(a.status).toBe(401);
      expect(a.challenge).toMatch(/alg value is not allowed/);
    } finally { await api.stop(); }
  });
});

describe("authlib's introspection validator", () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await authlibApi(); });
  afterAll(async () => { await api?.stop(); });

  it('accepts an opaque token with orders:read; refuses one without it, one for another API, a revoked one', async () => {
    const token = await kf.token(kf.opaqueApp, 'orders:read');
    const a = await get(`${api.url}/orders`, token);
    expect(a.status, api.log()).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ caller: kf.opaqueApp.clientId });
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerOpaqueApp, 'orders:write'))).status).toBe(403);
    expect((await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(401);
    expect((await get(`${api.url}/orders`)).status).toBe(401);
    await kf.revoke(kf.opaqueApp, token);
    expect((await get(`${api.url}/orders`, token)).status).toBe(401);
  });

  it('introspects JWTs too', async () => {
    expect((await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'))).status).toBe(200);
  });
});

describe("authlib's introspection validator without a documented step", () => {
  it('with a client not linked to the API, fails every request (500)', async () => {
    const api = await authlibApi(kf.unlinkedClient);
    try {
      expect((await get(`${api.url}/orders`, await kf.token(kf.opaqueApp, 'orders:read'))).status).toBe(500);
      expect(api.log()).toMatch(/403 Client Error/);
    } finally { await api.stop(); }
  });

  it('with a wrong secret, fails every request (500)', async () => {
    const api = await authlibApi({ ...kf.ordersResourceClient, clientSecret: 'not-the-secret' });
    try {
      expect((await get(`${api.url}/orders`, await kf.token(kf.opaqueApp, 'orders:read'))).status).toBe(500);
      expect(api.log()).toMatch(/401 Client Error/);
    } finally { await api.stop(); }
  });
});

describe("authlib's client, client credentials", () => {
  let probe: OrdersProbe;
  beforeAll(async () => { probe = await startOrdersProbe(kf); });
  afterAll(async () => { await probe?.close(); });

  const client = (scope: string) => runExample({
    cmd: python, args: [join(dir, 'authlib_client.py')],
    env: {
      KEYFORGE_ISSUER: kf.issuer, KEYFORGE_CLIENT_ID: kf.twoApiApp.clientId, KEYFORGE_CLIENT_SECRET: kf.twoApiApp.clientSecret,
      KEYFORGE_SCOPE: scope, ORDERS_URL: probe.url,
    },
  });

  it('gets a token and calls the API with it', async () => {
    const r = await client('orders:read');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(kf.twoApiApp.clientId);
  });

  it('without the scope, an application of two APIs gets no token', async () => {
    const calls = probe.seen.length;
    const r = await client('');
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/invalid_target/);
    expect(probe.seen.length).toBe(calls);
  });
});

describe('curl and HTTPie, by hand', () => {
  let probe: OrdersProbe;
  beforeAll(async () => { probe = await startOrdersProbe(kf); });
  afterAll(async () => { await probe?.close(); });

  const script = (name: string, scope: string) => runExample({
    cmd: 'bash', args: [join(EXAMPLES, 'curl', name)],
    env: {
      // HTTPie comes with the Python examples' venv.
      PATH: `${join(python, '..')}:${process.env['PATH'] ?? ''}`,
      KEYFORGE_ISSUER: kf.issuer, KEYFORGE_CLIENT_ID: kf.twoApiApp.clientId, KEYFORGE_CLIENT_SECRET: kf.twoApiApp.clientSecret,
      KEYFORGE_SCOPE: scope, ORDERS_URL: probe.url,
      KEYFORGE_RS_CLIENT_ID: kf.ordersResourceClient.clientId, KEYFORGE_RS_CLIENT_SECRET: kf.ordersResourceClient.clientSecret,
    },
  });

  for (const name of ['curl.sh', 'httpie.sh']) {
    it(`${name}: token, call, introspection`, async () => {
      const r = await script(name, 'orders:read');
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain(`"caller":"${kf.twoApiApp.clientId}"`);
      expect(r.output).toMatch(new RegExp(`"active":\\s?true,\\s?"aud":\\s?"${ORDERS}"|"active":\\s?true,\\s?"aud":\\s?\\["${ORDERS}"\\]`));
    });

    it(`${name}: without the scope, an application of two APIs gets no token`, async () => {
      const calls = probe.seen.length;
      const r = await script(name, '');
      expect(r.code).not.toBe(0);
      expect(probe.seen.length).toBe(calls);
    });
  }
});

void BILLING;
