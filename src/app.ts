import Router from '@koa/router';
import Koa from 'koa';

import { managementRouter } from './api/index.js';
import { jsonErrors, HttpError } from './http/index.js';
import { portalMiddleware } from './portal/index.js';
import { INTROSPECTION_PATH, REVOCATION_PATH } from './provider/index.js';
import type { Services } from './services.js';
import { introspectionEndpoint, revocationEndpoint } from './tokens/index.js';

// The only oidc-provider routes this server offers; its interactive ones stay unreachable.
const PROVIDER_ROUTES = /^\/(\.well-known\/(openid-configuration|oauth-authorization-server)|token|jwks|reg(\/[^/]+)?)$/;

async function securityHeaders(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  ctx.set({
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  if (ctx.protocol === 'https') ctx.set('Strict-Transport-Security', 'max-age=31536000');
  await next();
}

export function createApp(s: Services): Koa {
  const app = new Koa({ proxy: true });
  app.silent = true;

  const router = new Router();
  const endpoint = (path: string) => s.config.issuer + path;
  const authDeps = {
    issuer: s.config.issuer,
    findClient: s.findClient,
    markAssertionUsed: s.markAssertionUsed,
  };
  router.post(INTROSPECTION_PATH, introspectionEndpoint({
    ...authDeps,
    inspector: s.inspector,
    registry: s.registry,
    adminClientId: s.config.adminClientId,
    endpointUrl: endpoint(INTROSPECTION_PATH),
  }));
  router.post(REVOCATION_PATH, revocationEndpoint({
    ...authDeps,
    inspector: s.inspector,
    tokens: s.tokens,
    adminClientId: s.config.adminClientId,
    endpointUrl: endpoint(REVOCATION_PATH),
  }));
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  app.use(securityHeaders);
  app.use(jsonErrors((err, ctx) => s.log.error({ err, path: ctx.path }, 'request failed')));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  app.use(managementRouter(s).routes());
  app.use(portalMiddleware(s));
  app.use(async (ctx, next) => {
    if (!PROVIDER_ROUTES.test(ctx.path)) throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
    await next();
  });
  app.use(s.holder.middleware());
  return app;
}
