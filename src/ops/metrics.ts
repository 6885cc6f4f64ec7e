import cluster from 'node:cluster';

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import { askPrimaryForMetrics, joinClusterMetrics } from './cluster-metrics.js';

/** Prometheus metrics of one server; a registry per instance so tests can run several. */
export class Metrics {
  readonly registry = new Registry();

  readonly tokensIssued = new Counter({
    name: 'keyforge_tokens_issued_total',
    help: 'Access tokens issued',
    labelNames: ['format', 'key_type'] as const,
    registers: [this.registry],
  });

  readonly introspections = new Counter({
    name: 'keyforge_introspections_total',
    help: 'Introspection requests by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'keyforge_errors_total',
    help: 'Error responses by OAuth error code',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'keyforge_http_request_duration_seconds',
    help: 'Request latency per endpoint',
    labelNames: ['endpoint', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly dbDuration = new Histogram({
    name: 'keyforge_db_command_duration_seconds',
    help: 'Database command latency',
    labelNames: ['command', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  /** When each algorithm's signing key was created; kept current by the key schedule. */
  readonly signerCreatedAt = new Map<string, Date>();

  /** Every worker sees the same keys, so workers are not summed. */
  readonly signingKeyAge = new Gauge({
    name: 'keyforge_signing_key_age_seconds',
    help: 'Age of the key that signs new tokens, per algorithm',
    labelNames: ['alg'] as const,
    aggregator: 'max',
    registers: [this.registry],
    collect: () => {
      for (const [alg, created] of this.signerCreatedAt) {
        this.signingKeyAge.set({ alg }, Math.max(0, (Date.now() - created.getTime()) / 1000));
      }
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'keyforge_' });
    // One server per worker process, so one registry joins the group's metrics.
    if (cluster.isWorker) joinClusterMetrics(this.registry);
  }

  /** What /metrics serves: with several workers, all of them summed (see cluster-metrics). */
  exposition(): Promise<string> {
    return cluster.isWorker ? askPrimaryForMetrics() : this.registry.metrics();
  }
}

/** A small, fixed set of endpoint labels: paths with ids would explode the series count. */
export function endpointLabel(path: string): string {
  if (path === '/token' || path === '/token/introspection' || path === '/token/revocation') return path;
  if (path === '/reg') return '/reg';
  if (path.startsWith('/reg/')) return '/reg/:id';
  if (path.startsWith('/.well-known/')) return '/.well-known';
  if (path === '/jwks') return path;
  if (path.startsWith('/api/')) return '/api';
  if (path.startsWith('/portal')) return '/portal';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  return 'other';
}
