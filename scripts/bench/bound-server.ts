// The upper bound: a bare node:http server that reads the request and answers
// a fixed JSON body, run as its own process like our server. No server built
// on node:http can answer faster on this machine with this load generator.
//   PORT=8080 node dist/scripts/bench/bound-server.js

import { createServer } from 'node:http';

// Contains the success markers of both token and introspection responses, so the
// same checks apply to it as to the real servers.
const BODY = Buffer.from(
  JSON.stringify({ access_token: 'bound', token_type: 'Bearer', expires_in: 3600, active: true, scope: 'bench:read' }),
);

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length, 'cache-control': 'no-store' });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`bound listening on ${typeof addr === 'object' && addr ? addr.port : '?'}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
