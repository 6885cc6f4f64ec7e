import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startKeyforge, type Keyforge } from './support/keyforge.js';
import { startOrdersProbe, type OrdersProbe } from './support/orders-probe.js';
import { get, runExample, startExample, type ExampleServer } from './support/processes.js';
import { springJars } from './support/toolchains.js';

// docs/integrations/java.md: Spring Boot 4 resource server (JWT and opaque) and Spring's OAuth2 client.

let kf: Keyforge;
let jars: { resourceServer: string; client: string };

beforeAll(async () => {
  [kf, jars] = await Promise.all([startKeyforge(), springJars()]);
});
afterAll(async () => { await kf?.stop(); });

/** The resource server with the settings the guide gives; `args` override them, as a reader who skipped a step would. */
function ordersApi(profiles: string, args: string[] = []): Promise<ExampleServer> {
  return startExample({
    cmd: 'java',
    args: ['-jar', jars.resourceServer, `--spring.profiles.active=${profiles}`, ...args],
    env: {
      KEYFORGE_ISSUER: kf.issuer,
      KEYFORGE_AUDIENCE: 'https://orders.example.com',
      KEYFORGE_RS_CLIENT_ID: kf.ordersResourceClient.clientId,
      KEYFORGE_RS_CLIENT_SECRET: kf.ordersResourceClient.clientSecret,
    },
  }, 90_000);
}

describe('Spring resource server, JWT', () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await ordersApi('jwt'); });
  afterAll(async () => { await api?.stop(); });

  it('accepts an at+jwt token for its audience with orders:read', async () => {
    const a = await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
    expect(a.status, api.log()).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ caller: kf.jwtApp.clientId });
  });

  it('refuses no token, a token for another API, and a token without the scope', async () => {
    expect((await get(`${api.url}/orders`)).status).toBe(401);
    expect((await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(401);
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerJwtApp, 'orders:write'))).status).toBe(403);
    expect((await get(`${api.url}/me`, await kf.token(kf.writerJwtApp, 'orders:write'))).status).toBe(200);
  });
});

describe('Spring resource server, JWT, without a documented step', () => {
  it('without the JwtTypeValidator bean, refuses every keyforge JWT (typ at+jwt)', async () => {
    const api = await ordersApi('jwt,omit-at-jwt-validator');
    try {
      const a = await get(`${api.url}/orders`, await kf.token(kf.jwtApp, 'orders:read'));
      expect(a.status).toBe(401);
      expect(a.challenge).toMatch(/the given typ value needs to be one of \[JWT\]/);
    } finally { await api.stop(); }
  });

  it('without audiences, takes a token for another API', async () => {
    const api = await ordersApi('jwt', ['--spring.security.oauth2.resourceserver.jwt.audiences=']);
    try {
      expect((await get(`${api.url}/me`, await kf.token(kf.billingApp, 'billing:read'))).status).toBe(200);
    } finally { await api.stop(); }
  });

});

describe('Spring resource server, opaque tokens by introspection', () => {
  let api: ExampleServer;
  beforeAll(async () => { api = await ordersApi('opaque'); });
  afterAll(async () => { await api?.stop(); });

  it('accepts an opaque token with orders:read, refuses one without it, and a revoked one', async () => {
    const token = await kf.token(kf.opaqueApp, 'orders:read');
    const a = await get(`${api.url}/orders`, token);
    expect(a.status, api.log()).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ caller: kf.opaqueApp.clientId });
    expect((await get(`${api.url}/orders`, await kf.token(kf.writerOpaqueApp, 'orders:write'))).status).toBe(403);
    expect((await get(`${api.url}/orders`)).status).toBe(401);
    await kf.revoke(kf.opaqueApp, token);
    expect((await get(`${api.url}/orders`, token)).status).toBe(401);
  });

  it('with a client that is not linked to the API as its resource server, fails every request (500)', async () => {
    const unlinked = await ordersApi('opaque', [
      `--spring.security.oauth2.resourceserver.opaquetoken.client-id=${kf.unlinkedClient.clientId}`,
      `--spring.security.oauth2.resourceserver.opaquetoken.client-secret=${kf.unlinkedClient.clientSecret}`,
    ]);
    try {
      const a = await get(`${unlinked.url}/orders`, await kf.token(kf.opaqueApp, 'orders:read'));
      expect(a.status).toBe(500);
      expect(unlinked.log()).toMatch(/403 Forbidden on POST request for "[^"]*\/token\/introspection"/);
    } finally { await unlinked.stop(); }
  });

  it('with a wrong client secret, answers 500 (as the guide warns)', async () => {
    const wrong = await ordersApi('opaque', ['--spring.security.oauth2.resourceserver.opaquetoken.client-secret=not-the-secret']);
    try {
      const a = await get(`${wrong.url}/orders`, await kf.token(kf.opaqueApp, 'orders:read'));
      expect(a.status).toBe(500);
      expect(wrong.log()).toMatch(/401 Unauthorized on POST request for "[^"]*\/token\/introspection"/);
    } finally { await wrong.stop(); }
  });
});

describe("Spring's OAuth2 client, client credentials", () => {
  let probe: OrdersProbe;
  beforeAll(async () => { probe = await startOrdersProbe(kf); });
  afterAll(async () => { await probe?.close(); });

  const client = (scope: string) => runExample({
    cmd: 'java',
    args: ['-jar', jars.client],
    env: {
      KEYFORGE_ISSUER: kf.issuer,
      KEYFORGE_CLIENT_ID: kf.twoApiApp.clientId,
      KEYFORGE_CLIENT_SECRET: kf.twoApiApp.clientSecret,
      KEYFORGE_SCOPE: scope,
      ORDERS_URL: probe.url,
    },
  }, 90_000);

  it('gets a token and calls the API with it', async () => {
    const r = await client('orders:read');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`"caller":"${kf.twoApiApp.clientId}"`);
  });

  it('without the scope, an application of two APIs gets no token', async () => {
    const calls = probe.seen.length;
    const r = await client('');
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/invalid_target|more than one API/);
    expect(probe.seen.length).toBe(calls);
  });
});
