import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

import Router from '@koa/router';
import { requireToken } from '@keyforge/resource-server';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import Koa from 'koa';
import * as oidc from 'openid-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { adminToken, basic, introspect, registerClient, revoke, tokenRequest, type RegisteredClient } from './support/oauth.js';
import { eventually, MAIN, spawnServer, stopServer, waitUntilUp, type ServerProcess } from './support/processes.js';
import { ADMIN_SECRET, DCR_TOKEN, freePort, startTestServer, type TestServer } from './support/test-server.js';

const API = 'https://dpop-orders.example.com';

let a: ServerProcess;
let b: ServerProcess;
let issuer: string;
let kit: Server;
let kitUrl: string;

interface ProofKey { privateKey: CryptoKey; jwk: JWK; jkt: string }

async function proofKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** A DPoP proof made by hand, so each check can be broken on purpose. */
async function proof(key: ProofKey, htm: string, htu: string, o: {
  ath?: string; iat?: number; typ?: string; jti?: string; nonce?: string; jwk?: JWK; alg?: string;
} = {}): Promise<string> {
  return new SignJWT({ htm, htu, jti: o.jti ?? randomUUID(), ...(o.ath ? { ath: o.ath } : {}), ...(o.nonce ? { nonce: o.nonce } : {}) })
    .setProtectedHeader({ typ: o.typ ?? 'dpop+jwt', alg: o.alg ?? 'ES256', jwk: o.jwk ?? key.jwk })
    .setIssuedAt(o.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

const athOf = (token: string) => createHash('sha256').update(token).digest('base64url');

function dpopTokenRequest(url: string, c: { client_id: string; client_secret: string }, dpop: string) {
  return tokenRequest(url, c.client_id, c.client_secret).set('DPoP', dpop);
}

const callKit = (path: string, headers: Record<string, string>) => {
  let r = request(kitUrl).get(path);
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
  return r;
};

describe.runIf(existsSync(MAIN))('DPoP (RFC 9449) across instances and at the kit', () => {
  let jwtClient: RegisteredClient;
  let opaqueClient: RegisteredClient;

  beforeAll(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${pa}`;
    const env = {
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: `t_dpop_${randomBytes(4).toString('hex')}`,
      ISSUER: issuer,
      ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      DCR_INITIAL_ACCESS_TOKEN: DCR_TOKEN,
      KEY_ENCRYPTION_SECRET: 'dpop-test-key-encryption-secret-000000000',
      CONFIG_REFRESH_SECONDS: '1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_TOKEN_PER_CLIENT: '0',
      RATE_LIMIT_TOKEN_PER_ADDRESS: '0',
      RATE_LIMIT_INTROSPECTION_PER_CLIENT: '0',
      RATE_LIMIT_INTROSPECTION_PER_ADDRESS: '0',
    };
    a = spawnServer(env, pa);
    await waitUntilUp(a, '/readyz');
    b = spawnServer(env, pb);
    await waitUntilUp(b, '/readyz');

    const admin = await adminToken(a.url, issuer);
    const created = await request(a.url).post('/api/apis').set('Authorization', `Bearer ${admin}`)
      .send({ identifier: API, name: 'DPoP orders', scopes: [{ name: 'dorders:read' }], signing_alg: 'ES256' });
    expect(created.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1500));
    jwtClient = await registerClient(a.url, { scope: 'dorders:read', access_token_strategy: 'jwt' });
    opaqueClient = await registerClient(a.url, { scope: 'dorders:read', access_token_strategy: 'opaque' });

    const router = new Router();
    router.get('/orders', requireToken({
      issuer, audience: API, clientId: 'admin', clientSecret: ADMIN_SECRET, logger: false, scopes: ['dorders:read'],
    }), (ctx) => {
      ctx.body = { client: ctx.state.token.clientId, bound: ctx.state.token.boundKey ?? null };
    });
    const port = await freePort();
    kit = createServer(new Koa().use(router.routes()).callback());
    await new Promise<void>((r) => kit.listen(port, '127.0.0.1', r));
    kitUrl = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(async () => {
    kit?.close();
    await Promise.all([a && stopServer(a), b && stopServer(b)]);
  });

  it('works end to end with openid-client (a DPoP client nobody here wrote), for JWTs and opaque tokens', async () => {
    for (const c of [jwtClient, opaqueClient]) {
      const config = await oidc.discovery(new URL(issuer), c.client_id, undefined, oidc.ClientSecretBasic(c.client_secret), {
        execute: [oidc.allowInsecureRequests],
      });
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
      const DPoP = oidc.getDPoPHandle(config, keyPair);
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'dorders:read' }, { DPoP });
      expect(tokens.token_type).toBe('dpop');
      if (c === jwtClient) expect((decodeJwt(tokens.access_token)['cnf'] as { jkt: string }).jkt).toBe(jkt);

      // Our introspection, at the other instance (RFC 9449 §6.2).
      const seen = await introspect(b.url, c.client_id, c.client_secret, tokens.access_token);
      expect(seen.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });

      const asKit = await introspect(a.url, 'admin', ADMIN_SECRET, tokens.access_token);
      expect(asKit.body, c === jwtClient ? 'jwt' : 'opaque').toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
      const res = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${kitUrl}/orders`), 'GET', undefined, undefined, { DPoP });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ client: c.client_id, bound: jkt });

      // Revoked: refused at the kit (JWTs through the revocation feed, opaque ones by introspection).
      expect((await revoke(a.url, c.client_id, c.client_secret, tokens.access_token)).status).toBe(200);
      expect(await eventually(async () =>
        (await introspect(b.url, c.client_id, c.client_secret, tokens.access_token)).body.active === false, 5000, 50)).toBe(true);
    }
  });

  it('attack: a replayed proof is refused on a second instance, and only one of a concurrent burst wins', async () => {
    const key = await proofKey();
    const p = await proof(key, 'POST', `${issuer}/token`);
    expect((await dpopTokenRequest(a.url, opaqueClient, p)).status).toBe(200);
    const again = await dpopTokenRequest(b.url, opaqueClient, p);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_dpop_proof');

    // The same fresh proof at both instances at once: the jti is claimed once across them.
    let won = 0;
    for (let round = 0; round < 3; round++) {
      const burst = await proof(key, 'POST', `${issuer}/token`);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => dpopTokenRequest(i % 2 ? b.url : a.url, opaqueClient, burst)));
      const ok = answers.filter((r) => r.status === 200).length;
      expect(ok, `round ${round}`).toBe(1);
      won += ok;
      for (const r of answers.filter((x) => x.status !== 200)) expect(r.body.error).toBe('invalid_dpop_proof');
    }
    expect(won).toBe(3);
  });

  it('attack: checks every part of a proof at the token endpoint (RFC 9449 §4.3)', async () => {
    const key = await proofKey();
    const htu = `${issuer}/token`;
    const { privateKey: hsKey } = { privateKey: new Uint8Array(32) };
    const privateJwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
    const cases: [string, string][] = [
      ['typ', await proof(key, 'POST', htu, { typ: 'JWT' })],
      ['htm', await proof(key, 'GET', htu)],
      ['htu', await proof(key, 'POST', `${issuer}/other`)],
      ['iat', await proof(key, 'POST', htu, { iat: Math.floor(Date.now() / 1000) - 3600 })],
      ['private jwk', await proof(key, 'POST', htu, { jwk: privateJwk })],
      ['symmetric alg', await new SignJWT({ htm: 'POST', htu, jti: randomUUID() })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(hsKey).toString('base64url') } } as unknown as { alg: string })
        .setIssuedAt().sign(hsKey)],
      ['garbage', 'not-a-jwt'],
    ];
    for (const [what, p] of cases) {
      const res = await dpopTokenRequest(a.url, jwtClient, p);
      expect(res.status, what).toBe(400);
      expect(res.body.error, what).toBe('invalid_dpop_proof');
    }
    // htu is compared without query and fragment.
    expect((await dpopTokenRequest(a.url, jwtClient, await proof(key, 'POST', `${htu}?x=1#y`))).status).toBe(200);
  });

  it('gives a client registered with dpop_bound_access_tokens nothing but bound tokens', async () => {
    const c = await registerClient(a.url, { scope: 'dorders:read', access_token_strategy: 'jwt', dpop_bound_access_tokens: true });
    expect(c['dpop_bound_access_tokens']).toBe(true);
    const plain = await tokenRequest(b.url, c.client_id, c.client_secret);
    expect(plain.status).toBe(400);
    expect(plain.body.error).toBe('invalid_dpop_proof');
    expect(plain.body.error_description).toMatch(/DPoP/);
    const key = await proofKey();
    const bound = await dpopTokenRequest(b.url, c, await proof(key, 'POST', `${issuer}/token`));
    expect(bound.status).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
    // Registration metadata is checked: a non-boolean is refused as RFC 7591 says.
    const bad = await request(a.url).post('/reg').set('Authorization', `Bearer ${DCR_TOKEN}`)
      .send({ scope: 'dorders:read', dpop_bound_access_tokens: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_client_metadata');
  });

  it('gives an application with "require DPoP" only bound tokens, and shows it on its key sets', async () => {
    const admin = await adminToken(a.url, issuer);
    const app = await request(a.url).post('/api/applications').set('Authorization', `Bearer ${admin}`)
      .send({ name: 'dpop app', token_type: 'OAuth', subscriptions: [API], require_dpop: true });
    expect(app.status).toBe(201);
    expect(app.body.require_dpop).toBe(true);
    const keys = await request(a.url).post(`/api/applications/${app.body.id}/keys/production`).set('Authorization', `Bearer ${admin}`)
      .send({ scopes: ['dorders:read'] });
    expect(keys.status).toBe(201);
    expect(keys.body.dpop_bound).toBe(true);
    const c = { client_id: keys.body.consumer_key as string, client_secret: keys.body.consumer_secret as string };
    expect((await tokenRequest(b.url, c.client_id, c.client_secret)).status).toBe(400);
    const key = await proofKey();
    const bound = await dpopTokenRequest(b.url, c, await proof(key, 'POST', `${issuer}/token`));
    expect(bound.body.token_type).toBe('DPoP');

    // Switched off again: bearer tokens are allowed.
    const off = await request(a.url).patch(`/api/applications/${app.body.id}`).set('Authorization', `Bearer ${admin}`).send({ require_dpop: false });
    expect(off.status).toBe(200);
    await new Promise((r) => setTimeout(r, 5500)); // CLIENT_CACHE_SECONDS at b
    expect((await tokenRequest(b.url, c.client_id, c.client_secret)).status).toBe(200);
  });

  describe('attack: the kit', () => {
    let token: string;
    let key: ProofKey;
    const url = () => `${kitUrl}/orders`;

    beforeAll(async () => {
      key = await proofKey();
      const res = await dpopTokenRequest(a.url, jwtClient, await proof(key, 'POST', `${issuer}/token`));
      token = res.body.access_token as string;
    });

    it('accepts the token with a proof from its key', async () => {
      const res = await callKit('/orders', { Authorization: `DPoP ${token}`, DPoP: await proof(key, 'GET', url(), { ath: athOf(token) }) });
      expect(res.status).toBe(200);
    });

    it('refuses the bound token sent as Bearer', async () => {
      const res = await callKit('/orders', { Authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^DPoP /);
    });

    it('refuses it without a proof', async () => {
      const res = await callKit('/orders', { Authorization: `DPoP ${token}` });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_dpop_proof');
      expect(res.headers['www-authenticate']).toMatch(/^DPoP realm="[^"]+", error="invalid_dpop_proof", .*algs="ES256/);
    });

    it('refuses it with a proof signed by another key', async () => {
      const other = await proofKey();
      const res = await callKit('/orders', { Authorization: `DPoP ${token}`, DPoP: await proof(other, 'GET', url(), { ath: athOf(token) }) });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^DPoP /);
    });

    it('refuses a replayed proof, a wrong ath, htm or htu, an old iat and a private jwk', async () => {
      const good = await proof(key, 'GET', url(), { ath: athOf(token) });
      expect((await callKit('/orders', { Authorization: `DPoP ${token}`, DPoP: good })).status).toBe(200);
      const privateJwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
      const bad: [string, string][] = [
        ['replay', good],
        ['ath', await proof(key, 'GET', url(), { ath: athOf('another token') })],
        ['no ath', await proof(key, 'GET', url())],
        ['htm', await proof(key, 'POST', url(), { ath: athOf(token) })],
        ['htu', await proof(key, 'GET', `${kitUrl}/elsewhere`, { ath: athOf(token) })],
        ['iat', await proof(key, 'GET', url(), { ath: athOf(token), iat: Math.floor(Date.now() / 1000) - 600 })],
        ['typ', await proof(key, 'GET', url(), { ath: athOf(token), typ: 'JWT' })],
        ['private jwk', await proof(key, 'GET', url(), { ath: athOf(token), jwk: privateJwk })],
      ];
      for (const [what, p] of bad) {
        const res = await callKit('/orders', { Authorization: `DPoP ${token}`, DPoP: p });
        expect(res.status, what).toBe(401);
        expect(res.body.error, what).toBe('invalid_dpop_proof');
      }
    });

    it('refuses an unbound token sent with the DPoP scheme, and still accepts it as Bearer', async () => {
      const plain = (await tokenRequest(a.url, jwtClient.client_id, jwtClient.client_secret)).body.access_token as string;
      const res = await callKit('/orders', { Authorization: `DPoP ${plain}`, DPoP: await proof(key, 'GET', url(), { ath: athOf(plain) }) });
      expect(res.status).toBe(401);
      expect((await callKit('/orders', { Authorization: `Bearer ${plain}` })).status).toBe(200);
    });
  });
});

describe('server-provided nonces (DPOP_REQUIRE_NONCE, RFC 9449 §8)', () => {
  let srv: TestServer;
  let c: RegisteredClient;

  beforeAll(async () => {
    srv = await startTestServer({ DPOP_REQUIRE_NONCE: 'true' });
    const admin = await adminToken(srv.url, srv.config.issuer);
    await request(srv.url).post('/api/apis').set('Authorization', `Bearer ${admin}`)
      .send({ identifier: API, name: 'Nonce orders', scopes: [{ name: 'norders:read' }] });
    c = await registerClient(srv.url, { scope: 'norders:read' });
  });
  afterAll(() => srv?.destroy());

  it('answers use_dpop_nonce with a nonce first, then accepts a proof that carries it', async () => {
    const key = await proofKey();
    const htu = `${srv.config.issuer}/token`;
    const first = await dpopTokenRequest(srv.url, c, await proof(key, 'POST', htu));
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toBeTruthy();
    const second = await dpopTokenRequest(srv.url, c, await proof(key, 'POST', htu, { nonce }));
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    // A made-up nonce is refused, with a fresh one to use.
    const made = await dpopTokenRequest(srv.url, c, await proof(key, 'POST', htu, { nonce: 'made-up' }));
    expect(made.body.error).toBe('use_dpop_nonce');
    // A bearer token request is not affected.
    expect((await request(srv.url).post('/token').set('Authorization', basic(c.client_id, c.client_secret)).type('form')
      .send({ grant_type: 'client_credentials' })).status).toBe(200);
  });

  it('works with openid-client, which retries with the nonce by itself', async () => {
    const config = await oidc.discovery(new URL(srv.config.issuer), c.client_id, undefined, oidc.ClientSecretBasic(c.client_secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    let tokens: Awaited<ReturnType<typeof oidc.clientCredentialsGrant>> | undefined;
    try {
      tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP });
    } catch (err) {
      // openid-client leaves the one retry to the caller: it has stored the nonce by now.
      if (!(err instanceof oidc.ResponseBodyError) || err.error !== 'use_dpop_nonce') throw err;
      tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP });
    }
    expect(tokens.token_type).toBe('dpop');
  });
});
