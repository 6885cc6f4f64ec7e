import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

import { createResourceServer } from '@keyforge/resource-server';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { adminToken, registerClient, tokenRequest } from './support/oauth.js';
import { eventually, MAIN, spawnServer, stopServer, waitUntilUp, type ServerProcess } from './support/processes.js';
import { ADMIN_SECRET, DCR_TOKEN, freePort } from './support/test-server.js';

// 0.00014 days = 12.1 s: long enough for the kit's 5 s JWKS cooldown, short enough for a test.
const ROTATION_DAYS = '0.00014';
const PERIOD_MS = 0.00014 * 86_400_000;
const API = 'https://rotating.example.com';

let a: ServerProcess;
let b: ServerProcess;
let issuer: string;
const dbName = `t_rot_${randomBytes(4).toString('hex')}`;

interface KeyView { kid: string; alg: string; status: string; created_at: string; removed_after?: string | null; kept_because?: string }

describe.runIf(existsSync(MAIN))('scheduled key rotation (KEY_ROTATION_DAYS) across instances', () => {
  beforeAll(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${pa}`;
    const env = {
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: dbName,
      ISSUER: issuer,
      ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      DCR_INITIAL_ACCESS_TOKEN: DCR_TOKEN,
      KEY_ENCRYPTION_SECRET: 'rotation-schedule-key-encryption-secret-00',
      CONFIG_REFRESH_SECONDS: '1',
      KEY_ACTIVATION_DELAY_SECONDS: '3',
      KEY_ROTATION_DAYS: ROTATION_DAYS,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_TOKEN_PER_CLIENT: '0',
      RATE_LIMIT_TOKEN_PER_ADDRESS: '0',
    };
    // Both start together, so both are due together at every period.
    a = spawnServer(env, pa);
    await waitUntilUp(a, '/readyz');
    b = spawnServer(env, pb);
    await waitUntilUp(b, '/readyz');
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a && stopServer(a), b && stopServer(b)]);
  });

  it('rotates once per period under traffic, and every token verifies at a kit instance', async () => {
    const admin = await adminToken(a.url, issuer);
    expect((await request(a.url).post('/api/apis').set('Authorization', `Bearer ${admin}`)
      .send({ identifier: API, name: 'Rotating', scopes: [{ name: 'rot:read' }], signing_alg: 'ES256' })).status).toBe(201);
    await eventually(async () => (await request(b.url).get('/.well-known/openid-configuration')).body.scopes_supported.includes('rot:read'));
    const c = await registerClient(a.url, { scope: 'rot:read', access_token_strategy: 'jwt', access_token_ttl: 5 });
    const kit = createResourceServer({
      issuer, audience: API, clientId: 'admin', clientSecret: ADMIN_SECRET, jwksCooldownSeconds: 5, logger: false,
    });

    const kidsSeen = new Set<string>();
    const failures: string[] = [];
    let issued = 0;
    const deadline = Date.now() + 2.3 * PERIOD_MS;
    while (Date.now() < deadline && issued < 3000) {
      const at = issued % 2 ? b : a;
      const res = await tokenRequest(at.url, c.client_id, c.client_secret);
      expect(res.status).toBe(200);
      issued++;
      const tok = res.body.access_token as string;
      kidsSeen.add(JSON.parse(Buffer.from(tok.split('.')[0]!, 'base64url').toString()).kid as string);
      await kit.authenticate(`Bearer ${tok}`).catch((err: Error) => failures.push(`${at.url}: ${err.message}`));
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(failures).toEqual([]);
    // At least two scheduled rotations happened while tokens were being issued.
    expect(kidsSeen.size).toBeGreaterThanOrEqual(3);

    const mongo = await MongoClient.connect(inject('mongoUri'));
    try {
      const db = mongo.db(dbName);
      const claims = await db.collection('key_rotations').find({ alg: 'ES256' }).toArray();
      const keys = await db.collection<{ alg: string; created_at: Date }>('signing_keys')
        .find({ alg: 'ES256' }, { sort: { created_at: 1 } }).toArray();
      // Exactly once: one claim per replaced key, and never two new keys within one period.
      expect(claims.length).toBeGreaterThanOrEqual(2);
      const replaced = claims.map((cl) => cl['replaces'] as string);
      expect(new Set(replaced).size).toBe(replaced.length);
      for (let i = 1; i < keys.length; i++) {
        expect(keys[i]!.created_at.getTime() - keys[i - 1]!.created_at.getTime()).toBeGreaterThan(PERIOD_MS - 1500);
      }
    } finally {
      await mongo.close();
    }
  }, 120_000);

  it('removes retired keys once their tokens are expired, and keeps them while tokens never expire', async () => {
    const admin = await adminToken(a.url, issuer);
    const listKeys = async () => (await request(b.url).get('/api/keys').set('Authorization', `Bearer ${admin}`)).body.keys as KeyView[];
    // Tokens live 5 s here: the first keys signed their last token long ago and must be gone.
    const firstSeen = (await listKeys()).filter((k) => k.alg === 'ES256');
    const oldest = firstSeen[0]!.kid;
    expect(await eventually(async () => !(await listKeys()).some((k) => k.kid === oldest), 20_000, 500)).toBe(true);
    expect(await eventually(async () => {
      const retired = (await listKeys()).filter((k) => k.alg === 'ES256' && k.status === 'retired');
      return retired.every((k) => k.removed_after && new Date(k.removed_after).getTime() > Date.now() - 3000);
    }, 20_000, 500)).toBe(true);
    const metrics = await request(a.url).get('/metrics');
    const age = /keyforge_signing_key_age_seconds\{alg="ES256"\} ([0-9.e+-]+)/.exec(metrics.text);
    expect(age).not.toBeNull();
    expect(Number(age![1])).toBeLessThan(PERIOD_MS / 1000 + 5);
    expect(firstSeen.length).toBeGreaterThan(0);

    // A client whose JWTs never expire: no retired key may go any more, and the API says why.
    await registerClient(a.url, { scope: 'rot:read', access_token_strategy: 'jwt', access_token_ttl: -1 });
    expect((await request(a.url).post('/api/keys/rotate').set('Authorization', `Bearer ${admin}`).send({ algs: ['ES256'] })).status).toBe(200);
    const retired = (await listKeys()).filter((k) => k.status === 'retired');
    expect(retired.length).toBeGreaterThan(0);
    for (const k of retired) {
      expect(k.removed_after).toBeNull();
      expect(k.kept_because).toMatch(/never expire/);
    }
  }, 60_000);
});
