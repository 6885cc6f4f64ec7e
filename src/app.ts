import Router from '@koa/router';
import Koa from 'koa';

import { managementRouter } from './management-api/index.js';
import { INTROSPECTION_PATH, REVOCATION_FEED_PATH, REVOCATION_PATH } from './consts/index.js';
import { jsonErrors, HttpError } from './http/index.js';
import { authenticatedEndpointLimits, tokenRateLimit } from './limits/index.js';
import {
  isDatabaseUnavailable, opsRoutes, requestContext, serviceUnavailable,
} from './ops/index.js';
import { portalMiddleware } from './portal/index.js';
import type { Services } from './services.js';
import { introspectionEndpoint, revocationEndpoint } from './tokens/index.js';
import { revocationFeedEndpoint } from './tokens/revocation-feed.js';
import { usageTap } from './usage/index.js';

// Routes that cannot answer without the database; discovery, JWKS and probes can.
const NEEDS_DATABASE = /^\/(token|reg|api|portal)(\/|$)/;

// The only oidc-provider routes this server offers, with their methods; its interactive
// ones stay unreachable.
const PROVIDER_ROUTES: [RegExp, string[]][] = [
  [/^\/\.well-known\/(openid-configuration|oauth-authorization-server)$/, ['GET', 'HEAD', 'OPTIONS']],
  [/^\/jwks$/, ['GET', 'HEAD', 'OPTIONS']],
  [/^\/token$/, ['POST', 'OPTIONS']],
  [/^\/reg$/, ['POST']],
  [/^\/reg\/[^/]+$/, ['GET', 'PUT', 'DELETE']],
];

/** Only what oidc-provider serves for us reaches it, and its plain-text misses become JSON. */
async function providerRoutesOnly(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  const route = PROVIDER_ROUTES.find(([path]) => path.test(ctx.path));
  if (!route) throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
  const methods = route[1];
  if (!methods.includes(ctx.method)) {
    throw new HttpError(405, 'invalid_request', `${ctx.method} is not allowed here`, { Allow: methods.join(', ') });
  }
  await next();
  if (ctx.status === 404 && typeof ctx.body !== 'object') {
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: `no route for ${ctx.method} ${ctx.path}` };
  }
}

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
  const hops = s.config.trustProxyHops;
  // Only the last `hops` X-Forwarded-For entries were written by our proxies; the rest came
  // from the client and would let it pick the address every per-address limit counts.
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  app.silent = true;

  const router = new Router();
  const endpoint = (path: string) => s.config.issuer + path;
  const authDeps = {
    issuer: s.config.issuer,
    findClient: s.findClient,
    markAssertionUsed: s.markAssertionUsed,
  };
  const c = s.config;
  const introspectionLimits = authenticatedEndpointLimits(s.limiter, 'introspection', () => ({
    perClient: c.rateLimitIntrospectionPerClient, perAddress: c.rateLimitIntrospectionPerAddress,
  }));
  const revocationLimits = authenticatedEndpointLimits(s.limiter, 'revocation', () => ({
    perClient: c.rateLimitRevocationPerClient, perAddress: c.rateLimitRevocationPerAddress,
  }));
  const feedLimits = authenticatedEndpointLimits(s.limiter, 'revocation feed', () => ({
    perClient: c.rateLimitRevocationFeedPerClient, perAddress: c.rateLimitRevocationFeedPerAddress,
  }));
  router.post(INTROSPECTION_PATH, introspectionLimits.byAddress, introspectionEndpoint({
    ...authDeps,
    onAuthenticated: introspectionLimits.byClient,
    inspector: s.inspector,
    registry: s.registry,
    adminClientId: s.config.adminClientId,
    endpointUrl: endpoint(INTROSPECTION_PATH),
    onResult: (active) => s.metrics.introspections.inc({ result: active ? 'active' : 'inactive' }),
  }));
  router.post(REVOCATION_PATH, revocationLimits.byAddress, revocationEndpoint({
    ...authDeps,
    onAuthenticated: revocationLimits.byClient,
    inspector: s.inspector,
    tokens: s.tokens,
    adminClientId: s.config.adminClientId,
    endpointUrl: endpoint(REVOCATION_PATH),
    onRevoke: (caller, token, ctx) => void s.audit.record({
      actor: `client:${caller}`,
      action: 'token.revoke',
      target: token.jti,
      ip: ctx.ip,
      details: { client_id: token.record.client_id, format: token.record.format },
    }),
  }));
  router.get(REVOCATION_FEED_PATH, feedLimits.byAddress, revocationFeedEndpoint({
    ...authDeps,
    onAuthenticated: feedLimits.byClient,
    tokens: s.store.collections.tokens,
    registry: s.registry,
    adminClientId: s.config.adminClientId,
    endpointUrl: endpoint(REVOCATION_FEED_PATH),
  }));
  opsRoutes(router, {
    metricsToken: s.config.metricsToken,
    health: s.health,
    metrics: s.metrics,
    keysLoaded: () => s.holder.keys.signingKid.size > 0,
  });

  app.use(requestContext(s.log, s.metrics));
  app.use(securityHeaders);
  app.use(jsonErrors(
    (err, ctx) => s.log.error({ err, reqId: ctx.state['requestId'], path: ctx.path }, 'request failed'),
    (err) => {
      if (!isDatabaseUnavailable(err)) return undefined;
      s.health.observe(err);
      return serviceUnavailable();
    },
  ));
  // While the database is known to be away, fail at once instead of after a selection timeout.
  app.use(async (ctx, next) => {
    if (!s.health.available && NEEDS_DATABASE.test(ctx.path)) throw serviceUnavailable();
    await next();
  });
  app.use(usageTap({ counters: s.usage.counters, clients: s.adapter('Client') }));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  app.use(managementRouter(s).routes());
  app.use(portalMiddleware(s));
  app.use(providerRoutesOnly);
  app.use(tokenRateLimit(s.limiter, () => ({
    perClient: s.config.rateLimitTokenPerClient,
    perAddress: s.config.rateLimitTokenPerAddress,
  })));
  app.use(s.holder.middleware());
  return app;
}
