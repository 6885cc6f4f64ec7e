// Benchmark knobs, read once from the environment. The defaults are the full
// run of issue 10 (median of 3 runs of 8 s at 64 connections, 3 runs of 20 s
// at a fixed rate, three systems); a smoke run shrinks them (see main.ts).

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
  /** Which servers to measure (BENCH_SYSTEMS=ours,hydra,keycloak). */
  systems: SystemName[];
  /** Fixed-rate (open-loop) tail runs: length of each run, its connections and rates. */
  rateSeconds: number;
  rateConnections: number;
  issueRate: number;
  introspectRate: number;
  /** Length of each bound measurement (RS256 signing, FerretDB group commit). */
  boundSeconds: number;
  /** Hard stop for the whole run (after one-time builds and downloads). */
  deadlineSeconds: number;
  /** Where the SVG charts and their data go (docs/bench in the project). */
  outDir: string | undefined;
}

export const SYSTEMS = ['ours', 'hydra', 'keycloak'] as const;
export type SystemName = (typeof SYSTEMS)[number];

function systems(env: NodeJS.ProcessEnv): SystemName[] {
  const raw = env['BENCH_SYSTEMS'];
  let names: string[] = raw === undefined || raw === '' ? [...SYSTEMS] : raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SYSTEMS as readonly string[]).includes(n)) throw new Error(`BENCH_SYSTEMS: unknown system ${JSON.stringify(n)} (known: ${SYSTEMS.join(', ')})`);
  }
  // The older switch still works.
  if (env['BENCH_SKIP_HYDRA'] === '1' || env['BENCH_SKIP_HYDRA'] === 'true') names = names.filter((n) => n !== 'hydra');
  return SYSTEMS.filter((n) => names.includes(n));
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
    systems: systems(env),
    rateSeconds: int(env, 'BENCH_RATE_SECONDS', 20, 1),
    rateConnections: int(env, 'BENCH_RATE_CONNECTIONS', 16, 1),
    issueRate: int(env, 'BENCH_ISSUE_RATE', 200, 1),
    introspectRate: int(env, 'BENCH_INTROSPECT_RATE', 1000, 1),
    boundSeconds: int(env, 'BENCH_BOUND_SECONDS', 5, 1),
    deadlineSeconds: int(env, 'BENCH_DEADLINE_SECONDS', 2400, 30),
    outDir: env['BENCH_OUT_DIR'] || undefined,
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
