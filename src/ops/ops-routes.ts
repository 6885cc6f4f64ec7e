import type Router from '@koa/router';

import type { DatabaseHealth } from './database-health.js';
import type { Metrics } from './metrics.js';

export interface OpsDeps {
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

  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = d.metrics.registry.contentType;
    ctx.body = await d.metrics.exposition();
  });
}
