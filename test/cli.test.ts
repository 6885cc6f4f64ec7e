import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createResourceServer } from '@keyforge/resource-server';
import { registerClient, type RegisteredClient } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

// The built CLI, as an operator runs it: `npm test` builds first; by hand run `npx tsc -p tsconfig.json`.
const CLI = resolve('dist/src/cli/main.js');
const ORDERS = 'https://orders.example.com';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let configDir: string;

function keyforge(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Result> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: configDir, KEYFORGE_CONFIG_DIR: configDir, ...env },
      timeout: 30_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** Succeeds or fails the test with the CLI's own reason. */
async function ok(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await keyforge(args, env);
  if (r.code !== 0) throw new Error(`keyforge ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function okJson<T = Record<string, unknown>>(args: string[], env: Record<string, string> = {}): Promise<T> {
  return JSON.parse(await ok(['--json', ...args], env)) as T;
}

/** Failure as the CLI promises it: the given exit code and exactly one line `error: ...`. */
function expectOneLineError(r: Result, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toMatch(pattern);
}

let a: TestServer;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
  configDir = await mkdtemp(join(tmpdir(), 'keyforge-cli-'));
  a = await startTestServer();
});
afterAll(() => a?.destroy());

describe('login', () => {
  it('refuses wrong credentials with one line and exit 1', async () => {
    const r = await keyforge(['login', '--url', a.url, '--client-id', 'admin', '--client-secret', 'wrong-secret']);
    expectOneLineError(r, 1, /token request refused: .*\(HTTP 401\)$/);
    expect(existsSync(join(configDir, 'credentials.json'))).toBe(false);
  });

  it('checks the credentials and keeps them, readable by the owner only', async () => {
    const out = await ok(['login', '--url', a.url, '--client-id', 'admin', '--client-secret', ADMIN_SECRET]);
    expect(out).toBe(`logged in to ${a.url} as admin (credentials saved in ${join(configDir, 'credentials.json')})`);
    expect((await stat(join(configDir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    // Later commands need neither --url nor credentials.
    expect(await okJson<unknown[]>(['apis', 'list'])).toEqual(expect.arrayContaining([expect.objectContaining({ system: true })]));
  });

  it('does not send saved credentials to another server', async () => {
    const r = await keyforge(['apis', 'list', '--url', 'http://127.0.0.1:9']);
    expectOneLineError(r, 1, /not logged in to http:\/\/127\.0\.0\.1:9/);
  });
});

describe('APIs and scopes', () => {
  it('creates an API and lists it as a table and as JSON', async () => {
    await ok(['apis', 'create', ORDERS, '--name', 'Orders', '--scope', 'orders:read=Read orders', '--scope', 'orders:write']);
    const tableOut = await ok(['apis', 'list']);
    const [header, ...rows] = tableOut.split('\n');
    expect(header).toMatch(/^IDENTIFIER\s+NAME\s+SCOPES\s+ALG\s+RESOURCE SERVERS$/);
    expect(rows.find((r) => r.startsWith(ORDERS))).toMatch(/Orders\s+orders:read, orders:write\s+RS256\s+-$/);

    const listed = await okJson<{ identifier: string; scopes: unknown[] }[]>(['apis', 'list']);
    expect(listed.find((x) => x.identifier === ORDERS)).toMatchObject({
      scopes: [{ name: 'orders:read', description: 'Read orders' }, { name: 'orders:write', description: '' }],
    });
  });

  it('adds and removes scopes, and links a resource-server client', async () => {
    expect((await okJson<{ name: string }[]>(['scopes', 'add', ORDERS, 'orders:cancel', '--description', 'Cancel'])).map((s) => s.name))
      .toEqual(['orders:cancel', 'orders:read', 'orders:write']);
    expect((await okJson<{ name: string }[]>(['scopes', 'remove', ORDERS, 'orders:cancel'])).map((s) => s.name))
      .toEqual(['orders:read', 'orders:write']);
    const rs = await registerClient(a.url, { client_name: 'orders-api', grant_types: ['client_credentials'] });
    const linked = await okJson(['apis', 'link-client', '--', ORDERS, rs.client_id]);
    expect(linked['resource_server_clients']).toEqual([rs.client_id]);
    expect(await ok(['apis', 'get', ORDERS])).toMatch(new RegExp(`^resource_server_clients\\s+${rs.client_id}$`, 'm'));
  });

  it('reports server-side refusals in one line with exit 1', async () => {
    expectOneLineError(await keyforge(['apis', 'get', 'https://nope.example.com']), 1, /API https:\/\/nope\.example\.com not found \(HTTP 404\)$/);
    expectOneLineError(await keyforge(['apis', 'create', 'not a uri', '--name', 'x']), 1, /^error: POST \/api\/apis: identifier must be an absolute URI .*\(HTTP 400\)$/);
  });
});

describe('tokens', () => {
  let client: RegisteredClient;

  beforeAll(async () => {
    client = await registerClient(a.url, { client_name: 'cli jwt', grant_types: ['client_credentials'], scope: 'orders:read', access_token_strategy: 'jwt' });
  });

  it('gets, introspects and revokes a token', async () => {
    const token = await ok(['token', '--client-id', client.client_id, '--client-secret', client.client_secret, '--scope', 'orders:read', '-q']);
    expect(decodeJwt(token)).toMatchObject({ client_id: client.client_id, aud: ORDERS, scope: 'orders:read' });

    const human = await ok(['token', '--client-id', client.client_id, '--client-secret', client.client_secret]);
    expect(human).toMatch(/^access_token\s+\S+\ntoken_type\s+Bearer\nexpires_in\s+3600\nscope\s+orders:read$/);

    expect(await okJson(['introspect', '--', token])).toMatchObject({ active: true, client_id: client.client_id, aud: ORDERS });
    // The client itself may introspect its own token too.
    expect(await okJson(['introspect', '--client-id', client.client_id, '--client-secret', client.client_secret, '--', token]))
      .toMatchObject({ active: true });
    await ok(['revoke', '--', token]);
    expect(await okJson(['introspect', '--', token])).toEqual({ active: false });
    expect(await ok(['introspect', '--', token])).toBe('active      false');
  });

  it('refuses a bad client secret with one line', async () => {
    const r = await keyforge(['token', '--client-id', client.client_id, '--client-secret', 'nope']);
    expectOneLineError(r, 1, /token request refused: .*\(HTTP 401\)$/);
  });
});

describe('signing keys and initial access tokens', () => {
  it('lists and rotates signing keys', async () => {
    const before = await okJson<{ kid: string; alg: string; status: string }[]>(['signing-keys', 'list']);
    const { rotated } = await okJson<{ rotated: string[] }>(['signing-keys', 'rotate', '--alg', 'ES256']);
    expect(rotated).toHaveLength(1);
    const after = await okJson<{ kid: string; alg: string; status: string }[]>(['signing-keys', 'list']);
    expect(after).toHaveLength(before.length + 1);
    expect(after.find((k) => k.kid === rotated[0])).toMatchObject({ alg: 'ES256', status: 'active' });
    const oldEs = before.find((k) => k.alg === 'ES256' && k.status === 'active')!;
    expect(after.find((k) => k.kid === oldEs.kid)?.status).toBe('retired');
    expect((await ok(['signing-keys', 'list'])).split('\n')[0]).toMatch(/^KID\s+ALG\s+STATUS\s+CREATED\s+RETIRED\s+REMOVED AFTER\s+ORIGIN$/);
  });

  it('creates, lists and revokes an initial access token', async () => {
    const created = await okJson<{ id: string; initial_access_token: string }>(['initial-access-tokens', 'create', '--scope', 'orders:read', '--max-uses', '2', '--expires-in', '600', '--description', 'ci']);
    expect(created.initial_access_token.length).toBeGreaterThan(20);
    expect(await okJson<{ id: string }[]>(['initial-access-tokens', 'list'])).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.id, description: 'ci' })]));
    await ok(['initial-access-tokens', 'revoke', '--', created.id]);
    expect((await okJson<{ id: string }[]>(['initial-access-tokens', 'list'])).map((t) => t.id)).not.toContain(created.id);
  });
});

describe('usage', () => {
  it('answers --help on every command', async () => {
    for (const args of [['--help'], ['apis', '--help'], ['keys', 'generate', '--help'], ['export', '--help'], ['signing-keys', 'rotate', '--help']]) {
      const r = await keyforge(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: keyforge/);
    }
    expect(await ok(['import', '--help'])).toContain('KEY_ENCRYPTION_SECRET');
  });

  it('exits 2 with one line for usage errors', async () => {
    expectOneLineError(await keyforge(['nope']), 2, /unknown command 'nope'/);
    expectOneLineError(await keyforge(['introspect', '-x3Vq']), 2, /unknown option '-x3Vq' \(a value starting with '-' goes after '--'\)$/);
    expectOneLineError(await keyforge(['apis', 'create', ORDERS]), 2, /required option '--name <name>'/);
    expectOneLineError(await keyforge(['apps', 'create', '--name', 'x', '--token-type', 'Bearer']), 2, /Allowed choices are JWT, OAuth/);
    expectOneLineError(await keyforge(['apps', 'create', '--name', 'x', '--token-type', 'JWT', '--ttl', 'soon']), 2, /--ttl must be an integer/);
    expectOneLineError(await keyforge(['keys', 'generate', 'app', 'staging', '--scope', 'x']), 2, /key type must be production or sandbox/);
  });

  it('exits 1 with one line when the server cannot be reached', async () => {
    const r = await keyforge(['apis', 'list', '--url', 'http://127.0.0.1:9'], { KEYFORGE_CLIENT_ID: 'admin', KEYFORGE_CLIENT_SECRET: ADMIN_SECRET });
    expectOneLineError(r, 1, /^error: cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});

describe('applications and their keys', () => {
  it('creates an application, generates keys, gets tokens, regenerates the secret, revokes tokens', async () => {
    const app = await okJson<{ id: string }>(['apps', 'create', '--name', 'Shop', '--token-type', 'OAuth', '--ttl', '900', '--subscribe', ORDERS]);
    expect(app).toMatchObject({ name: 'Shop', token_type: 'OAuth', access_token_ttl: 900, subscriptions: [ORDERS] });
    expect((await ok(['apps', 'list'])).split('\n')[0]).toMatch(/^ID\s+NAME\s+TOKEN TYPE\s+TTL\s+SUBSCRIPTIONS\s+KEYS$/);

    const keys = await okJson<{ consumer_key: string; consumer_secret: string; key_type: string }>(['keys', 'generate', '--scope', 'orders:read', '--', app.id, 'production']);
    expect(keys.key_type).toBe('PRODUCTION');
    const token = await ok(['token', '--client-id', keys.consumer_key, '--client-secret', keys.consumer_secret, '-q']);
    expect(await okJson(['introspect', '--', token])).toMatchObject({ active: true, key_type: 'PRODUCTION', scope: 'orders:read' });

    const fresh = await okJson<{ consumer_secret: string }>(['keys', 'regenerate-secret', '--', app.id, 'production']);
    expect(fresh.consumer_secret).not.toBe(keys.consumer_secret);
    expect((await keyforge(['token', '--client-id', keys.consumer_key, '--client-secret', keys.consumer_secret])).code).toBe(1);
    expect(await okJson(['introspect', '--', token])).toEqual({ active: false });

    const again = await ok(['token', '--client-id', keys.consumer_key, '--client-secret', fresh.consumer_secret, '-q']);
    expect(await okJson(['keys', 'revoke-tokens', '--', app.id, 'production'])).toMatchObject({ revoked: expect.any(Number) });
    expect(await okJson(['introspect', '--', again])).toEqual({ active: false });

    const shown = await ok(['apps', 'get', '--', app.id]);
    expect(shown).toMatch(/^name\s+Shop$/m);
    expect(shown).toMatch(new RegExp(`PRODUCTION\\s+${keys.consumer_key}\\s+orders:read\\s+900`));
  });
});

describe('audit log', () => {
  it('reads the audit log with the API\'s filters', async () => {
    await ok(['signing-keys', 'rotate', '--alg', 'EdDSA']);
    type Page = { entries: { action: string; actor: string }[]; next_before: string | null };
    let page: Page = { entries: [], next_before: null };
    for (let i = 0; i < 50 && !page.entries.length; i++) {
      page = await okJson<Page>(['audit-log', '--action', 'signing_key.rotate', '--actor', 'client:admin']);
      if (!page.entries.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.every((e) => e.action === 'signing_key.rotate' && e.actor === 'client:admin')).toBe(true);

    const one = await ok(['audit-log', '--limit', '1']);
    expect(one.split('\n')[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+TARGET\s+IP\s+DETAILS$/);
    const next = /^NEXT {2}--before (\S+)$/m.exec(one)?.[1];
    expect(next).toBeDefined();
    const older = await okJson<Page>(['audit-log', '--limit', '5', '--before', next!]);
    expect(older.entries.every((e) => Date.parse((e as unknown as { at: string }).at) < Date.parse(next!))).toBe(true);
    expect(await ok(['audit-log', '--action', 'client.enable'])).toBe('(none)');
    expect(await ok(['audit-log', '--action', 'client.end_previous_secret'])).toBe('(none)');
    expectOneLineError(await keyforge(['audit-log', '--action', 'no.such.action']), 1, /action must be one of .* \(HTTP 400\)$/);
    expectOneLineError(await keyforge(['audit-log', '--before', 'yesterday-ish']), 2, /--before must be a date/);
    expectOneLineError(await keyforge(['audit-log', '--limit', '501']), 1, /limit must be <= 500 \(HTTP 400\)$/);
  });
});

describe('export and import', () => {
  let b: TestServer;
  let jwtApp: RegisteredClient;
  let opaqueApp: RegisteredClient;
  let rs: RegisteredClient;
  let exportFile: string;
  const asAdmin = { KEYFORGE_CLIENT_ID: 'admin', KEYFORGE_CLIENT_SECRET: ADMIN_SECRET };

  beforeAll(async () => {
    b = await startTestServer();
    jwtApp = await registerClient(a.url, { client_name: 'export jwt', grant_types: ['client_credentials'], scope: 'orders:read orders:write', access_token_strategy: 'jwt' });
    opaqueApp = await registerClient(a.url, { client_name: 'export opaque', grant_types: ['client_credentials'], scope: 'orders:read' });
    rs = await registerClient(a.url, { client_name: 'export rs', grant_types: ['client_credentials'] });
    await ok(['apis', 'link-client', '--', ORDERS, rs.client_id]);
    exportFile = join(configDir, 'export.json');
  });
  afterAll(() => b?.destroy());

  const comparable = (apis: Record<string, unknown>[]) => apis
    .filter((x) => !x['system'])
    .map(({ created_at: _c, updated_at: _u, ...rest }) => rest);

  it('carries a deployment into an empty database, where it behaves the same', async () => {
    const tokenAtA = await ok(['token', '--client-id', jwtApp.client_id, '--client-secret', jwtApp.client_secret, '--scope', 'orders:read', '-q']);

    expect(await ok(['export', '--file', exportFile])).toMatch(/^exported \d+ apis, \d+ clients, \d+ applications, \d+ signing keys to /);
    expect((await stat(exportFile)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(await readFile(exportFile, 'utf8')) as Record<string, unknown> & { clients: { client_id: string; metadata: { client_secret?: string } }[] };
    expect(doc).toMatchObject({ format: 'keyforge-export', version: 1 });
    expect(doc.clients.map((c) => c.client_id)).not.toContain('admin');
    // Secrets never leave in clear.
    expect(JSON.stringify(doc)).not.toContain(jwtApp.client_secret);
    expect(doc.clients.find((c) => c.client_id === jwtApp.client_id)?.metadata.client_secret).toMatch(/^hmac-sha256:/);

    const onB = { ...asAdmin, KEYFORGE_URL: b.url };
    expect(await okJson(['import', '--file', exportFile], onB)).toEqual({
      imported: expect.objectContaining({ apis: expect.any(Number), clients: doc.clients.length }),
    });

    // Same APIs, scopes and resource-server links.
    const apisA = await okJson<Record<string, unknown>[]>(['apis', 'list'], { ...asAdmin, KEYFORGE_URL: a.url });
    const apisB = await okJson<Record<string, unknown>[]>(['apis', 'list'], onB);
    expect(comparable(apisB)).toEqual(comparable(apisA));

    // The same client credentials get tokens at B.
    const jwtAtB = await ok(['token', '--client-id', jwtApp.client_id, '--client-secret', jwtApp.client_secret, '--scope', 'orders:read', '-q'], onB);
    expect(decodeJwt(jwtAtB)).toMatchObject({ iss: b.config.issuer, client_id: jwtApp.client_id, aud: ORDERS });
    const opaqueAtB = await ok(['token', '--client-id', opaqueApp.client_id, '--client-secret', opaqueApp.client_secret, '-q'], onB);

    // Every exported key is published by B, so a JWT issued by A verifies against B's key set.
    const exportedKids = (doc['signing_keys'] as { _id: string }[]).map((k) => k._id);
    const publishedAtB = ((await (await fetch(`${b.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(publishedAtB).toEqual(expect.arrayContaining(exportedKids));
    expect(exportedKids).toContain(decodeProtectedHeader(tokenAtA).kid);
    await expect(jwtVerify(tokenAtA, createRemoteJWKSet(new URL(`${b.url}/jwks`)), { issuer: a.config.issuer, audience: ORDERS, typ: 'at+jwt' }))
      .resolves.toMatchObject({ payload: { client_id: jwtApp.client_id } });

    // Introspection at B of B's token, by the imported resource-server client.
    expect(await okJson(['introspect', '--client-id', rs.client_id, '--client-secret', rs.client_secret, '--', opaqueAtB], onB))
      .toMatchObject({ active: true, client_id: opaqueApp.client_id, aud: ORDERS });

    // An API protected by the kit accepts B's tokens of both formats.
    const kit = createResourceServer({ issuer: b.config.issuer, audience: ORDERS, clientId: rs.client_id, clientSecret: rs.client_secret });
    await expect(kit.authenticate(`Bearer ${jwtAtB}`, ['orders:read'])).resolves.toMatchObject({ format: 'jwt', clientId: jwtApp.client_id });
    await expect(kit.authenticate(`Bearer ${opaqueAtB}`, ['orders:read'])).resolves.toMatchObject({ format: 'opaque', clientId: opaqueApp.client_id });

    // Imported keys are marked as such; B's own are not.
    type ListedKey = { kid: string; imported_at?: string; imported_from?: string };
    const keysAtB = await okJson<ListedKey[]>(['signing-keys', 'list'], onB);
    for (const k of keysAtB) {
      if (exportedKids.includes(k.kid)) expect(k).toMatchObject({ imported_at: expect.any(String), imported_from: a.config.issuer });
      else expect(k.imported_at).toBeUndefined();
    }
    expect(keysAtB.some((k) => !exportedKids.includes(k.kid))).toBe(true);
    const tableAtB = await ok(['signing-keys', 'list'], onB);
    expect(tableAtB).toContain(`imported from ${a.config.issuer}`);
    expect(tableAtB).toMatch(/ own$/m);

    // Applying the same document again changes nothing, the marks included.
    const again = await keyforge(['--json', 'import', '--file', '-'], onB, await readFile(exportFile, 'utf8'));
    expect(again.code).toBe(0);
    expect(comparable(await okJson(['apis', 'list'], onB))).toEqual(comparable(apisA));
    expect(await okJson(['signing-keys', 'list'], onB)).toEqual(keysAtB);

    // A server restoring its own export keeps its keys as its own.
    await ok(['import', '--file', exportFile]);
    expect((await okJson<ListedKey[]>(['signing-keys', 'list'])).filter((k) => k.imported_at)).toEqual([]);
  });

  it('carries applications with their key sets', async () => {
    const onA = { ...asAdmin, KEYFORGE_URL: a.url };
    const onB = { ...asAdmin, KEYFORGE_URL: b.url };
    const app = await okJson<{ id: string }>(['apps', 'create', '--name', 'Exported', '--token-type', 'JWT', '--subscribe', ORDERS], onA);
    const keys = await okJson<{ consumer_key: string; consumer_secret: string }>(['keys', 'generate', '--scope', 'orders:write', '--', app.id, 'sandbox'], onA);
    const file = join(configDir, 'export-apps.json');
    await ok(['export', '--file', file], onA);
    await ok(['import', '--file', file], onB);
    expect(await okJson(['apps', 'get', '--', app.id], onB)).toMatchObject({ name: 'Exported', key_sets: ['SANDBOX'] });
    const t = await ok(['token', '--client-id', keys.consumer_key, '--client-secret', keys.consumer_secret, '-q'], onB);
    expect(decodeJwt(t)).toMatchObject({ key_type: 'SANDBOX', scope: 'orders:write' });
  });

  it('refuses, before writing anything, a document whose keys another KEY_ENCRYPTION_SECRET wrapped', async () => {
    const c = await startTestServer({ KEY_ENCRYPTION_SECRET: 'another-key-encryption-secret-0123456789' });
    try {
      const r = await keyforge(['import', '--file', exportFile], { ...asAdmin, KEYFORGE_URL: c.url });
      expectOneLineError(r, 1, /KEY_ENCRYPTION_SECRET must be the one of the exporting server \(HTTP 400\)$/);
      const apis = await okJson<{ identifier: string }[]>(['apis', 'list'], { ...asAdmin, KEYFORGE_URL: c.url });
      expect(apis.map((x) => x.identifier)).not.toContain(ORDERS);
    } finally {
      await c.destroy();
    }
  });

  it('refuses a document that is not an export', async () => {
    const file = join(configDir, 'bad.json');
    await writeFile(file, JSON.stringify({ format: 'something-else', version: 1 }));
    expectOneLineError(await keyforge(['import', '--file', file], { ...asAdmin, KEYFORGE_URL: b.url }), 1, /format must be "keyforge-export" \(HTTP 400\)$/);
    await writeFile(file, '{ not json');
    expectOneLineError(await keyforge(['import', '--file', file], { ...asAdmin, KEYFORGE_URL: b.url }), 1, /is not valid JSON$/);
  });
});

describe('resource-server clients', () => {
  it('creates an API with its resource-server client in one command; the secret works, the registration token is gone', async () => {
    const before = await okJson<unknown[]>(['initial-access-tokens', 'list']);
    const r = await okJson<{ resource_server_clients: string[]; resource_client: { client_id: string; client_secret: string } }>(
      ['apis', 'create', 'https://inventory.example.com', '--name', 'Inventory', '--scope', 'inventory:read', '--resource-client', 'inventory-api']);
    expect(r.resource_server_clients).toEqual([r.resource_client.client_id]);
    const rs = createResourceServer({ issuer: a.config.issuer, audience: 'https://inventory.example.com', clientId: r.resource_client.client_id, clientSecret: r.resource_client.client_secret, logger: false });
    await expect(rs.authenticate('Bearer not-a-real-token')).rejects.toMatchObject({ name: 'BearerError', status: 401 });
    expect(await okJson<unknown[]>(['initial-access-tokens', 'list'])).toHaveLength(before.length);
  });

  it('refuses to make a client for an API that does not exist, in one line', async () => {
    expectOneLineError(await keyforge(['apis', 'create-resource-client', 'https://nope.example.com', '--name', 'x']), 1, /API https:\/\/nope\.example\.com not found \(HTTP 404\)$/);
  });
});
