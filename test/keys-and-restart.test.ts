import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, introspect, registerClient, tokenRequest, type RegisteredClient } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const DB = `t_keys_${Date.now().toString(36)}`;
let srv: TestServer;
let admin: string;
let jwtClient: RegisteredClient;

beforeAll(async () => {
  srv = await startTestServer({}, DB);
  admin = await adminToken(srv.url, srv.config.issuer);
  await createApi(srv.url, admin, { identifier: 'https://rsa.example.com', name: 'RSA', scopes: [{ name: 'rsa:x' }] });
  await createApi(srv.url, admin, { identifier: 'https://ec.example.com', name: 'EC', signing_alg: 'ES256', scopes: [{ name: 'ec:x' }] });
  await createApi(srv.url, admin, { identifier: 'https://ed.example.com', name: 'Ed', signing_alg: 'EdDSA', scopes: [{ name: 'ed:x' }] });
  jwtClient = await registerClient(srv.url, { scope: 'rsa:x ec:x ed:x', access_token_strategy: 'jwt' });
});
afterAll(() => srv?.destroy());

const jwt = async (scope: string) => {
  const res = await tokenRequest(srv.url, jwtClient.client_id, jwtClient.client_secret, { scope });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
};

describe('signing keys', () => {
  it('signs with the algorithm each API chose, all published at jwks_uri', async () => {
    const jwks = createRemoteJWKSet(new URL(`${srv.url}/jwks`));
    for (const [scope, alg, aud] of [
      ['rsa:x', 'RS256', 'https://rsa.example.com'],
      ['ec:x', 'ES256', 'https://ec.example.com'],
      ['ed:x', 'EdDSA', 'https://ed.example.com'],
    ] as const) {
      const token = await jwt(scope);
      expect(decodeProtectedHeader(token).alg).toBe(alg);
      await jwtVerify(token, jwks, { issuer: srv.config.issuer, audience: aud, algorithms: [alg] });
    }
    const published = (await request(srv.url).get('/jwks')).body.keys as Record<string, unknown>[];
    for (const k of published) for (const priv of ['d', 'p', 'q']) expect(k[priv]).toBeUndefined();
  });

  it('keeps private halves encrypted at rest', async () => {
    const docs = await srv.store.db.collection('signing_keys').find({}).toArray();
    expect(docs.length).toBeGreaterThanOrEqual(3);
    for (const d of docs) {
      expect(d['private_jwk']).toMatchObject({ iv: expect.any(String), tag: expect.any(String), data: expect.any(String) });
      expect(JSON.stringify(d)).not.toMatch(/"d":/);
    }
  });

  it('rotates without breaking tokens already issued', async () => {
    const before = await jwt('rsa:x');
    const oldKid = decodeProtectedHeader(before).kid;

    const rotated = await request(srv.url).post('/api/keys/rotate').set('Authorization', `Bearer ${admin}`)
      .send({ algs: ['RS256'] });
    expect(rotated.status).toBe(200);
    expect(rotated.body.rotated).toHaveLength(1);

    const after = await jwt('rsa:x');
    expect(decodeProtectedHeader(after).kid).toBe(rotated.body.rotated[0]);
    expect(decodeProtectedHeader(after).kid).not.toBe(oldKid);

    const jwks = createRemoteJWKSet(new URL(`${srv.url}/jwks`));
    for (const t of [before, after]) {
      await jwtVerify(t, jwks, { issuer: srv.config.issuer });
      expect((await introspect(srv.url, jwtClient.client_id, jwtClient.client_secret, t)).body.active).toBe(true);
    }

    const list = (await request(srv.url).get('/api/keys').set('Authorization', `Bearer ${admin}`)).body.keys as
      { kid: string; status: string }[];
    expect(list.find((k) => k.kid === oldKid)?.status).toBe('retired');

    // An active key cannot be removed; a retired one can, and its tokens stop verifying.
    const activeDel = await request(srv.url).delete(`/api/keys/${rotated.body.rotated[0]}`).set('Authorization', `Bearer ${admin}`);
    expect(activeDel.status).toBe(400);
    const del = await request(srv.url).delete(`/api/keys/${oldKid}`).set('Authorization', `Bearer ${admin}`);
    expect(del.status).toBe(204);
    expect((await introspect(srv.url, jwtClient.client_id, jwtClient.client_secret, before)).body.active).toBe(false);
    expect((await introspect(srv.url, jwtClient.client_id, jwtClient.client_secret, after)).body.active).toBe(true);
  });
});

describe('restart', () => {
  it('keeps clients, keys, APIs and tokens across a restart', async () => {
    const opaqueClient = await registerClient(srv.url, { scope: 'rsa:x' });
    const opaque = (await tokenRequest(srv.url, opaqueClient.client_id, opaqueClient.client_secret)).body.access_token as string;
    const signed = await jwt('ec:x');
    const jwksBefore = (await request(srv.url).get('/jwks')).body;

    await srv.stop();
    const port = new URL(srv.config.issuer).port;
    srv = await startTestServer({ PORT: port, ISSUER: srv.config.issuer }, DB);

    expect((await request(srv.url).get('/jwks')).body).toEqual(jwksBefore);
    expect((await introspect(srv.url, opaqueClient.client_id, opaqueClient.client_secret, opaque)).body.active).toBe(true);
    expect((await introspect(srv.url, jwtClient.client_id, jwtClient.client_secret, signed)).body.active).toBe(true);
    const again = await tokenRequest(srv.url, opaqueClient.client_id, opaqueClient.client_secret);
    expect(again.status).toBe(200);
  });

  it('refuses to start with a different KEY_ENCRYPTION_SECRET, naming the problem', async () => {
    await expect(startTestServer({ KEY_ENCRYPTION_SECRET: 'another-secret-that-is-long-enough-000000' }, DB))
      .rejects.toThrow(/KEY_ENCRYPTION_SECRET/);
  });

  it('follows an ISSUER change: the management API moves to the new identifier', async () => {
    await srv.stop();
    srv = await startTestServer({}, DB);
    const token = await adminToken(srv.url, srv.config.issuer);
    const apis = await request(srv.url).get('/api/apis').set('Authorization', `Bearer ${token}`);
    expect(apis.status).toBe(200);
    const system = (apis.body.apis as { identifier: string; system: boolean }[]).filter((a) => a.system);
    expect(system.map((a) => a.identifier)).toEqual([`${srv.config.issuer}/api`]);
  });
});
