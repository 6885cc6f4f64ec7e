/**
 * ops: what operators see and what keeps the server honest when things break. Database
 * reachability (fail fast with 503 + Retry-After), /healthz, /readyz (hard deadline),
 * Prometheus /metrics (summed over all workers under node:cluster), request ids, structured
 * request logs and how background failures are logged.
 */
export {
  DatabaseHealth, isDatabaseUnavailable, serviceUnavailable, RETRY_AFTER_SECONDS,
} from './database-health.js';
export { failureLogger, logFailure } from './failure-log.js';
export { Metrics } from './metrics.js';
export { serveClusterMetrics } from './cluster-metrics.js';
export { requestContext } from './request-context.js';
export { opsRoutes, type OpsDeps } from './ops-routes.js';
