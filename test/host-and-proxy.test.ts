import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tokenRequest } from './support/oauth.js';
import { DCR_TOKEN, startTestServer, type TestServer } from './support/test-server.js';

const EVIL = 'evil.example';

/** Every value in discovery that is a URL of ours. */
function endpointsOf(body: Record<string, unknown>): [string, string][] {
  return Object.entries(body)
    .filter(([key, value]) => typeof value === 'string' && (key.endsWith('_endpoint') || key.endsWith('_uri')))
    .map(([key, value]) => [key, value as string]);
}

describe('URLs come from ISSUER, never from the request', () => {
  let srv: TestServer;
  beforeAll(async () => {
    // Behind a proxy X-Forwarded-Host and -Proto are read too: they must not leak into URLs either.
    srv = await startTestServer({ TRUST_PROXY: 'true' });
  });
  afterAll(() => srv?.destroy());

  it.each([
    ['/.well-known/openid-configuration'],
    ['/.well-known/oauth-authorization-server'],
  ])('%s ignores a forged Host and X-Forwarded-Host', async (path) => {
    for (const headers of [
      { Host: EVIL },
      { 'X-Forwarded-Host': EVIL, 'X-Forwarded-Proto': 'https' },
    ]) {
      const res = await request(srv.url).get(path).set(headers);
      expect(res.status).toBe(200);
      expect(res.body.issuer).toBe(srv.config.issuer);
      const endpoints = endpointsOf(res.body as Record<string, unknown>);
      expect(endpoints.map(([k]) => k)).toEqual(expect.arrayContaining(['jwks_uri', 'token_endpoint', 'registration_endpoint']));
      for (const [key, value] of endpoints) {
        expect(`${key}=${value}`).toBe(`${key}=${srv.config.issuer}${new URL(value).pathname}`);
      }
      // A shared cache may keep it, and may: it no longer depends on the request.
      expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    }
  });

  it('a registration answer names the client URL under ISSUER (RFC 7591 / 7592)', async () => {
    const reg = await request(srv.url).post('/reg').set('Host', EVIL)
      .set('Authorization', `Bearer ${DCR_TOKEN}`).send({});
    expect(reg.status).toBe(201);
    expect(reg.body.registration_client_uri).toBe(`${srv.config.issuer}/reg/${reg.body.client_id}`);
    expect(reg.headers['location'] ?? reg.body.registration_client_uri).not.toContain(EVIL);

    const read = await request(srv.url).get(`/reg/${reg.body.client_id}`).set('X-Forwarded-Host', EVIL)
      .set('Authorization', `Bearer ${reg.body.registration_access_token}`);
    expect(read.status).toBe(200);
    expect(read.body.registration_client_uri).toBe(`${srv.config.issuer}/reg/${reg.body.client_id}`);
  });
});

describe('the client address behind proxies (TRUST_PROXY hops)', () => {
  // The proxy appends the address it saw; anything left of that came from the client.
  it('one trusted proxy: a forged X-Forwarded-For prefix does not reset the per-address limit', async () => {
    const srv = await startTestServer({ TRUST_PROXY: 'true', RATE_LIMIT_TOKEN_PER_ADDRESS: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await tokenRequest(srv.url, 'nobody', 'x').set('X-Forwarded-For', `198.51.100.${i}, 203.0.113.7`);
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Another real client behind the same proxy has its own budget.
      expect((await tokenRequest(srv.url, 'nobody', 'x').set('X-Forwarded-For', '203.0.113.8')).status).toBe(401);
    } finally {
      await srv.destroy();
    }
  });

  it('TRUST_PROXY=2: the address two hops back is the client, whatever precedes it', async () => {
    const srv = await startTestServer({ TRUST_PROXY: '2', RATE_LIMIT_TOKEN_PER_ADDRESS: '2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await tokenRequest(srv.url, 'nobody', 'x').set('X-Forwarded-For', `10.9.9.${i}, 203.0.113.7, 10.0.0.2`);
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 429, 429]);
      expect((await tokenRequest(srv.url, 'nobody', 'x').set('X-Forwarded-For', '203.0.113.9, 10.0.0.2')).status).toBe(401);
    } finally {
      await srv.destroy();
    }
  });

  it('without TRUST_PROXY X-Forwarded-For is ignored', async () => {
    const srv = await startTestServer({ RATE_LIMIT_TOKEN_PER_ADDRESS: '2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await tokenRequest(srv.url, 'nobody', 'x').set('X-Forwarded-For', `198.51.100.${i}`)).status);
      }
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await srv.destroy();
    }
  });
});
