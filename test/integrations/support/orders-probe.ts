import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ORDERS, type Keyforge } from './keyforge.js';

/**
 * A stand-in Orders API for the client examples: it lets a request through only if its
 * bearer token introspects active, for the Orders API, with orders:read. It records what
 * it saw, so tests can say why a client failed.
 */
export interface OrdersProbe {
  url: string;
  seen: Array<{ status: number; claims?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startOrdersProbe(kf: Keyforge): Promise<OrdersProbe> {
  const seen: OrdersProbe['seen'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      let status = 401;
      let claims: Record<string, unknown> | undefined;
      if (token) {
        claims = await kf.introspect(token);
        const aud = claims['aud'];
        const auds = Array.isArray(aud) ? aud : [aud];
        const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
        if (claims['active'] === true && auds.includes(ORDERS)) status = scopes.includes('orders:read') ? 200 : 403;
      }
      seen.push({ status, claims });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { caller: claims?.['client_id'], orders: [] } : { error: status === 403 ? 'insufficient_scope' : 'invalid_token' }));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`,
    seen,
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
