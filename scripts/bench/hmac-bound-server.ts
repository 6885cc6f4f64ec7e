// A bound for the token and introspection endpoints: a bare node:http server
// that does only what every one of those requests must do before any database
// work, which is checking the caller's client_secret_basic credentials with
// the keyed HMAC our server uses (src/store/hashing.ts) in constant time, then
// answers a fresh 256-bit random token. It stores nothing.
//   PORT=8080 BENCH_HMAC_CLIENTS=1000 node dist/scripts/bench/hmac-bound-server.js
// Clients are client-<i> with secret secret-<i>, i < BENCH_HMAC_CLIENTS.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const key = randomBytes(32);
const hash = (secret: string) => createHmac('sha256', key).update(secret).digest();
const stored = new Map<string, Buffer>();
const clients = Number(process.env['BENCH_HMAC_CLIENTS'] ?? 1000);
for (let i = 0; i < clients; i++) stored.set(`client-${i}`, hash(`secret-${i}`));

const UNAUTHORIZED = Buffer.from(JSON.stringify({ error: 'invalid_client' }));

function authenticated(header: string | undefined): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const expected = stored.get(decodeURIComponent(decoded.slice(0, colon)));
  const presented = hash(decodeURIComponent(decoded.slice(colon + 1)));
  return expected !== undefined && timingSafeEqual(expected, presented);
}

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // GET is the readiness probe; the measured requests are POSTs.
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-length': 0 });
      res.end();
      return;
    }
    if (!authenticated(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'application/json', 'content-length': UNAUTHORIZED.length });
      res.end(UNAUTHORIZED);
      return;
    }
    const body = Buffer.from(
      JSON.stringify({ access_token: randomBytes(32).toString('base64url'), token_type: 'Bearer', expires_in: 3600, active: true, scope: 'bench:read' }),
    );
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
