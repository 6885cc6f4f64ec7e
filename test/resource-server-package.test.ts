import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, registerClient, tokenRequest } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// The kit as a user gets it: `npm pack` in packages/resource-server, the tarball installed into
// an empty project elsewhere, and a plain node:http API there protecting a route.
const run = promisify(execFile);
const KIT = resolve('packages/resource-server');
const ORDERS = 'https://orders.example.com';

let srv: TestServer;
let scratch: string;
let tarball: string;

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund'], { cwd, timeout: 120_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return stdout;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'keyforge-kit-user-'));
  const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', scratch], KIT)) as { filename: string }[];
  tarball = join(scratch, packed[0]!.filename);
  await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'orders-api', private: true, type: 'module' }));
  // jose comes from the npm cache when there is no network.
  await npm(['install', '--prefer-offline', tarball], scratch);
  srv = await startTestServer();
}, 180_000);
afterAll(async () => {
  await srv?.destroy();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('the packed @keyforge/resource-server', () => {
  it('holds the built code, its types, README and package.json, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')).sort();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/middleware.js']));
    expect(files.filter((f) => !/^dist\/[\w-]+\.(js|d\.ts)$/.test(f) && f !== 'README.md' && f !== 'package.json')).toEqual([]);
  });

  it('brings in jose and nothing else', async () => {
    const installed = (await readdir(join(scratch, 'node_modules'))).filter((d) => !d.startsWith('.')).sort();
    expect(installed).toEqual(['@keyforge', 'jose']);
    const manifest = JSON.parse(await readFile(join(scratch, 'node_modules/@keyforge/resource-server/package.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(manifest['dependencies'] as object)).toEqual(['jose']);
  });

  it('protects a route of a plain node:http API against a real keyforge server', async () => {
    const admin = await adminToken(srv.url, srv.config.issuer);
    await createApi(srv.url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }] });
    const rs = await registerClient(srv.url, { client_name: 'orders-api' });
    const link = await fetch(`${srv.url}/api/apis/${encodeURIComponent(ORDERS)}/resource-servers`, {
      method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: rs.client_id }),
    });
    expect(link.status).toBe(200);
    const tokens: Record<string, string> = {};
    for (const strategy of ['jwt', 'opaque']) {
      const c = await registerClient(srv.url, { scope: 'orders:read', access_token_strategy: strategy });
      tokens[strategy] = (await tokenRequest(srv.url, c.client_id, c.client_secret, { scope: 'orders:read' })).body.access_token as string;
    }

    // What a user writes: the package name, no Koa, authenticate() per request.
    await writeFile(join(scratch, 'check.js'), `
import { createResourceServer, BearerError } from '@keyforge/resource-server';
const rs = createResourceServer({ issuer: process.env.ISSUER, audience: '${ORDERS}', clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET });
const results = [];
for (const header of [process.env.JWT, process.env.OPAQUE, 'garbage', undefined]) {
  try {
    const t = await rs.authenticate(header && 'Bearer ' + header, ['orders:read']);
    results.push({ ok: t.format, clientId: t.clientId });
  } catch (err) {
    results.push(err instanceof BearerError ? { status: err.status, code: err.code ?? null } : { failed: String(err) });
  }
}
console.log(JSON.stringify(results));
`);
    const { stdout } = await run(process.execPath, ['check.js'], {
      cwd: scratch,
      timeout: 30_000,
      env: { PATH: process.env['PATH'] ?? '', ISSUER: srv.config.issuer, CLIENT_ID: rs.client_id, CLIENT_SECRET: rs.client_secret, JWT: tokens['jwt'], OPAQUE: tokens['opaque'] },
    });
    const results = JSON.parse(stdout) as Record<string, unknown>[];
    expect(results.map((r) => r['ok'] ?? r['status'])).toEqual(['jwt', 'opaque', 401, 401]);
    expect(results[3]).toEqual({ status: 401, code: null });
  });
});
