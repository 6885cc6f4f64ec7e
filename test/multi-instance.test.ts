import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { adminToken, introspect, registerClient, revoke, tokenRequest } from './support/oauth.js';
import { eventually, MAIN, spawnServer, stopServer, waitUntilUp, type ServerProcess } from './support/processes.js';
import { ADMIN_SECRET, DCR_TOKEN, freePort } from './support/test-server.js';

let a: ServerProcess;
let b: ServerProcess;
let issuer: string;

describe.runIf(existsSync(MAIN))('several instances on one database', () => {
  beforeAll(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${pa}`;
    const env = {
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: `t_multi_${randomBytes(4).toString('hex')}`,
      ISSUER: issuer,
      ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      DCR_INITIAL_ACCESS_TOKEN: DCR_TOKEN,
      KEY_ENCRYPTION_SECRET: 'multi-instance-key-encryption-secret-0000',
      CONFIG_REFRESH_SECONDS: '1',
      REVOCATION_SYNC_MS: '200',
      // Client changes must travel as events, not wait out the client cache.
      CLIENT_CACHE_SECONDS: '300',
      KEY_ACTIVATION_DELAY_SECONDS: '3',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_TOKEN_PER_CLIENT: '0',
      RATE_LIMIT_TOKEN_PER_ADDRESS: '0',
    };
    a = spawnServer(env, pa);
    await waitUntilUp(a, '/readyz');
    b = spawnServer(env, pb);
    await waitUntilUp(b, '/readyz');
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a && stopServer(a), b && stopServer(b)]);
  });

  it('a client disabled on one instance is refused by the other within the sync interval, not the client cache', async () => {
    const admin = await adminToken(a.url, issuer);
    const c = await registerClient(a.url, {});
    // The other instance has it cached.
    expect((await tokenRequest(b.url, c.client_id, c.client_secret, { scope: '' })).status).not.toBe(401);
    expect((await request(a.url).post(`/api/clients/${c.client_id}/disable`).set('Authorization', `Bearer ${admin}`)).status).toBe(200);
    const t0 = Date.now();
    expect(await eventually(async () => (await tokenRequest(b.url, c.client_id, c.client_secret)).status === 401, 5000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await request(a.url).post(`/api/clients/${c.client_id}/enable`).set('Authorization', `Bearer ${admin}`)).status).toBe(200);
    expect(await eventually(async () => (await tokenRequest(b.url, c.client_id, c.client_secret)).status !== 401, 5000)).toBe(true);
  });

  it('shares clients, tokens, revocations and API changes', async () => {
    const admin = await adminToken(a.url, issuer);
    const created = await request(a.url).post('/api/apis').set('Authorization', `Bearer ${admin}`)
      .send({ identifier: 'https://shared.example.com', name: 'Shared', scopes: [{ name: 'shared:read' }] });
    expect(created.status).toBe(201);
    // API changes reach the other instance within CONFIG_REFRESH_SECONDS.
    expect(await eventually(async () =>
      ((await request(b.url).get('/.well-known/openid-configuration')).body.scopes_supported as string[])
        .includes('shared:read'))).toBe(true);

    for (const strategy of ['opaque', 'jwt']) {
      // Registered at A, usable at B at once.
      const c = await registerClient(a.url, { scope: 'shared:read', access_token_strategy: strategy });
      const issued = await tokenRequest(b.url, c.client_id, c.client_secret);
      expect(issued.status).toBe(200);
      const tok = issued.body.access_token as string;
      expect((await introspect(a.url, c.client_id, c.client_secret, tok)).body.active).toBe(true);
      expect((await revoke(a.url, c.client_id, c.client_secret, tok)).status).toBe(200);
      expect((await introspect(a.url, c.client_id, c.client_secret, tok)).body.active).toBe(false);
      // B issued it and holds it in its cache: the revocation reaches B within REVOCATION_SYNC_MS.
      const revokedAt = Date.now();
      expect(await eventually(async () =>
        (await introspect(b.url, c.client_id, c.client_secret, tok)).body.active === false, 5000, 20)).toBe(true);
      expect(Date.now() - revokedAt).toBeLessThan(2 * 200 + 1000);
    }
  });

  it('rotates keys at one instance without a token the other cannot verify', async () => {
    const admin = await adminToken(a.url, issuer);
    const c = await registerClient(a.url, { scope: 'shared:read', access_token_strategy: 'jwt' });
    const before = (await tokenRequest(a.url, c.client_id, c.client_secret)).body.access_token as string;
    const rotated = await request(a.url).post('/api/keys/rotate').set('Authorization', `Bearer ${admin}`)
      .send({ algs: ['RS256'] });
    expect(rotated.status).toBe(200);
    const newKid = rotated.body.rotated[0] as string;

    // Until the new key signs, both instances must already publish it.
    const seen = new Set<string>();
    const deadline = Date.now() + 12_000;
    while (Date.now() < deadline) {
      for (const inst of [a, b]) {
        const t = (await tokenRequest(inst.url, c.client_id, c.client_secret)).body.access_token as string;
        const kid = decodeProtectedHeader(t).kid!;
        seen.add(kid);
        for (const verifier of [a, b]) {
          // Whichever instance signed, every instance verifies: by JWKS and by introspection.
          await jwtVerify(t, createRemoteJWKSet(new URL(`${verifier.url}/jwks`)), { issuer });
          expect((await introspect(verifier.url, c.client_id, c.client_secret, t)).body.active).toBe(true);
        }
      }
      if (seen.has(newKid)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen.has(newKid)).toBe(true);
    expect((await introspect(b.url, c.client_id, c.client_secret, before)).body.active).toBe(true);
  }, 60_000);
});
