import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, registerClient, tokenRequest } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// Found by the outside attack on the running server (issue 9's last round); each failed first.

let srv: TestServer;
let url: string;
let issuer: string;
let admin: string;

beforeAll(async () => {
  srv = await startTestServer({ RATE_LIMIT_TOKEN_PER_CLIENT: '5', TRUST_PROXY: '1' });
  url = srv.url;
  issuer = srv.config.issuer;
  admin = await adminToken(url, issuer);
  await createApi(url, admin, { identifier: 'https://orders.example.com', name: 'Orders', scopes: [{ name: 'orders:read' }] });
});
afterAll(() => srv?.destroy());

const api = (method: 'get' | 'post' | 'patch', path: string) =>
  request(url)[method](`/api${path}`).set('Authorization', `Bearer ${admin}`);

describe('F1: one client assertion authenticates once, wherever it is used', () => {
  it('refuses at introspection an assertion used at /token, and at /token one used at revocation', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await registerClient(url, {
      scope: 'orders:read', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, token_endpoint_auth_signing_alg: 'ES256',
    });
    const assertion = () => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(c.client_id).setSubject(c.client_id).setAudience(issuer)
      .setIssuedAt().setExpirationTime('1m').setJti(crypto.randomUUID()).sign(privateKey);
    const auth = (a: string) => ({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });

    const first = await assertion();
    const tok = await request(url).post('/token').type('form').send({ grant_type: 'client_credentials', ...auth(first) });
    expect(tok.status).toBe(200);
    const again = await request(url).post('/token/introspection').type('form').send({ ...auth(first), token: tok.body.access_token });
    expect(again.status).toBe(401);

    const second = await assertion();
    expect((await request(url).post('/token/revocation').type('form').send({ ...auth(second), token: 'x' })).status).toBe(200);
    const reuse = await request(url).post('/token').type('form').send({ grant_type: 'client_credentials', ...auth(second) });
    expect(reuse.status).toBe(401);
  });
});

describe('F2 and F4: the per-client /token budget', () => {
  it('is not spent by someone else\'s wrong secrets', async () => {
    const victim = await registerClient(url, { scope: 'orders:read' });
    for (let i = 0; i < 8; i++) {
      const res = await tokenRequest(url, victim.client_id, `wrong-${i}`).set('X-Forwarded-For', `203.0.113.${i}`);
      expect(res.status).toBe(401);
    }
    await srv.services.limiter.flush();
    const mine = await tokenRequest(url, victim.client_id, victim.client_secret).set('X-Forwarded-For', '198.51.100.7');
    expect(mine.status).toBe(200);
  });

  it('holds under a parallel burst on one instance', async () => {
    const c = await registerClient(url, { scope: 'orders:read' });
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      tokenRequest(url, c.client_id, c.client_secret).set('X-Forwarded-For', `192.0.2.${i}`)));
    expect(burst.filter((r) => r.status === 200).length).toBeLessThanOrEqual(5);
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(15);
  });
});

// Found by the outside attack of issue 10's round: with the secret in the form body, the client's
// id was unknown when the limit was checked, so its requests were counted but never refused.
describe('F10: the per-client /token budget holds for client_secret_post', () => {
  const post = (c: { client_id: string; client_secret: string }, address: string) => request(url).post('/token').type('form')
    .set('X-Forwarded-For', address)
    .send({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });

  it('refuses sequential requests past the limit', async () => {
    const c = await registerClient(url, { scope: 'orders:read', token_endpoint_auth_method: 'client_secret_post' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(c, `198.18.0.${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('holds under a parallel burst, chunked bodies too', async () => {
    const c = await registerClient(url, { scope: 'orders:read', token_endpoint_auth_method: 'client_secret_post' });
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret }).toString();
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => i % 2
      ? post(c, `198.18.1.${i}`)
      : fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': `198.18.1.${i}` },
        // A stream body goes out chunked, with no Content-Length.
        body: new Blob([form]).stream(),
        duplex: 'half',
      } as RequestInit).then((r) => ({ status: r.status }))));
    expect(burst.filter((r) => r.status === 200).length).toBeLessThanOrEqual(5);
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(15);
  });

  it('refuses a client assertion without client_id past the limit', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await registerClient(url, {
      scope: 'orders:read', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, token_endpoint_auth_signing_alg: 'ES256',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(c.client_id).setSubject(c.client_id).setAudience(issuer)
        .setIssuedAt().setExpirationTime('1m').setJti(crypto.randomUUID()).sign(privateKey);
      statuses.push((await request(url).post('/token').type('form').set('X-Forwarded-For', `198.18.2.${i}`).send({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });

  it('still answers a malformed or oversized form as the token endpoint does', async () => {
    const dup = await request(url).post('/token').type('form').send('grant_type=client_credentials&client_id=a&client_id=b&client_secret=x');
    expect(dup.status).toBe(400);
    expect(dup.body.error).toBe('invalid_request');
    const big = await request(url).post('/token').type('form').send(`grant_type=client_credentials&pad=${'x'.repeat(60 * 1024)}`);
    expect([400, 413]).toContain(big.status);
    expect(big.body.error).toBe('invalid_request');
  });
});

describe('F5 and F6: imported signing keys are checked before anything is written', () => {
  it('refuses a key whose alg does not fit its key, or whose public half is not its own', async () => {
    const exported = (await api('get', '/export')).body as { signing_keys: Record<string, unknown>[] };
    const rsa = exported.signing_keys.find((k) => k['alg'] === 'RS256')!;
    const before = JSON.stringify((await api('get', '/keys')).body);

    const mislabelled = await api('post', '/import').send({ format: 'keyforge-export', version: 1, signing_keys: [{ ...rsa, alg: 'EdDSA' }] });
    expect(mislabelled.status).toBe(400);
    const foreign = await api('post', '/import').send({
      format: 'keyforge-export', version: 1, signing_keys: [{ ...rsa, public_jwk: { kty: 'oct', k: 'AAAA' } }],
    });
    expect(foreign.status).toBe(400);
    expect(JSON.stringify((await api('get', '/keys')).body)).toBe(before);
  });
});

describe('F7 and F8: the management API and the admin scope stay the environment\'s', () => {
  it('refuses changes to the management API', async () => {
    const mgmt = encodeURIComponent(`${issuer}/api`);
    const res = await api('patch', `/apis/${mgmt}`).send({ name: 'x', scopes: [{ name: 'admin' }, { name: 'x3' }] });
    expect(res.status).toBe(400);
    const c = await registerClient(url, { scope: 'orders:read' });
    const link = await api('post', `/apis/${mgmt}/resource-servers`).send({ client_id: c.client_id });
    expect(link.status).toBe(400);
  });

  it('refuses an imported client that holds the admin scope', async () => {
    const res = await api('post', '/import').send({
      format: 'keyforge-export', version: 1,
      clients: [{ client_id: 'imported-admin', metadata: { client_id: 'imported-admin', client_secret: 'a-secret-of-enough-length-000', scope: 'admin', grant_types: ['client_credentials'] } }],
    });
    expect(res.status).toBe(400);
    expect((await tokenRequest(url, 'imported-admin', 'a-secret-of-enough-length-000', { resource: `${issuer}/api`, scope: 'admin' })).status).toBe(401);
  });
});

describe('F9: discovery advertises only what is served', () => {
  it('has no pushed authorization request endpoint', async () => {
    const d = (await request(url).get('/.well-known/oauth-authorization-server')).body as Record<string, unknown>;
    expect(d['pushed_authorization_request_endpoint']).toBeUndefined();
    expect(d['require_pushed_authorization_requests']).toBeUndefined();
  });
});

// Found by the outside attack of issue 10's round: an import took client ids that /token then
// refuses with an error code RFC 6749 §5.2 does not have.
describe('F11: imported client ids are what RFC 6749 allows (VSCHAR, printable ASCII)', () => {
  it.each([['a newline', 'imp\nline'], ['a tab', 'imp\ttab'], ['a non-ASCII letter', 'impé'], ['a carriage return', 'imp\r\nx']])(
    'refuses a client id with %s, and imports a printable one',
    async (_what, id) => {
      const metadata = (client_id: string) => ({ client_id, client_secret: 'a-secret-of-enough-length-000', scope: 'orders:read', grant_types: ['client_credentials'] });
      const bad = await api('post', '/import').send({ format: 'keyforge-export', version: 1, clients: [{ client_id: id, metadata: metadata(id) }] });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('invalid_request');
      const ok = `imp-ok ${id.length}~!`;
      const good = await api('post', '/import').send({ format: 'keyforge-export', version: 1, clients: [{ client_id: ok, metadata: metadata(ok) }] });
      expect(good.status).toBe(200);
    },
  );
});
