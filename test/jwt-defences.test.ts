import { createPublicKey, type JsonWebKey } from 'node:crypto';

import { base64url, decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, introspect, registerClient, tokenRequest, type RegisteredClient } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;
let client: RegisteredClient;
let real: string;
let publicJwk: JWK;
const API = 'https://jwt.example.com';

beforeAll(async () => {
  srv = await startTestServer();
  const admin = await adminToken(srv.url, srv.config.issuer);
  await createApi(srv.url, admin, { identifier: API, name: 'JWT', scopes: [{ name: 'jwt:x' }, { name: 'admin2' }] });
  client = await registerClient(srv.url, { scope: 'jwt:x', access_token_strategy: 'jwt' });
  real = (await tokenRequest(srv.url, client.client_id, client.client_secret)).body.access_token as string;
  const kid = decodeProtectedHeader(real).kid;
  publicJwk = ((await request(srv.url).get('/jwks')).body.keys as JWK[]).find((k) => k.kid === kid)!;
});
afterAll(() => srv?.destroy());

const claims = () => ({ ...decodeJwt(real), jti: crypto.randomUUID() });

/** Every forgery must be inactive at introspection and useless at the management API. */
async function expectRefused(token: string): Promise<void> {
  expect((await introspect(srv.url, 'admin', ADMIN_SECRET, token)).body).toEqual({ active: false });
  const api = await request(srv.url).get('/api/apis').set('Authorization', `Bearer ${token}`);
  expect(api.status).toBe(401);
}

describe('JWT defences', () => {
  it('accepts the real token (control)', async () => {
    expect((await introspect(srv.url, client.client_id, client.client_secret, real)).body.active).toBe(true);
  });

  it('refuses alg "none"', async () => {
    const forged = new UnsecuredJWT(claims()).encode();
    await expectRefused(forged);
    const withTyp = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${base64url.encode(JSON.stringify(claims()))}.`;
    await expectRefused(withTyp);
  });

  it('refuses HS256 signed with the public key (key confusion)', async () => {
    const pem = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [Buffer.from(pem), Buffer.from(JSON.stringify(publicJwk)), Buffer.from(publicJwk.n ?? '', 'base64url')]) {
      const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: publicJwk.kid! }).sign(secret);
      await expectRefused(forged);
    }
  });

  it('refuses a tampered payload or signature', async () => {
    const [h, , s] = real.split('.');
    const payload = base64url.encode(JSON.stringify({ ...decodeJwt(real), scope: 'jwt:x admin' }));
    await expectRefused(`${h}.${payload}.${s}`);
    const sig = Buffer.from(s!, 'base64url');
    sig[0] = sig[0]! ^ 0xff;
    await expectRefused(`${h}.${real.split('.')[1]}.${base64url.encode(sig)}`);
  });

  it('refuses unknown kids, without unbounded key reloads', async () => {
    const [, p, s] = real.split('.');
    const headers = Array.from({ length: 20 }, (_, i) =>
      base64url.encode(JSON.stringify({ ...decodeProtectedHeader(real), kid: `unknown-${i}` })));
    for (const h of headers) await expectRefused(`${h}.${p}.${s}`);
  });

  it('refuses a JWT whose record is missing (signed by us but never issued through the token endpoint)', async () => {
    // The record is the source of truth: drop it and the otherwise valid JWT is dead.
    await srv.store.collections.tokens.deleteOne({ _id: `jwt:${decodeJwt(real).jti}` });
    // Deleted behind the server's back: drop what it cached when it issued the token.
    srv.store.collections.tokenCache.clear();
    await expectRefused(real);
  });
});
