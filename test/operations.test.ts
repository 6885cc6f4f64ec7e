import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, basic, createApi, introspect, registerClient, revoke, tokenRequest } from './support/oauth.js';
import { eventually } from './support/processes.js';
import { DCR_TOKEN, startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;
let admin: string;

beforeAll(async () => {
  srv = await startTestServer();
  admin = await adminToken(srv.url, srv.config.issuer);
  await createApi(srv.url, admin, { identifier: 'https://ops.example.com', name: 'Ops', scopes: [{ name: 'ops:x' }] });
});
afterAll(() => srv?.destroy());

describe('probes, metrics, headers', () => {
  it('healthz and readyz', async () => {
    expect((await request(srv.url).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(srv.url).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: true, keys: true });
  });

  it('counts tokens by format and introspections by result in /metrics', async () => {
    const c = await registerClient(srv.url, { scope: 'ops:x', access_token_strategy: 'jwt' });
    const t = (await tokenRequest(srv.url, c.client_id, c.client_secret)).body.access_token as string;
    await request(srv.url).post('/token/introspection').auth(c.client_id, c.client_secret).type('form').send({ token: t });
    await tokenRequest(srv.url, c.client_id, 'wrong');
    const text = (await request(srv.url).get('/metrics')).text;
    expect(text).toMatch(/keyforge_tokens_issued_total\{format="jwt",key_type="none"\} [1-9]/);
    expect(text).toMatch(/keyforge_introspections_total\{result="active"\} [1-9]/);
    expect(text).toMatch(/keyforge_errors_total\{kind="invalid_client",status="401"\} [1-9]/);
    expect(text).toMatch(/keyforge_http_request_duration_seconds_bucket\{le="[^"]+",endpoint="\/token",method="POST",status="200"\}/);
    expect(text).toMatch(/keyforge_db_command_duration_seconds_count\{command="insert",outcome="ok"\} [1-9]/);
  });

  it('sets request ids and security headers on every response', async () => {
    for (const path of ['/healthz', '/jwks', '/api/apis', '/nope', '/.well-known/openid-configuration']) {
      const res = await request(srv.url).get(path).set('X-Request-Id', 'abc-123');
      expect(res.headers['x-request-id']).toBe('abc-123');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    const generated = await request(srv.url).get('/healthz').set('X-Request-Id', 'bad id with spaces');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('audit log', () => {
  it('records administrative changes, registrations and revocations, never secrets', async () => {
    const c = await registerClient(srv.url, { scope: 'ops:x' });
    const t = (await tokenRequest(srv.url, c.client_id, c.client_secret)).body.access_token as string;
    await revoke(srv.url, c.client_id, c.client_secret, t);
    await request(srv.url).post('/api/keys/rotate').set('Authorization', `Bearer ${admin}`).send({ algs: ['ES256'] });
    const found = await eventually(async () => {
      const res = await request(srv.url).get('/api/audit-log?limit=50').set('Authorization', `Bearer ${admin}`);
      const actions = (res.body.entries as { action: string }[]).map((e) => e.action);
      return ['client.register', 'token.revoke', 'signing_key.rotate', 'api.create'].every((a) => actions.includes(a));
    }, 5000);
    expect(found).toBe(true);
    const res = await request(srv.url).get('/api/audit-log?limit=200').set('Authorization', `Bearer ${admin}`);
    const all = JSON.stringify(res.body);
    expect(all).not.toContain(c.client_secret);
    expect(all).not.toContain(t);
    expect(all).not.toContain(DCR_TOKEN);
    const entry = (res.body.entries as { action: string; actor: string; ip: string; at: string }[])
      .find((e) => e.action === 'signing_key.rotate')!;
    expect(entry.actor).toBe('client:admin');
    expect(entry.ip).toBeTruthy();
    expect(Date.parse(entry.at)).toBeGreaterThan(0);

    const filtered = await request(srv.url).get('/api/audit-log?action=token.revoke').set('Authorization', `Bearer ${admin}`);
    expect((filtered.body.entries as { action: string }[]).every((e) => e.action === 'token.revoke')).toBe(true);
    expect((await request(srv.url).get('/api/audit-log?limit=0').set('Authorization', `Bearer ${admin}`)).status).toBe(400);
    expect((await request(srv.url).get('/api/audit-log?bogus=1').set('Authorization', `Bearer ${admin}`)).status).toBe(400);
  });

  it('is described in the OpenAPI document with the filters the endpoint accepts', async () => {
    const doc = (await request(srv.url).get('/api/openapi.json')).body;
    const get = doc.paths['/audit-log'].get;
    expect(get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`))
      .toEqual(['query:limit', 'query:after', 'query:before', 'query:action', 'query:actor', 'query:target']);
    expect(get.responses['200'].content['application/json'].schema.properties.entries.items.$ref).toBe('#/components/schemas/AuditEntry');
    expect(doc.components.schemas.AuditEntry.required).toEqual(['id', 'at', 'actor', 'action']);
  });
});

describe('rate limits shared through the database', () => {
  it('limits token requests per client across two instances with 429 and Retry-After', async () => {
    const db = `t_rl_${randomBytes(4).toString('hex')}`;
    const env = { RATE_LIMIT_TOKEN_PER_CLIENT: '10', RATE_LIMIT_WINDOW_SECONDS: '60' };
    const one = await startTestServer(env, db);
    const two = await startTestServer(env, db);
    try {
      const a = await adminToken(one.url, one.config.issuer);
      await createApi(one.url, a, { identifier: 'https://rl.example.com', name: 'RL', scopes: [{ name: 'rl:x' }] });
      await eventually(async () => two.services.registry.snapshot.scopeOwner.has('rl:x'));
      const c = await registerClient(one.url, { scope: 'rl:x' });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await tokenRequest(one.url, c.client_id, c.client_secret)).status);
      await one.services.limiter.flush();
      await two.services.limiter.flush();
      let limited: request.Response | undefined;
      for (let i = 0; i < 10 && !limited; i++) {
        const res = await tokenRequest(two.url, c.client_id, c.client_secret);
        statuses.push(res.status);
        if (res.status === 429) limited = res;
        await two.services.limiter.flush();
      }
      expect(statuses.slice(0, 6).every((s) => s === 200)).toBe(true);
      // The second instance knew of the first one's six: it refused before its own tenth.
      expect(limited).toBeDefined();
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(11);
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited!.body.error).toBe('too_many_requests');

      // Another client is not affected; a wrong secret does not use up someone's budget.
      const other = await registerClient(one.url, { scope: 'rl:x' });
      expect((await tokenRequest(two.url, other.client_id, other.client_secret)).status).toBe(200);
    } finally {
      await one.stop();
      await two.destroy();
    }
  });

  it('limits per source address', async () => {
    const limitedSrv = await startTestServer({ RATE_LIMIT_TOKEN_PER_ADDRESS: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await tokenRequest(limitedSrv.url, 'nobody', 'x')).status);
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.slice(3)).toEqual([429, 429]);
    } finally {
      await limitedSrv.destroy();
    }
  });
});

describe('rate limits of the other endpoints that authenticate a client', () => {
  const feed = (url: string, id: string, secret: string) =>
    request(url).get('/token/revocations').set('Authorization', basic(id, secret));
  const postIntrospect = (url: string, id: string, secret: string, token: string) =>
    request(url).post('/token/introspection').type('form').send({ client_id: id, client_secret: secret, token });

  it('limits introspection, revocation and the revocation feed per client across two instances', async () => {
    const db = `t_rla_${randomBytes(4).toString('hex')}`;
    const env = {
      RATE_LIMIT_INTROSPECTION_PER_CLIENT: '4',
      RATE_LIMIT_REVOCATION_PER_CLIENT: '4',
      RATE_LIMIT_REVOCATION_FEED_PER_CLIENT: '4',
      RATE_LIMIT_WINDOW_SECONDS: '60',
    };
    const one = await startTestServer(env, db);
    const two = await startTestServer(env, db);
    try {
      const a = await adminToken(one.url, one.config.issuer);
      await createApi(one.url, a, { identifier: 'https://rla.example.com', name: 'RLA', scopes: [{ name: 'rla:x' }] });
      await eventually(async () => two.services.registry.snapshot.scopeOwner.has('rla:x'));
      const c = await registerClient(one.url, { scope: 'rla:x' });
      const token = (await tokenRequest(one.url, c.client_id, c.client_secret)).body.access_token as string;
      const calls: [string, (url: string) => request.Test][] = [
        ['introspection', (url) => introspect(url, c.client_id, c.client_secret, token)],
        // client_secret_post counts for the same client as Basic does.
        ['introspection (form)', (url) => postIntrospect(url, c.client_id, c.client_secret, token)],
        ['revocation', (url) => revoke(url, c.client_id, c.client_secret, 'not-a-token-of-ours')],
        ['revocation feed', (url) => feed(url, c.client_id, c.client_secret)],
      ];
      for (const [name, call] of calls.filter(([n]) => n !== 'introspection (form)')) {
        // A wrong secret, however often, uses up nobody's budget.
        for (let i = 0; i < 6; i++) {
          const bad = name === 'revocation feed'
            ? await feed(one.url, c.client_id, 'wrong')
            : await request(one.url).post(name === 'revocation' ? '/token/revocation' : '/token/introspection')
              .set('Authorization', basic(c.client_id, 'wrong')).type('form').send({ token });
          expect(bad.status, name).toBe(401);
        }
        const statuses = [(await call(one.url)).status, (await call(one.url)).status];
        await one.services.limiter.flush();
        await two.services.limiter.flush();
        let limited: request.Response | undefined;
        for (let i = 0; i < 6 && !limited; i++) {
          const res = await (name === 'introspection' && i % 2 ? calls[1]![1] : call)(two.url);
          statuses.push(res.status);
          if (res.status === 429) limited = res;
        }
        expect(statuses.slice(0, 2), name).toEqual([200, 200]);
        // The second instance counted the first one's two: it refused the fifth call overall.
        expect(statuses.filter((st) => st === 200).length, name).toBe(4);
        expect(limited, name).toBeDefined();
        expect(limited!.body.error).toBe('too_many_requests');
        expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
      }
      // Another client keeps its own budget.
      const other = await registerClient(one.url, { scope: 'rla:x' });
      const own = (await tokenRequest(one.url, other.client_id, other.client_secret)).body.access_token as string;
      expect((await introspect(two.url, other.client_id, other.client_secret, own)).status).toBe(200);
      expect((await feed(two.url, other.client_id, other.client_secret)).status).toBe(200);
    } finally {
      await one.stop();
      await two.destroy();
    }
  });

  it('limits introspection, revocation and the feed per source address, authenticated or not', async () => {
    const limitedSrv = await startTestServer({
      RATE_LIMIT_INTROSPECTION_PER_ADDRESS: '3',
      RATE_LIMIT_REVOCATION_PER_ADDRESS: '3',
      RATE_LIMIT_REVOCATION_FEED_PER_ADDRESS: '3',
    });
    try {
      for (const call of [
        () => introspect(limitedSrv.url, 'nobody', 'x', 't'),
        () => revoke(limitedSrv.url, 'nobody', 'x', 't'),
        () => feed(limitedSrv.url, 'nobody', 'x'),
      ]) {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await call()).status);
        expect(statuses).toEqual([401, 401, 401, 429, 429]);
      }
    } finally {
      await limitedSrv.destroy();
    }
  });
});

describe('bind address and /metrics access', () => {
  it('listens on HOST', async () => {
    const local = await startTestServer({ HOST: '127.0.0.1' });
    try {
      expect((local.server.address() as AddressInfo).address).toBe('127.0.0.1');
      expect((await request(local.url).get('/healthz')).status).toBe(200);
    } finally {
      await local.destroy();
    }
    // Unset: every interface.
    expect(['::', '0.0.0.0']).toContain((srv.server.address() as AddressInfo).address);
  });

  it('with METRICS_TOKEN, /metrics answers only that bearer token', async () => {
    const token = 'metrics-bearer-token-0123456789';
    const guarded = await startTestServer({ METRICS_TOKEN: token });
    try {
      for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${token}`, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`]) {
        const req = request(guarded.url).get('/metrics');
        const res = authorization ? await req.set('Authorization', authorization) : await req;
        expect(res.status, String(authorization)).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
        expect(res.text).not.toMatch(/keyforge_/);
      }
      const ok = await request(guarded.url).get('/metrics').set('Authorization', `Bearer ${token}`);
      expect(ok.status).toBe(200);
      expect(ok.text).toMatch(/keyforge_http_request_duration_seconds/);
      // The probes stay open for orchestrators.
      expect((await request(guarded.url).get('/healthz')).status).toBe(200);
      expect((await request(guarded.url).get('/readyz')).status).toBe(200);
    } finally {
      await guarded.destroy();
    }
  });
});
