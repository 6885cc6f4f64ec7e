// A tiny API protected by the resource-server kit: one public route, two protected ones.
// The kit is the workspace package packages/resource-server (@keyforge/resource-server).
//
//   ISSUER=http://localhost:3000 AUDIENCE=https://orders.example.com \
//   CLIENT_ID=... CLIENT_SECRET=... PORT=4000 node dist/examples/orders-api.js
//
// CLIENT_ID and CLIENT_SECRET are the API's resource-server client, as printed by
//   keyforge apis create https://orders.example.com --name Orders --scope orders:read --scope orders:write --resource-client orders-api

import { pathToFileURL } from 'node:url';

import Router from '@koa/router';
import Koa from 'koa';

import { requireToken, type ResourceServerOptions, type TokenState } from '@keyforge/resource-server';

export function createOrdersApi(auth: ResourceServerOptions): Koa<TokenState> {
  const app = new Koa<TokenState>();
  const router = new Router<TokenState>();
  const orders: { id: number; item: string; by: string }[] = [];

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/orders', requireToken({ ...auth, scopes: ['orders:read'] }), (ctx) => {
    const { clientId, scopes, format } = ctx.state.token;
    ctx.body = { orders, caller: { clientId, scopes, format } };
  });

  router.post('/orders', requireToken({ ...auth, scopes: ['orders:write'] }), (ctx) => {
    const order = { id: orders.length + 1, item: 'widget', by: ctx.state.token.clientId };
    orders.push(order);
    ctx.status = 201;
    ctx.body = order;
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

function fromEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = createOrdersApi({
    issuer: fromEnv('ISSUER'),
    audience: fromEnv('AUDIENCE'),
    clientId: fromEnv('CLIENT_ID'),
    clientSecret: fromEnv('CLIENT_SECRET'),
  });
  const port = Number(process.env['PORT'] ?? 4000);
  app.listen(port, () => console.log(`orders API on http://localhost:${port}`));
}
