import { randomUUID } from 'node:crypto';

import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

import { endpointLabel, type Metrics } from './metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Request id (accepted from X-Request-Id when sane, else made), latency and error metrics,
 * and one structured log line per request. Only the path is logged: never the query, the
 * body or the Authorization header, which is where secrets travel.
 */
export function requestContext(log: Logger, metrics: Metrics) {
  return async function observeRequest(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get('x-request-id');
    const id = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state['requestId'] = id;
    ctx.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = ctx.status;
      const endpoint = endpointLabel(ctx.path);
      metrics.httpDuration.observe({ endpoint, method: ctx.method, status: String(status) }, seconds);
      const body = ctx.body as { error?: unknown } | undefined;
      if (status >= 400) {
        const kind = body && typeof body === 'object' && typeof body.error === 'string' ? body.error : 'http_error';
        metrics.errors.inc({ kind, status: String(status) });
      }
      if (log.isLevelEnabled('info')) {
        log.info({ reqId: id, method: ctx.method, endpoint, path: ctx.path, status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
      }
    }
  };
}
