import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';

import { basic } from './support/oauth.js';
import { MAIN, spawnServer, stopServer, waitUntilUp } from './support/processes.js';
import { freePort } from './support/test-server.js';

const DCR = 'start-test-initial-access-token-0123';

describe.runIf(existsSync(MAIN))('the start command (embedded database)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('serves discovery with no database set up, and keeps clients and keys across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyforge-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    // No MONGODB_URI: the command starts its own database under DATA_DIR.
    const env = { DATA_DIR: dataDir, DCR_INITIAL_ACCESS_TOKEN: DCR, LOG_LEVEL: 'warn' };
    const issuer = `http://localhost:${port}`;

    let run = spawnServer(env, port);
    await waitUntilUp(run, '/.well-known/oauth-authorization-server');
    const disco = await request(run.url).get('/.well-known/openid-configuration');
    expect(disco.body.issuer).toBe(issuer);
    const jwks = (await request(run.url).get('/jwks')).body;
    const reg = await request(run.url).post('/reg').set('Authorization', `Bearer ${DCR}`).send({});
    expect(reg.status).toBe(201);
    expect(existsSync(join(dataDir, 'admin-client-secret'))).toBe(true);
    expect(await stopServer(run)).toBe(0);

    run = spawnServer(env, port);
    await waitUntilUp(run, '/.well-known/openid-configuration');
    expect((await request(run.url).get('/jwks')).body).toEqual(jwks);
    const read = await request(run.url).get(`/reg/${reg.body.client_id}`)
      .set('Authorization', `Bearer ${reg.body.registration_access_token}`);
    expect(read.status).toBe(200);
    // The client authenticates after the restart (it has no scopes, so the grant itself is refused).
    const tok = await request(run.url).post('/token').set('Authorization', basic(reg.body.client_id, reg.body.client_secret))
      .type('form').send({ grant_type: 'client_credentials' });
    expect(tok.body.error).toBe('invalid_target');
    expect(await stopServer(run)).toBe(0);
  }, 180_000);

  it('stops with a message naming a bad variable', async () => {
    const run = spawnServer({ PORT: 'eighty' }, 0);
    const code = await new Promise((r) => run.child.once('exit', r));
    expect(code).toBe(2);
    expect(run.log.join('')).toMatch(/PORT/);
  });
});

describe.runIf(existsSync(MAIN))('several workers (node:cluster)', () => {
  it('serves with two workers and stops them all on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyforge-workers-'));
    try {
      const port = await freePort();
      const run = spawnServer({ DATA_DIR: dataDir, WORKERS: '2', LOG_LEVEL: 'warn', ADMIN_CLIENT_SECRET: 'workers-admin-secret-000' }, port);
      await waitUntilUp(run, '/readyz');
      expect(run.log.join('')).toMatch(/with 2 workers/);
      for (let i = 0; i < 10; i++) {
        const res = await request(run.url).post('/token').set('Authorization', basic('admin', 'workers-admin-secret-000'))
          .type('form').send({ grant_type: 'client_credentials', scope: 'admin' });
        expect(res.status).toBe(200);
      }
      expect(await stopServer(run)).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
