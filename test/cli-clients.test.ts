import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi, tokenRequest, type RegisteredClient } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

// The built CLI against a real server, as an operator runs it (credentials from the environment).
const CLI = resolve('dist/src/cli/main.js');
const ORDERS = 'https://orders.example.com';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let srv: TestServer;
let configDir: string;
let admin: string;

function keyforge(args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '', HOME: configDir, KEYFORGE_CONFIG_DIR: configDir,
        KEYFORGE_URL: srv.url, KEYFORGE_CLIENT_ID: 'admin', KEYFORGE_CLIENT_SECRET: ADMIN_SECRET,
      },
      timeout: 30_000,
    }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() });
    }).stdin?.end();
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await keyforge(args);
  if (r.code !== 0) throw new Error(`keyforge ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const okJson = async <T = Record<string, unknown>>(args: string[]) => JSON.parse(await ok(['--json', ...args])) as T;

function expectOneLineError(r: Result, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

/** Registers through RFC 7591 with an initial access token made by the CLI itself. */
async function register(name: string, extra: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const iat = await okJson<{ initial_access_token: string }>(['initial-access-tokens', 'create', '--api', ORDERS, '--max-ttl', '900']);
  const res = await request(srv.url).post('/reg').set('Authorization', `Bearer ${iat.initial_access_token}`)
    .send({ client_name: name, scope: 'orders:read', access_token_strategy: 'jwt', ...extra });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as RegisteredClient;
}

interface Client {
  client_id: string;
  client_name?: string;
  source: string;
  disabled: boolean;
  registration_policy?: { allowed_apis?: string[]; max_access_token_ttl?: number };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
  configDir = await mkdtemp(join(tmpdir(), 'keyforge-cli-clients-'));
  srv = await startTestServer();
  admin = await adminToken(srv.url, srv.config.issuer);
  await createApi(srv.url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }] });
});
afterAll(() => srv?.destroy());

describe('keyforge clients', () => {
  let a: RegisteredClient;
  let b: RegisteredClient;
  let c: RegisteredClient;

  beforeAll(async () => {
    [a, b, c] = [await register('cli-a'), await register('cli-b'), await register('cli-c')];
  });

  it('lists registered clients as a table with their policy, and as JSON', async () => {
    const out = await ok(['clients', 'list', '--source', 'registration']);
    const [header, ...rows] = out.split('\n');
    expect(header).toMatch(/^CLIENT ID\s+NAME\s+SOURCE\s+STATE\s+SCOPE\s+FORMAT\s+TTL\s+POLICY$/);
    const rowA = rows.find((r) => r.startsWith(a.client_id));
    expect(rowA).toMatch(/cli-a\s+registration\s+enabled\s+orders:read\s+jwt\s+900\s+https:\/\/orders\.example\.com; jwt\/opaque; ttl<=900$/);

    const page = await okJson<{ clients: Client[]; next: string | null }>(['clients', 'list', '--source', 'registration']);
    expect(page.next).toBeNull();
    expect(page.clients.map((x) => x.client_id)).toEqual(expect.arrayContaining([a.client_id, b.client_id, c.client_id]));
    expect(page.clients.every((x) => x.source === 'registration')).toBe(true);
    expect(page.clients.find((x) => x.client_id === a.client_id)?.registration_policy).toMatchObject({ allowed_apis: [ORDERS], max_access_token_ttl: 900 });

    const system = await okJson<{ clients: Client[] }>(['clients', 'list', '--source', 'system']);
    expect(system.clients.map((x) => x.client_id)).toEqual(['admin']);
  });

  it('pages with --limit, tells how to go on, and follows every cursor with --all', async () => {
    const first = await okJson<{ clients: Client[]; next: string | null }>(['clients', 'list', '--limit', '1']);
    expect(first.clients).toHaveLength(1);
    expect(first.next).toEqual(expect.any(String));
    const text = await ok(['clients', 'list', '--limit', '1']);
    expect(text).toMatch(/^more: keyforge clients list --after \S+ \(or --all\)$/m);

    const everything = await okJson<{ clients: Client[]; next: string | null }>(['clients', 'list']);
    const paged = await okJson<{ clients: Client[]; next?: string | null }>(['clients', 'list', '--limit', '1', '--all']);
    expect(paged.next).toBeUndefined();
    // admin + three registered clients, each once, in id order, as one unpaged list gives them.
    expect(paged.clients.map((x) => x.client_id)).toEqual(everything.clients.map((x) => x.client_id));
    expect(paged.clients.length).toBeGreaterThanOrEqual(4);
    expect(new Set(paged.clients.map((x) => x.client_id)).size).toBe(paged.clients.length);

    const second = await okJson<{ clients: Client[] }>(['clients', 'list', '--limit', '1', '--after', first.next!]);
    expect(second.clients[0]!.client_id).toBe(paged.clients[1]!.client_id);
  });

  it('shows one client', async () => {
    const out = await ok(['clients', 'show', '--', a.client_id]);
    expect(out).toMatch(new RegExp(`^client_id\\s+${a.client_id.replace(/[-]/g, '\\-')}$`, 'm'));
    expect(out).toMatch(/^name\s+cli-a$/m);
    expect(out).toMatch(/^state\s+enabled$/m);
    expect(out).toMatch(/^policy\s+https:\/\/orders\.example\.com; jwt\/opaque; ttl<=900$/m);
    expectOneLineError(await keyforge(['clients', 'show', 'no-such-client']), 1, /^error: GET \/api\/clients\/no-such-client: client not found \(HTTP 404\)$/);
  });

  it('disables a client so /token refuses it, and enables it again', async () => {
    expect((await tokenRequest(srv.url, a.client_id, a.client_secret)).status).toBe(200);
    const disabled = await okJson<Client>(['clients', 'disable', '--', a.client_id]);
    expect(disabled.disabled).toBe(true);
    const refused = await tokenRequest(srv.url, a.client_id, a.client_secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    expect(await ok(['clients', 'list', '--source', 'registration'])).toMatch(new RegExp(`^${a.client_id.replace(/-/g, '\\-')}\\s+cli-a\\s+registration\\s+disabled`, 'm'));

    expect(await ok(['clients', 'enable', '--', a.client_id])).toMatch(/^state\s+enabled$/m);
    expect((await tokenRequest(srv.url, a.client_id, a.client_secret)).status).toBe(200);
  });

  it('rotates the registration access token once: the new one reads the registration, the old one does not', async () => {
    const path = `/reg/${encodeURIComponent(b.client_id)}`;
    expect((await request(srv.url).get(path).set('Authorization', `Bearer ${b.registration_access_token}`)).status).toBe(200);

    const text = await ok(['clients', 'rotate-registration-token', '--', b.client_id]);
    const token = /^registration_access_token\s+(\S+)$/m.exec(text)?.[1];
    expect(token).toBeTruthy();
    expect(text).toContain('shown only now');
    expect((await request(srv.url).get(path).set('Authorization', `Bearer ${b.registration_access_token}`)).status).toBe(401);
    expect((await request(srv.url).get(path).set('Authorization', `Bearer ${token}`)).status).toBe(200);

    const json = await okJson<{ registration_access_token: string; registration_client_uri: string }>(['clients', 'rotate-registration-token', '--', b.client_id]);
    expect(json.registration_client_uri).toBe(`${srv.config.issuer}${path}`);
    expect((await request(srv.url).get(path).set('Authorization', `Bearer ${token}`)).status).toBe(401);

    expect(await ok(['clients', 'revoke-registration-token', '--', b.client_id])).toBe(`revoked the registration access tokens of ${b.client_id}`);
    expect((await request(srv.url).get(path).set('Authorization', `Bearer ${json.registration_access_token}`)).status).toBe(401);
    // The client itself still works.
    expect((await tokenRequest(srv.url, b.client_id, b.client_secret)).status).toBe(200);
  });

  it('deletes only with --yes', async () => {
    expectOneLineError(await keyforge(['clients', 'delete', '--', c.client_id]), 2, /^error: deleting .* cannot be undone: add --yes to confirm$/);
    expect((await tokenRequest(srv.url, c.client_id, c.client_secret)).status).toBe(200);

    expect(await ok(['clients', 'delete', '--yes', '--', c.client_id])).toBe(`deleted client ${c.client_id}`);
    expect((await tokenRequest(srv.url, c.client_id, c.client_secret)).status).toBe(401);
    expectOneLineError(await keyforge(['clients', 'delete', '--yes', '--', c.client_id]), 1, /client not found \(HTTP 404\)$/);
  });

  it('refuses to touch the admin client and bad options', async () => {
    expectOneLineError(await keyforge(['clients', 'disable', 'admin']), 1, /managed through the environment \(HTTP 400\)$/);
    expectOneLineError(await keyforge(['clients', 'list', '--source', 'elsewhere']), 2, /--source/);
    expectOneLineError(await keyforge(['clients', 'list', '--limit', '0']), 2, /--limit must be an integer >= 1/);
    expectOneLineError(await keyforge(['clients', 'list', '--limit', '501']), 2, /--limit must be at most 500/);
    expectOneLineError(await keyforge(['clients', 'list', '--after', 'not a cursor']), 1, /after: not a cursor this server gave \(HTTP 400\)$/);
  });
});
