import { createHash, timingSafeEqual } from 'node:crypto';

import type Router from '@koa/router';

import { HttpError } from '../http/index.js';

import type { DatabaseHealth } from './database-health.js';
import type { Metrics } from './metrics.js';

export interface OpsDeps {
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | undefined;
  health: DatabaseHealth;
  metrics: Metrics;
  keysLoaded(): boolean;
}

/** Liveness, readiness (database reachable, keys loaded) and Prometheus metrics. */
export function opsRoutes(router: Router, d: OpsDeps): void {
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const database = await d.health.ping();
    const keys = d.keysLoaded();
    ctx.status = database && keys ? 200 : 503;
    ctx.body = { status: database && keys ? 'ready' : 'not_ready', database, keys };
  });

  const mayReadMetrics = bearerCheck(d.metricsToken);
  router.get('/metrics', async (ctx) => {
    if (!mayReadMetrics(ctx.get('authorization'))) {
      throw new HttpError(401, 'invalid_token', 'the metrics endpoint requires its bearer token', {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = d.metrics.registry.contentType;
    ctx.body = await d.metrics.exposition();
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of a presented bearer token; no token configured lets everyone in. */
function bearerCheck(expected: string | undefined): (authorization: string) => boolean {
  if (expected === undefined) return () => true;
  const want = digest(expected);
  return (authorization) => {
    const match = /^bearer +(\S+)\s*$/i.exec(authorization);
    // Hashes have equal length whatever was sent, so the comparison time says nothing.
    return !!match && timingSafeEqual(digest(match[1]!), want);
  };
}
