// Benchmark knobs, read once from the environment. Defaults keep a whole
// `npm run bench` (ours, Hydra twice, the node:http bound) under 10 minutes on
// a 2-core machine once Hydra is built.

export interface BenchSettings {
  /** Length of each measured run. */
  seconds: number;
  /** Measured runs per workload; the table shows their median. */
  runs: number;
  /** Unmeasured run before each workload, so JIT and caches are warm. */
  warmupSeconds: number;
  /** Registered clients per token format (ours) and in Hydra. */
  clients: number;
  /** Tokens pre-issued per format for the introspection workloads (by as many different clients). */
  pool: number;
  connections: number;
  /** Upper bound on requests in one run, so a run is bounded in count as well as time. */
  maxRequestsPerRun: number;
  skipHydra: boolean;
  /** Hard stop for the whole run (after the one-time Hydra build). */
  deadlineSeconds: number;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    seconds: int(env, 'BENCH_SECONDS', 8, 1),
    runs: int(env, 'BENCH_RUNS', 3, 1),
    warmupSeconds: int(env, 'BENCH_WARMUP_SECONDS', 2, 0),
    clients: int(env, 'BENCH_CLIENTS', 1000, 1),
    pool: int(env, 'BENCH_POOL', 500, 1),
    connections: int(env, 'BENCH_CONNECTIONS', 64, 1),
    maxRequestsPerRun: int(env, 'BENCH_MAX_REQUESTS', 1_000_000, 100),
    skipHydra: env['BENCH_SKIP_HYDRA'] === '1' || env['BENCH_SKIP_HYDRA'] === 'true',
    deadlineSeconds: int(env, 'BENCH_DEADLINE_SECONDS', 600, 30),
  };
}

export function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * <prefix><NAME>=value in our environment becomes <NAME>=value for a server
 * under test (BENCH_KEYFORGE_ for ours, BENCH_HYDRA_ for Hydra), to try other
 * settings without editing the benchmark.
 */
export function passthroughEnv(prefix: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(prefix) && key.length > prefix.length && value !== undefined) out[key.slice(prefix.length)] = value;
  }
  return out;
}
