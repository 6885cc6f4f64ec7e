import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { basic } from './support/oauth.js';
import { eventually, MAIN, spawnServer, stopServer, waitUntilUp, type ServerProcess } from './support/processes.js';
import { ADMIN_SECRET, freePort } from './support/test-server.js';

/** Sum of every series of one metric in a Prometheus text exposition. */
function total(exposition: string, metric: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const m = new RegExp(`^${metric}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) sum += Number(m[2]);
  }
  return sum;
}

/**
 * WORKERS=2 as real processes. Every request below opens its own connection (Node's agent
 * would otherwise keep one alive and reach a single worker), so node:cluster
 * hands them to the workers in turn: tokens are issued by both, and scrapes reach both.
 */
describe.runIf(existsSync(MAIN))('metrics with several workers', () => {
  let srv: ServerProcess;

  beforeAll(async () => {
    const port = await freePort();
    srv = spawnServer({
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: `cm_${randomBytes(4).toString('hex')}`,
      WORKERS: '2',
      ISSUER: `http://127.0.0.1:${port}`,
      ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      KEY_ENCRYPTION_SECRET: 'cluster-metrics-key-encryption-secret-000',
      // info: each worker logs "listening" with its pid.
      LOG_LEVEL: 'info',
      RATE_LIMIT_TOKEN_PER_CLIENT: '0',
      RATE_LIMIT_TOKEN_PER_ADDRESS: '0',
    }, port);
    await waitUntilUp(srv, '/readyz');
    // The supervisor forks the second worker once the first listens; wait until both do.
    expect(await eventually(async () => workerPids().length === 2, 60_000)).toBe(true);
  }, 120_000);

  /** Workers that logged "listening", oldest first. */
  const workerPids = () => [...new Set(srv.log.join('').split('\n')
    .filter((l) => l.includes('"msg":"listening"')).map((l) => (JSON.parse(l) as { pid: number }).pid))];

  afterAll(async () => {
    if (srv) await stopServer(srv);
  });

  const issue = async () => {
    const res = await request(srv.url).post('/token').set('Connection', 'close').set('Authorization', basic('admin', ADMIN_SECRET))
      .type('form').send({ grant_type: 'client_credentials', scope: 'admin' });
    expect(res.status).toBe(200);
  };
  const scrape = async () => {
    const res = await request(srv.url).get('/metrics').set('Connection', 'close');
    expect(res.status).toBe(200);
    return res.text;
  };

  it('counts every token once, whichever worker is scraped, and never goes down', async () => {
    let issued = 0;
    let last = 0;
    const seen: number[] = [];
    for (let round = 0; round < 8; round++) {
      const n = 1 + (round % 3);
      for (let i = 0; i < n; i++) await issue();
      issued += n;
      for (let s = 0; s < 4; s++) {
        const value = total(await scrape(), 'keyforge_tokens_issued_total');
        seen.push(value);
        expect(value, `scrapes so far: ${seen.join(', ')}`).toBeGreaterThanOrEqual(last);
        expect(value, `scrapes so far: ${seen.join(', ')}`).toBe(issued);
        last = value;
      }
    }
  }, 60_000);

  it('latency histograms and process metrics cover both workers', async () => {
    const text = await scrape();
    // One series per label set, not one per worker.
    const tokenCount = text.split('\n').filter((l) => l.startsWith('keyforge_http_request_duration_seconds_count{') && l.includes('endpoint="/token"'));
    expect(tokenCount.length).toBeGreaterThan(0);
    expect(new Set(tokenCount.map((l) => l.split(' ')[0])).size).toBe(tokenCount.length);
    expect(text).toMatch(/^keyforge_process_resident_memory_bytes \d+/m);
  });

  it('a worker that dies and is replaced does not take its counts with it', async () => {
    const before = total(await scrape(), 'keyforge_tokens_issued_total');
    await scrape(); // both workers have reported their latest counts
    process.kill(workerPids()[0]!, 'SIGKILL');
    expect(await eventually(async () => workerPids().length === 3, 60_000)).toBe(true);
    for (let s = 0; s < 6; s++) expect(total(await scrape(), 'keyforge_tokens_issued_total')).toBe(before);
    await issue();
    await issue();
    for (let s = 0; s < 4; s++) expect(total(await scrape(), 'keyforge_tokens_issued_total')).toBe(before + 2);
  }, 90_000);
});
