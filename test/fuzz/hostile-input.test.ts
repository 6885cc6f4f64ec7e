import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, basic, createApi, registerClient, type RegisteredClient } from '../support/oauth.js';
import { DCR_TOKEN, startTestServer, type TestServer } from '../support/test-server.js';

interface CorpusEntry {
  method: string;
  path: string;
  type?: string;
  body?: string;
  bodyBase64?: string;
  headers?: Record<string, string>;
  auth?: 'admin' | 'dcr' | 'client';
}

const corpus = (JSON.parse(readFileSync(new URL('./corpus.json', import.meta.url), 'utf8')) as { requests: CorpusEntry[] }).requests;

let srv: TestServer;
let admin: string;
let client: RegisteredClient;
const counts = { requests: 0, fourxx: 0, twoxx: 0 };

beforeAll(async () => {
  // Rate limits off: this suite is a deliberate flood from one address.
  srv = await startTestServer({ RATE_LIMIT_TOKEN_PER_ADDRESS: '0', RATE_LIMIT_TOKEN_PER_CLIENT: '0' });
  admin = await adminToken(srv.url, srv.config.issuer);
  await createApi(srv.url, admin, { identifier: 'https://fuzz.example.com', name: 'Fuzz', scopes: [{ name: 'fuzz:x' }] });
  client = await registerClient(srv.url, { scope: 'fuzz:x' });
});
afterAll(async () => {
  process.stdout.write(`hostile input: ${counts.requests} requests, ${counts.fourxx} answered 4xx, ${counts.twoxx} 2xx, 0 5xx\n`);
  await srv?.destroy();
});

async function send(e: CorpusEntry): Promise<Response> {
  const headers: Record<string, string> = { ...(e.headers ?? {}) };
  if (e.type) headers['content-type'] = e.type;
  if (e.auth === 'admin') headers['authorization'] = `Bearer ${admin}`;
  if (e.auth === 'dcr') headers['authorization'] = `Bearer ${DCR_TOKEN}`;
  if (e.auth === 'client') headers['authorization'] = basic(client.client_id, client.client_secret);
  const body = e.bodyBase64 !== undefined ? Buffer.from(e.bodyBase64, 'base64') : e.body;
  return fetch(srv.url + e.path, {
    method: e.method,
    headers,
    ...(body !== undefined && e.method !== 'GET' && e.method !== 'HEAD' ? { body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
}

/** The invariant: a standards-shaped answer, never a server error, and the server lives on. */
async function expectShapedAnswer(e: CorpusEntry): Promise<void> {
  const res = await send(e);
  counts.requests++;
  const text = await res.text();
  expect(res.status, `${e.method} ${e.path} ${e.body ?? ''} -> ${res.status} ${text}`).toBeLessThan(500);
  if (res.status >= 400) {
    counts.fourxx++;
    if (res.status !== 405 || text) {
      const json = JSON.parse(text) as { error?: unknown };
      expect(typeof json.error, `${e.method} ${e.path} -> ${text}`).toBe('string');
    }
  } else {
    counts.twoxx++;
  }
}

describe('fuzz corpus', () => {
  it.each(corpus.map((e) => [`${e.method} ${e.path} ${(e.body ?? e.bodyBase64 ?? '').slice(0, 60)}`, e] as const))(
    '%s', async (_name, e) => {
      await expectShapedAnswer(e);
    },
  );
});

// Building blocks for generated input: plausible names, hostile values.
const paramName = fc.oneof(
  fc.constantFrom('grant_type', 'scope', 'resource', 'client_id', 'client_secret', 'client_assertion',
    'client_assertion_type', 'token', 'token_type_hint', '__proto__', 'constructor'),
  fc.string({ maxLength: 20 }),
);
const hostileString = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('client_credentials', 'fuzz:x', 'admin', 'https://fuzz.example.com', '%', '%FF', '\u0000',
    'eyJhbGciOiJub25lIn0.e30.', 'a.b.c', '{"$ne":null}'),
  fc.nat().map(String),
  fc.string({ maxLength: 5 }).map((s) => s.repeat(5000)),
);
const formBody = fc.array(fc.tuple(paramName, hostileString), { maxLength: 8 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
const rawBody = fc.oneof(formBody, fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')));
const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded', 'application/json', 'text/plain', 'application/x-www-form-urlencoded; charset=latin1', undefined,
);
const authHeader = fc.oneof(
  fc.constant(undefined),
  fc.constant('client'),
  fc.string({ maxLength: 60 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
  fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 60 }),
);
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const jsonObjectBody = fc.oneof(
  fc.dictionary(fc.constantFrom('client_name', 'scope', 'grant_types', 'token_endpoint_auth_method', 'access_token_strategy',
    'access_token_ttl', 'jwks', 'redirect_uris', 'identifier', 'name', 'scopes', 'signing_alg', 'resource_server_clients',
    'expires_in', 'algs', '__proto__', 'client_id', 'client_secret'), jsonValue),
  jsonValue,
).map((v) => JSON.stringify(v));

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 120);

describe('property: never a 5xx, always a shaped error', () => {
  it.each(['/token', '/token/introspection', '/token/revocation'])('form endpoints: %s', async (path) => {
    await fc.assert(fc.asyncProperty(rawBody, contentType, authHeader, async (body, type, auth) => {
      const e: CorpusEntry = { method: 'POST', path, body };
      if (type) e.type = type;
      if (auth === 'client') e.auth = 'client';
      else if (auth) e.headers = { authorization: auth };
      await expectShapedAnswer(e);
    }), { numRuns: RUNS });
  });

  it('registration: POST /reg and RFC 7592 management', async () => {
    const managed = await registerClient(srv.url, { scope: 'fuzz:x' });
    await fc.assert(fc.asyncProperty(jsonObjectBody, fc.constantFrom('POST', 'PUT', 'GET', 'DELETE'), async (body, method) => {
      const e: CorpusEntry = method === 'POST'
        ? { method, path: '/reg', type: 'application/json', body, auth: 'dcr' }
        : { method, path: `/reg/${managed.client_id}`, type: 'application/json', body,
          headers: { authorization: `Bearer ${method === 'DELETE' ? 'wrong-token' : managed.registration_access_token}` } };
      await expectShapedAnswer(e);
    }), { numRuns: RUNS });
  });

  it('management API', async () => {
    const routes = fc.constantFrom(
      ['POST', '/api/apis'], ['PATCH', '/api/apis/https%3A%2F%2Ffuzz.example.com'], ['POST', '/api/initial-access-tokens'],
      ['POST', '/api/apis/https%3A%2F%2Ffuzz.example.com/resource-servers'], ['GET', '/api/audit-log'],
      ['POST', '/api/apis/nope/resource-servers'], ['DELETE', '/api/initial-access-tokens/nope'],
    );
    await fc.assert(fc.asyncProperty(routes, jsonObjectBody, fc.boolean(), async ([method, path], body, asJson) => {
      const e: CorpusEntry = { method: method!, path: path!, auth: 'admin', body };
      e.type = asJson ? 'application/json' : 'text/plain';
      await expectShapedAnswer(e);
    }), { numRuns: RUNS });
    // The fuzzed API survives in a valid state: its admin scope and management still work.
    const check = await fetch(`${srv.url}/api/apis`, { headers: { authorization: `Bearer ${admin}` } });
    expect(check.status).toBe(200);
  });

  it('query strings on the audit log', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(paramName, hostileString), { maxLength: 4 }), async (pairs) => {
      const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.slice(0, 300))}`).join('&');
      await expectShapedAnswer({ method: 'GET', path: `/api/audit-log?${qs}`, auth: 'admin' });
    }), { numRuns: RUNS });
  });
});
