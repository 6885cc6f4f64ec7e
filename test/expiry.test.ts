import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { connectStore, hashToken, startSweeper, sweepExpired } from '../src/store/index.js';
import { adminToken, createApi, introspect, registerClient, tokenRequest } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
  const admin = await adminToken(srv.url, srv.config.issuer);
  await createApi(srv.url, admin, { identifier: 'https://exp.example.com', name: 'Exp', scopes: [{ name: 'exp:x' }] });
});
afterAll(() => srv?.destroy());

describe('expiry without relying on TTL indexes', () => {
  it('knows whether the server has TTL indexes (FerretDB v1 has none)', () => {
    if (inject('mongoKind') === 'ferretdb') expect(srv.store.ttlIndexes).toBe(false);
    else expect(typeof srv.store.ttlIndexes).toBe('boolean');
  });

  it('keeps on the token collection only the indexes that serve its queries there', async () => {
    const names = (await srv.store.collections.tokens.indexes()).map((i) => i.name).sort();
    // FerretDB v1 reads the whole table for any filter but {_id: value}: a secondary index
    // would only slow every insert down. MongoDB needs them for sweeps and per-client revocation.
    if (inject('mongoKind') === 'ferretdb') expect(names).toEqual(['_id_']);
    else expect(names).toEqual(expect.arrayContaining(['_id_', 'client_id_1', 'revoked_at_1']));
  });

  it('drops on FerretDB the token indexes an earlier version created there', async () => {
    if (inject('mongoKind') !== 'ferretdb') return;
    await srv.store.collections.tokens.createIndex({ client_id: 1 }, { name: 'client_id_1' });
    const again = await connectStore(srv.config.mongodbUri!, srv.config.mongodbDb);
    try {
      expect((await again.collections.tokens.indexes()).map((i) => i.name)).toEqual(['_id_']);
    } finally {
      await again.close();
    }
  });

  it.each(['opaque', 'jwt'])('never serves an expired %s token, and the sweeper removes it', async (strategy) => {
    const c = await registerClient(srv.url, { scope: 'exp:x', access_token_strategy: strategy, access_token_ttl: 1 });
    const res = await tokenRequest(srv.url, c.client_id, c.client_secret);
    expect(res.body.expires_in).toBe(1);
    const tok = res.body.access_token as string;
    expect((await introspect(srv.url, c.client_id, c.client_secret, tok)).body.active).toBe(true);

    // Let it lapse on the clock (exp has one-second resolution).
    await new Promise((r) => setTimeout(r, 2100));
    expect(await srv.store.collections.tokens.countDocuments({ client_id: c.client_id })).toBe(1);
    expect((await introspect(srv.url, c.client_id, c.client_secret, tok)).body).toEqual({ active: false });

    expect(await sweepExpired(srv.store.collections)).toBeGreaterThanOrEqual(1);
    expect(await srv.store.collections.tokens.countDocuments({ client_id: c.client_id })).toBe(0);
  });

  it('sweeps on its own schedule until stopped', async () => {
    const c = await registerClient(srv.url, { scope: 'exp:x', access_token_ttl: 1 });
    await tokenRequest(srv.url, c.client_id, c.client_secret);
    await new Promise((r) => setTimeout(r, 2100));
    const sweeps: number[] = [];
    const errors: unknown[] = [];
    const stop = startSweeper(srv.store.collections, 0.2, (err) => errors.push(err), (removed) => sweeps.push(removed));
    try {
      await expect.poll(() => sweeps.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    } finally {
      stop();
    }
    const after = sweeps.length;
    expect(errors).toEqual([]);
    expect(await srv.store.collections.tokens.countDocuments({ client_id: c.client_id })).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    // Stopped means stopped, also for sweeps that were scheduled (records and bookkeeping).
    expect(sweeps.length).toBeLessThanOrEqual(after + 2);
  });

  it('keeps never-expiring records through a sweep', async () => {
    const c = await registerClient(srv.url, { scope: 'exp:x', access_token_ttl: -1 });
    const tok = (await tokenRequest(srv.url, c.client_id, c.client_secret)).body.access_token as string;
    await sweepExpired(srv.store.collections);
    expect((await introspect(srv.url, c.client_id, c.client_secret, tok)).body.active).toBe(true);
  });

  it('expires initial access tokens too', async () => {
    const coll = srv.store.collections.model('InitialAccessToken');
    const { value } = await srv.services.initialAccessTokens.create({ expires_in: 60, allowed_scopes: [] as string[] });
    await coll.updateOne({ _id: hashToken(value) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const reg = await fetch(`${srv.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${value}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(reg.status).toBe(401);
    await sweepExpired(srv.store.collections);
    expect(await coll.countDocuments({ _id: hashToken(value) })).toBe(0);
  });
});
