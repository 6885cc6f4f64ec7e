import request from 'supertest';

import {
  adminToken, basic, createApi, registerClient, revoke, tokenRequest,
  type RegisteredClient, type TokenResponse,
} from '../../support/oauth.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

/** The API every example protects. ES256, so that an example that assumes RS256 fails. */
export const ORDERS = 'https://orders.example.com';
export const ORDERS_ALG = 'ES256';
/** Another API on the same server: its tokens are valid keyforge tokens, for the wrong audience. */
export const BILLING = 'https://billing.example.com';

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

/**
 * A real keyforge server provisioned as the integration guides say: the Orders API (ES256,
 * scopes orders:read and orders:write) with a linked resource-server client, applications
 * with JWT and opaque tokens, and what the tests need to show each documented step matters.
 */
export interface Keyforge {
  server: TestServer;
  issuer: string;
  /** orders:read, JWT (RFC 9068). */
  jwtApp: Credentials;
  /** orders:read and billing:read, JWT: an application of two APIs, which must say which it wants. */
  twoApiApp: Credentials;
  /** orders:read, opaque. */
  opaqueApp: Credentials;
  /** orders:write only (a valid token for the Orders API without the scope /orders needs), JWT and opaque. */
  writerJwtApp: Credentials;
  writerOpaqueApp: Credentials;
  /** billing:read, JWT: a token for another API. */
  billingApp: Credentials;
  /** The Orders API's resource-server client, linked to it. */
  ordersResourceClient: Credentials;
  /** A client that was never linked to any API. */
  unlinkedClient: Credentials;
  token(app: Credentials, scope: string): Promise<string>;
  revoke(app: Credentials, token: string): Promise<void>;
  /** Introspects as the Orders API's resource-server client. */
  introspect(token: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const creds = (c: RegisteredClient): Credentials => ({ clientId: c.client_id, clientSecret: c.client_secret });

export async function startKeyforge(): Promise<Keyforge> {
  const server = await startTestServer();
  const { url } = server;
  const issuer = server.config.issuer;
  const admin = await adminToken(url, issuer);
  await createApi(url, admin, {
    identifier: ORDERS, name: 'Orders', signing_alg: ORDERS_ALG,
    scopes: [{ name: 'orders:read' }, { name: 'orders:write' }],
  });
  await createApi(url, admin, { identifier: BILLING, name: 'Billing', scopes: [{ name: 'billing:read' }] });

  const app = async (name: string, scope: string, strategy: 'jwt' | 'opaque') => creds(await registerClient(url, {
    client_name: name, grant_types: ['client_credentials'], scope, access_token_strategy: strategy, access_token_ttl: 600,
  }));
  const jwtApp = await app('orders-reader-jwt', 'orders:read', 'jwt');
  const twoApiApp = await app('orders-and-billing', 'orders:read billing:read', 'jwt');
  const opaqueApp = await app('orders-reader-opaque', 'orders:read', 'opaque');
  const writerJwtApp = await app('orders-writer-jwt', 'orders:write', 'jwt');
  const writerOpaqueApp = await app('orders-writer-opaque', 'orders:write', 'opaque');
  const billingApp = await app('billing-reader', 'billing:read', 'jwt');
  const ordersResourceClient = creds(await registerClient(url, { client_name: 'orders-api', grant_types: ['client_credentials'] }));
  const unlinkedClient = creds(await registerClient(url, { client_name: 'never-linked', grant_types: ['client_credentials'] }));
  const link = await request(url).post(`/api/apis/${encodeURIComponent(ORDERS)}/resource-servers`)
    .set('Authorization', `Bearer ${admin}`).send({ client_id: ordersResourceClient.clientId });
  if (link.status !== 200) throw new Error(`link: ${link.status} ${JSON.stringify(link.body)}`);

  return {
    server, issuer, jwtApp, twoApiApp, opaqueApp, writerJwtApp, writerOpaqueApp, billingApp, ordersResourceClient, unlinkedClient,
    async token(c, scope) {
      const res = await tokenRequest(url, c.clientId, c.clientSecret, { scope });
      if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as TokenResponse).access_token;
    },
    async revoke(c, token) {
      const res = await revoke(url, c.clientId, c.clientSecret, token);
      if (res.status !== 200) throw new Error(`revoke: ${res.status}`);
    },
    async introspect(token) {
      const res = await request(url).post('/token/introspection')
        .set('Authorization', basic(ordersResourceClient.clientId, ordersResourceClient.clientSecret))
        .type('form').send({ token });
      return res.body as Record<string, unknown>;
    },
    stop: () => server.destroy(),
  };
}
