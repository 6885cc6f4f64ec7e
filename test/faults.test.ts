import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmbeddedServer, type EmbeddedServer } from '../src/store/embedded-server.js';
import { adminToken, createApi, introspect, registerClient, tokenRequest, type RegisteredClient } from './support/oauth.js';
import { eventually, MAIN, spawnServer, stopServer, waitUntilUp, type ServerProcess } from './support/processes.js';
import { ADMIN_SECRET, DCR_TOKEN, freePort } from './support/test-server.js';

/**
 * Faults injected for real: the database process is stopped and started again under load,
 * and the server process gets SIGTERM mid-traffic.
 */
describe.runIf(existsSync(MAIN))('faults', () => {
  let dataDir: string;
  let dbPort: number;
  let db: EmbeddedServer;
  let srv: ServerProcess;
  let client: RegisteredClient;
  let port: number;
  let issuer: string;
  const spawned: ServerProcess[] = [];
  const spawn = (): ServerProcess => {
    const s = spawnServer(env(), port);
    spawned.push(s);
    return s;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyforge-faults-'));
    dbPort = await freePort();
    db = await startEmbeddedServer({ dataDir, port: dbPort });
    port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    srv = spawn();
    await waitUntilUp(srv, '/readyz');
    const admin = await adminToken(srv.url, issuer);
    await createApi(srv.url, admin, { identifier: 'https://faults.example.com', name: 'F', scopes: [{ name: 'f:x' }] });
    client = await registerClient(srv.url, { scope: 'f:x' });
  }, 120_000);

  const env = () => ({
    MONGODB_URI: db.uri,
    MONGODB_DB: 'faults',
    ISSUER: issuer,
    ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    DCR_INITIAL_ACCESS_TOKEN: DCR_TOKEN,
    KEY_ENCRYPTION_SECRET: 'faults-key-encryption-secret-000000000000',
    LOG_LEVEL: 'warn',
    // This suite floods on purpose; rate limits have their own tests.
    RATE_LIMIT_TOKEN_PER_CLIENT: '0',
    RATE_LIMIT_TOKEN_PER_ADDRESS: '0',
  });

  afterAll(async () => {
    // FAULTS_LOG=<file> keeps the server's log for a failed run.
    if (process.env['FAULTS_LOG']) (await import('node:fs')).writeFileSync(process.env['FAULTS_LOG'], spawned.map((s) => s.log.join('')).join('\n----- next server -----\n'));
    if (srv) await stopServer(srv);
    await db?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while the database is down, and recovers by itself', async () => {
    const answered: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    // Bounded load: 4 concurrent loops until the database is back (60 s at most), each request with its own timeout.
    const loops = Array.from({ length: 4 }, async () => {
      const until = Date.now() + 60_000;
      while (!stop && Date.now() < until) {
        const res = await tokenRequest(srv.url, client.client_id, client.client_secret).timeout(8000)
          .catch(() => undefined);
        if (!res) continue;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) answered.push(res.body.access_token as string);
        else {
          expect(res.status, JSON.stringify(res.body)).toBe(503);
          expect(res.headers['retry-after']).toBeDefined();
          expect(res.body.error).toBe('temporarily_unavailable');
        }
      }
    });

    await new Promise((r) => setTimeout(r, 500));
    await db.stop();
    expect(await eventually(async () => (await request(srv.url).get('/readyz')).status === 503, 10_000)).toBe(true);
    // Fails fast: no request waits anywhere near a hang while it is down.
    const t0 = Date.now();
    const down = await tokenRequest(srv.url, client.client_id, client.client_secret);
    expect(down.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(5000);
    // Discovery and JWKS need no database.
    expect((await request(srv.url).get('/jwks')).status).toBe(200);
    // The load itself meets the outage (its requests in flight at the stop may finish only later).
    expect(await eventually(async () => (statuses.get(503) ?? 0) > 0, 15_000)).toBe(true);

    db = await startEmbeddedServer({ dataDir, port: dbPort });
    expect(await eventually(async () => (await request(srv.url).get('/readyz')).status === 200, 40_000)).toBe(true);
    expect(await eventually(async () =>
      (await tokenRequest(srv.url, client.client_id, client.client_secret)).status === 200, 20_000)).toBe(true);
    stop = true;
    await Promise.all(loops);

    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(500) ?? 0).toBe(0);
    // Every token that was answered was stored: each one introspects active.
    for (const t of answered) {
      expect((await introspect(srv.url, client.client_id, client.client_secret, t)).body.active).toBe(true);
    }
  }, 90_000);

  it('SIGTERM: finishes in-flight requests and exits 0', async () => {
    const inflight = Array.from({ length: 30 }, () =>
      tokenRequest(srv.url, client.client_id, client.client_secret).then((r) => r.status, () => 'refused'));
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    const code = await stopServer(srv);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(12_000);
    const results = await Promise.all(inflight);
    // Each request either completed or was never accepted; none was cut off with a 5xx.
    for (const r of results) expect([200, 'refused']).toContain(r);
    expect(results).toContain(200);
  }, 30_000);

  it('a crash (SIGKILL) loses no token that was answered', async () => {
    srv = spawn();
    await waitUntilUp(srv, '/readyz');
    const answered: string[] = [];
    const loops = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 200; i++) {
        const res = await tokenRequest(srv.url, client.client_id, client.client_secret).timeout(5000).catch(() => undefined);
        if (!res) return;
        if (res.status === 200) answered.push(res.body.access_token as string);
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    await stopServer(srv, 'SIGKILL');
    await Promise.all(loops);
    expect(answered.length).toBeGreaterThan(0);

    srv = spawn();
    await waitUntilUp(srv, '/readyz');
    for (const t of answered) {
      expect((await introspect(srv.url, client.client_id, client.client_secret, t)).body.active).toBe(true);
    }
  }, 60_000);
});
