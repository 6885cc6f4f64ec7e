import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';

import { basic } from './support/oauth.js';
import { freePort } from './support/test-server.js';

const MAIN = resolve('dist/src/main.js');
const DCR = 'start-test-initial-access-token-0123';

async function waitFor(url: string, child: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${log.join('')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not up: ${log.join('')}`);
}

function start(env: Record<string, string>): { child: ChildProcess; log: string[] } {
  const { MONGODB_URI: _ignored, ...rest } = process.env;
  const child = spawn(process.execPath, [MAIN], { env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  return { child, log };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

describe.runIf(existsSync(MAIN))('the start command (embedded database)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('serves discovery with no database set up, and keeps clients and keys across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyforge-start-'));
    dirs.push(dataDir);
    const port = String(await freePort());
    const env = { PORT: port, DATA_DIR: dataDir, DCR_INITIAL_ACCESS_TOKEN: DCR, LOG_LEVEL: 'warn' };
    const url = `http://localhost:${port}`;

    let run = start(env);
    await waitFor(`${url}/.well-known/oauth-authorization-server`, run.child, run.log);
    const disco = await request(url).get('/.well-known/openid-configuration');
    expect(disco.body.issuer).toBe(url);
    const jwks = (await request(url).get('/jwks')).body;
    const reg = await request(url).post('/reg').set('Authorization', `Bearer ${DCR}`).send({});
    expect(reg.status).toBe(201);
    expect(existsSync(join(dataDir, 'admin-client-secret'))).toBe(true);
    expect(await stop(run.child)).toBe(0);

    run = start(env);
    await waitFor(`${url}/.well-known/openid-configuration`, run.child, run.log);
    expect((await request(url).get('/jwks')).body).toEqual(jwks);
    const read = await request(url).get(`/reg/${reg.body.client_id}`)
      .set('Authorization', `Bearer ${reg.body.registration_access_token}`);
    expect(read.status).toBe(200);
    // The client authenticates after the restart (it has no scopes, so the grant itself is refused).
    const tok = await request(url).post('/token').set('Authorization', basic(reg.body.client_id, reg.body.client_secret))
      .type('form').send({ grant_type: 'client_credentials' });
    expect(tok.body.error).toBe('invalid_target');
    expect(await stop(run.child)).toBe(0);
  }, 180_000);

  it('stops with a message naming a bad variable', async () => {
    const run = start({ PORT: 'eighty' });
    const code = await new Promise((r) => run.child.once('exit', r));
    expect(code).toBe(2);
    expect(run.log.join('')).toMatch(/PORT/);
  });
});
