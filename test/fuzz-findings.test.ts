import { connect } from 'node:net';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminToken, createApi } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// Found by `npm run fuzz` (5xx answers, and requests left without an answer); each test failed before its fix.

const PASSWORD = 'a-long-admin-password-for-fuzz-findings';

let srv: TestServer;
let url: string;
let admin: string;
let cookie = '';

beforeAll(async () => {
  srv = await startTestServer({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: PASSWORD, KEY_ACTIVATION_DELAY_SECONDS: '30' });
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
  const form = await request(url).get('/portal/sign-in');
  const jar = (form.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
  const signedIn = await request(url).post('/portal/sign-in').set('Cookie', jar).type('form')
    .send({ _csrf: csrf, username: 'root', password: PASSWORD });
  expect(signedIn.status).toBe(303);
  cookie = (signedIn.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
});
afterAll(() => srv?.destroy());

const api = (method: 'get' | 'post' | 'delete' | 'patch', path: string) =>
  request(url)[method](`/api${path}`).set('Authorization', `Bearer ${admin}`);

describe('unknown HTTP methods', () => {
  it.each(['MKCOL', 'PROPFIND', 'PURGE'])('%s on a portal page with a session is a 405, not a 500', async (method) => {
    const res = await request(url)[method.toLowerCase() as 'get'](`/portal/apis`).set('Cookie', cookie);
    expect(res.status).toBe(405);
  });
});

describe('import', () => {
  it('refuses an application record without its key sets, and listings keep working', async () => {
    const res = await api('post', '/import').send({ format: 'keyforge-export', version: 1, applications: [{ _id: 'imported-app' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect((await api('get', '/applications')).status).toBe(200);
    expect((await request(url).get('/portal/applications').set('Cookie', cookie)).status).toBe(200);
  });
});

describe('signing keys', () => {
  it('refuses to remove a retired key that still signs until its successor is active', async () => {
    await createApi(url, admin, { identifier: 'https://es.example.com', name: 'ES', scopes: [{ name: 'es:read' }], signing_alg: 'ES256' });
    const before = (await api('get', '/keys')).body as { kid: string; alg: string; status: string }[];
    const old = (Array.isArray(before) ? before : (before as unknown as { keys: typeof before }).keys)
      .find((k) => k.alg === 'ES256' && k.status === 'active')!;
    expect((await api('post', '/keys/rotate').send({ algs: ['ES256'] })).status).toBe(200);
    const del = await api('delete', `/keys/${old.kid}`);
    expect(del.status).toBe(409);
    expect(del.body.error).toBe('conflict');
    expect((await api('get', '/applications')).status).toBe(200);
    const keys = (await api('get', '/keys')).body;
    expect(JSON.stringify(keys)).toContain(old.kid);
  });
});

describe('an API changed while another request deletes it', () => {
  it('answers 404, never 500', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const identifier = `https://race-${i}.example.com`;
      await createApi(url, admin, { identifier, name: `Race ${i}`, scopes: [{ name: `race${i}:read` }] });
      const path = `/apis/${encodeURIComponent(identifier)}`;
      const [patched, deleted] = await Promise.all([
        api('patch', path).send({ signing_alg: 'EdDSA', resource_server_clients: [] }),
        api('delete', path),
      ]);
      statuses.add(patched.status).add(deleted.status);
    }
    for (const s of statuses) expect([200, 204, 404]).toContain(s);
  });
});

/** How a connection behaved: the first answer's status (0: closed first), then what the next request on it got. */
interface Exchange {
  first: number;
  second: 'answered' | 'closed' | 'no answer';
}

/**
 * Sends `first` over a fresh keep-alive connection, reads its whole answer, then sends `second`
 * on the same connection. A server that stopped reading a body part-way must not leave the
 * connection waiting for the rest: the next request is answered, or the connection is closed.
 */
function sameConnection(port: number, first: Buffer, second: string, waitMs = 5_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let firstStatus: number | undefined;
    let sentSecond = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (e: Exchange) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(e);
    };
    socket.on('error', () => undefined);
    socket.on('close', () => done({ first: firstStatus ?? 0, second: 'closed' }));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (sentSecond) {
        if (received.includes('HTTP/1.1 ')) done({ first: firstStatus!, second: 'answered' });
        return;
      }
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = received.subarray(0, headEnd).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (received.length < headEnd + 4 + length) return;
      firstStatus = Number(head.slice(9, 12));
      received = received.subarray(headEnd + 4 + length);
      sentSecond = true;
      socket.write(second);
      timer = setTimeout(() => done({ first: firstStatus!, second: 'no answer' }), waitMs);
    });
    socket.write(first);
  });
}

const chunked = (head: string, body: string) =>
  Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);

describe('a body refused part-way', () => {
  const big = `a=${'x'.repeat(200_000)}`;
  const bigJson = JSON.stringify({ pad: 'x'.repeat(200_000) });
  const next = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  const port = () => Number(new URL(url).port);

  it('a portal form over the size limit: 413, and the connection does not hang the next request', async () => {
    const head = `POST /portal/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${big.length}\r\n\r\n`;
    const seen = await sameConnection(port(), Buffer.from(head + big), next);
    expect([0, 413]).toContain(seen.first);
    expect(seen.second).not.toBe('no answer');
  });

  it.each([
    ['/token', 'application/x-www-form-urlencoded', () => `grant_type=client_credentials&${big}`],
    ['/token/introspection', 'application/x-www-form-urlencoded', () => big],
    ['/token/revocation', 'application/x-www-form-urlencoded', () => big],
    ['/portal/sign-in', 'application/x-www-form-urlencoded', () => big],
    ['/reg', 'application/json', () => bigJson],
  ])('a chunked body over the size limit at %s does not hang the connection', async (path, type, body) => {
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nAuthorization: Bearer x\r\n`;
    const seen = await sameConnection(port(), chunked(head, body()), next);
    expect([0, 400, 401, 413]).toContain(seen.first);
    expect(seen.second).not.toBe('no answer');
  });

  it('a chunked JSON body over the size limit at /api does not hang the connection', async () => {
    const head = `POST /api/apis HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${admin}\r\n`;
    const seen = await sameConnection(port(), chunked(head, bigJson), next);
    expect([0, 413]).toContain(seen.first);
    expect(seen.second).not.toBe('no answer');
  });
});
