import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmbeddedServer, type EmbeddedServer } from '../src/store/embedded-server.js';
import { eventually, MAIN, spawnServer, stopServer, waitUntilUp, type ServerProcess } from './support/processes.js';
import { ADMIN_SECRET, freePort } from './support/test-server.js';

/** A typical probe timeout (Kubernetes' default timeoutSeconds is 1). */
const PROBE_TIMEOUT_MS = 1000;

async function probe(url: string): Promise<{ status: number; ms: number; body: unknown }> {
  const t0 = Date.now();
  // The client waits longer than a probe would, to measure how long the server takes.
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, ms: Date.now() - t0, body: await res.json() };
}

/**
 * A stalled database (the process stopped with SIGSTOP: connections stay open, nothing
 * answers), unlike a stopped one, gives no error to react to; /readyz must still answer in time.
 */
describe.runIf(existsSync(MAIN))('readiness while the database stalls', () => {
  let dataDir: string;
  let db: EmbeddedServer;
  let srv: ServerProcess;
  let stalled = false;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyforge-stall-'));
    db = await startEmbeddedServer({ dataDir });
    const port = await freePort();
    srv = spawnServer({
      MONGODB_URI: db.uri,
      MONGODB_DB: 'stall',
      ISSUER: `http://127.0.0.1:${port}`,
      ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      KEY_ENCRYPTION_SECRET: 'stall-key-encryption-secret-000000000000',
      LOG_LEVEL: 'warn',
    }, port);
    await waitUntilUp(srv, '/readyz');
  }, 120_000);

  const resume = () => {
    if (stalled && db.pid) process.kill(db.pid, 'SIGCONT');
    stalled = false;
  };

  afterAll(async () => {
    resume();
    if (srv) await stopServer(srv);
    await db?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 within a probe timeout, every time, and 200 again once the database resumes', async () => {
    expect((await probe(srv.url)).status).toBe(200);
    process.kill(db.pid!, 'SIGSTOP');
    stalled = true;
    // A ping already answered when the signal landed may still say 200 once, under load.
    expect(await eventually(async () => (await probe(srv.url)).status === 503, 5000)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const p = await probe(srv.url);
      expect(p.status, JSON.stringify(p.body)).toBe(503);
      expect(p.ms).toBeLessThan(PROBE_TIMEOUT_MS);
      expect(p.body).toMatchObject({ status: 'not_ready', database: false });
    }
    // Liveness never depends on the database.
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    resume();
    expect(await eventually(async () => (await probe(srv.url)).status === 200, 20_000)).toBe(true);
  }, 60_000);
});
