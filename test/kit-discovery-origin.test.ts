import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createResourceServer } from '@keyforge/resource-server';

const AUDIENCE = 'https://orders.example.com';

function listen(handler: RequestListener): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const json = (res: Parameters<RequestListener>[1], body: unknown) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
};

/**
 * Discovery that names the right issuer but sends the kit elsewhere for keys or
 * introspection (a tampered or mis-proxied document): the kit must refuse it, never fetch
 * keys an attacker serves and accept the tokens they sign.
 */
describe('the resource-server kit trusts endpoints only on the issuer origin', () => {
  let issuer: { server: Server; url: string };
  let attacker: { server: Server; url: string };
  let attackerHits = 0;
  let metadata: (issuerUrl: string, attackerUrl: string) => Record<string, unknown>;
  let forged: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'attacker', alg: 'ES256', use: 'sig' };
    attacker = await listen((req, res) => {
      attackerHits++;
      if (req.url === '/jwks') return json(res, { keys: [jwk] });
      json(res, { active: true, scope: 'orders:read', client_id: 'mallory', aud: AUDIENCE, token_type: 'Bearer' });
    });
    issuer = await listen((req, res) => {
      if (req.url?.startsWith('/.well-known/')) return json(res, metadata(issuer.url, attacker.url));
      if (req.url?.startsWith('/token/revocations')) {
        return json(res, { revoked: [], cursor: 'c', has_more: false, audiences: [AUDIENCE], all_audiences: false });
      }
      res.statusCode = 404;
      res.end();
    });
    const now = Math.floor(Date.now() / 1000);
    forged = await new SignJWT({ scope: 'orders:read', client_id: 'mallory' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker' })
      .setIssuer(issuer.url).setAudience(AUDIENCE).setSubject('mallory')
      .setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID())
      .sign(privateKey);
  });
  afterEach(() => {
    attackerHits = 0;
  });
  afterAll(async () => {
    await close(issuer.server);
    await close(attacker.server);
  });

  const kit = () => createResourceServer({ issuer: issuer.url, audience: AUDIENCE, clientId: 'orders-api', clientSecret: 's' });

  it('refuses a jwks_uri on another origin and never fetches it', async () => {
    metadata = (iss, evil) => ({ issuer: iss, jwks_uri: `${evil}/jwks`, introspection_endpoint: `${iss}/token/introspection` });
    await expect(kit().authenticate(`Bearer ${forged}`)).rejects.toMatchObject({
      name: 'AuthorizationServerUnavailable',
      message: expect.stringMatching(/jwks_uri .* is not on the issuer's origin/),
    });
    expect(attackerHits).toBe(0);
  });

  it('refuses an introspection_endpoint on another origin and never calls it', async () => {
    metadata = (iss, evil) => ({ issuer: iss, jwks_uri: `${iss}/jwks`, introspection_endpoint: `${evil}/introspect` });
    await expect(kit().authenticate('Bearer an-opaque-token-0123456789')).rejects.toMatchObject({
      name: 'AuthorizationServerUnavailable',
      message: expect.stringMatching(/introspection_endpoint .* is not on the issuer's origin/),
    });
    expect(attackerHits).toBe(0);
  });

  it.each([
    ['a look-alike host', (iss: string) => iss.replace('127.0.0.1', '127.0.0.1.evil.example')],
    ['userinfo in the URL', (iss: string) => iss.replace('http://', 'http://x@')],
    ['another scheme', (iss: string) => iss.replace('http://', 'https://')],
    ['not a URL', () => 'jwks'],
  ])('refuses %s', async (_what, variant) => {
    metadata = (iss) => ({ issuer: iss, jwks_uri: `${variant(iss)}/jwks`, introspection_endpoint: `${iss}/token/introspection` });
    await expect(kit().authenticate(`Bearer ${forged}`)).rejects.toMatchObject({
      name: 'AuthorizationServerUnavailable',
      message: expect.stringMatching(/jwks_uri .* is not on the issuer's origin/),
    });
  });
});
