// `npm run bench` (issues 5 and 10): our server, Ory Hydra v2.3.0 and
// Keycloak 26.7.3 under the same workloads over loopback, side by side, with
// the bounds of this machine measured in the same run; prints the tables,
// writes bench-results/<timestamp>.json and the charts, their data and the
// tail attribution into docs/bench/.
//
// scripts/bench/ owns the benchmark: starting and stopping the servers it
// measures (processes.ts), setting them up over HTTP (keyforge.ts, hydra.ts,
// keycloak.ts), generating load (load.ts: autocannon at 64 connections;
// rate-driver.ts: open loop at a fixed rate), the bounds (bounds.ts,
// bound-server.ts, hmac-bound-server.ts), server events (trace-preload.ts,
// cpu-sampler.ts, tails.ts) and reporting (report.ts, charts.ts).
// memory.ts is the separate 1,000,000-token memory run (npm run bench:memory).
//
// Knobs: BENCH_SYSTEMS (ours,hydra,keycloak), BENCH_SECONDS (8), BENCH_RUNS (3),
// BENCH_WARMUP_SECONDS (2), BENCH_RATE_SECONDS (20), BENCH_ISSUE_RATE (200),
// BENCH_INTROSPECT_RATE (1000), BENCH_RATE_CONNECTIONS (16), BENCH_BOUND_SECONDS (5),
// BENCH_CLIENTS (1000), BENCH_POOL (500), BENCH_CONNECTIONS (64),
// BENCH_MAX_REQUESTS (per run), BENCH_DEADLINE_SECONDS (2400), BENCH_OUT_DIR
// (docs/bench); BENCH_KEYFORGE_<VAR>, BENCH_HYDRA_<VAR> and BENCH_KEYCLOAK_<VAR>
// are passed to that server as <VAR>.

import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { introspectCall, introspectOwnCall, issueCall } from './calls.js';
import { groupCommitInserts, rs256SignsPerSecond } from './bounds.js';
import { rateLatencyChart, throughputChart, timelineChart } from './charts.js';
import { createHydraClients, ensureHydra, HYDRA_VERSION, prepareHydraStore, startHydra } from './hydra.js';
import { ensureKeycloak, KEYCLOAK_VERSION, setUpKeycloak, startKeycloak } from './keycloak.js';
import { INTROSPECTION_LIMITS_OFF, issuePool, setUpKeyforge, startKeyforge } from './keyforge.js';
import { autocannonTarget, measure, type HttpCall, type WorkloadResult } from './load.js';
import { HOST, baseEnv, cleanupAll, freePort, installExitHandlers, makeTempDir, spawnChild, waitForHttp } from './processes.js';
import { readMemory } from './rss.js';
import {
  RATE_WORKLOADS, SYSTEM_LABELS, WORKLOADS, checkTargets, formatBounds, formatRate, formatCpu, formatThroughput, writeResults,
  type Bounds, type RateKey, type SystemResults, type WorkloadKey,
} from './report.js';
import { passthroughEnv, readSettings, type BenchSettings, type SystemName } from './settings.js';
import { credentials, mapLimit, SCOPE, issueToken, type Credentials } from './setup-http.js';
import { attribute, measureRate, readTrace, timelineOf, type Timeline } from './tails.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BOUND_JS = fileURLToPath(new URL('./bound-server.js', import.meta.url));
const HMAC_BOUND_JS = fileURLToPath(new URL('./hmac-bound-server.js', import.meta.url));
const TRACE_PRELOAD = pathToFileURL(fileURLToPath(new URL('./trace-preload.js', import.meta.url))).href;

const log = (line: string) => process.stderr.write(`${line}\n`);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One server configuration to measure: the calls of each workload it runs, and the processes to watch. */
interface Phase {
  pid: number;
  dbPid?: number | undefined;
  throughput: Partial<Record<WorkloadKey, HttpCall>>;
  rate: Partial<Record<RateKey, HttpCall>>;
  traceFile?: string;
}

interface Run {
  settings: BenchSettings;
  problems: string[];
  results: Partial<Record<SystemName, SystemResults>>;
  timelines: Timeline[];
  servers: Record<string, Record<string, unknown>>;
  deadlineAt: number;
}

/** Tokens with the client each was issued to. */
async function ownedTokens(tokenUrl: string, clients: Credentials[]): Promise<{ caller: Credentials; token: string }[]> {
  return mapLimit(clients, 16, async (caller) => ({ caller, token: await issueToken(tokenUrl, caller, SCOPE) }));
}

async function measurePhase(run: Run, system: SystemName, phase: Phase): Promise<void> {
  const { settings: s } = run;
  const results = (run.results[system] ??= { throughput: {}, rate: {} });
  const workloadSeconds = s.warmupSeconds + s.runs * (s.seconds + 1) + 5;
  const rateSeconds = s.warmupSeconds + s.runs * (s.rateSeconds + 1) + 15;
  const timeLeft = () => (run.deadlineAt - Date.now()) / 1000 - 20;
  for (const spec of WORKLOADS) {
    const call = phase.throughput[spec.key];
    if (!call) continue;
    if (timeLeft() < workloadSeconds) {
      run.problems.push(`${system} ${spec.label}: skipped, it would not finish within BENCH_DEADLINE_SECONDS=${s.deadlineSeconds}`);
      continue;
    }
    log(`${system}: ${spec.label}, ${s.connections} connections`);
    try {
      results.throughput[spec.key] = await measure(`${system} ${spec.key}`, autocannonTarget(call), s, { server: phase.pid, db: phase.dbPid }, log);
    } catch (err) {
      run.problems.push(`${system} ${spec.label}: ${message(err)}`);
      log(run.problems.at(-1)!);
    }
  }
  for (const spec of RATE_WORKLOADS) {
    const call = phase.rate[spec.key];
    if (!call) continue;
    if (timeLeft() < rateSeconds) {
      run.problems.push(`${system} ${spec.label}: skipped, it would not finish within BENCH_DEADLINE_SECONDS=${s.deadlineSeconds}`);
      continue;
    }
    const rate = spec.key === 'rate-issue' ? s.issueRate : s.introspectRate;
    log(`${system}: ${spec.label}, ${rate}/s over ${s.rateConnections} connections`);
    try {
      const { result, cpu } = await measureRate(
        `${system} ${spec.key}`,
        call,
        rate,
        { runs: s.runs, seconds: s.rateSeconds, warmupSeconds: s.warmupSeconds, connections: s.rateConnections },
        { server: phase.pid, db: phase.dbPid },
        log,
      );
      results.rate[spec.key] = result;
      const events = phase.traceFile ? await readTrace(phase.traceFile) : [];
      run.timelines.push(timelineOf(system, spec.key, result, cpu, events));
    } catch (err) {
      run.problems.push(`${system} ${spec.label}: ${message(err)}`);
      log(run.problems.at(-1)!);
    }
  }
}

async function measureBounds(run: Run, tmp: string): Promise<Bounds> {
  const { settings: s } = run;
  const bounds: Bounds = {};
  const fake = Array.from({ length: s.clients }, (_, i) => credentials(`client-${i}`, `secret-${i}`));
  for (const [name, js, key] of [['bare node:http', BOUND_JS, 'nodeHttp'], ['HMAC check + random token', HMAC_BOUND_JS, 'hmac']] as const) {
    try {
      log(`bound: ${name}`);
      const port = await freePort();
      const child = spawnChild(name, process.execPath, [js], { env: { ...baseEnv(), PORT: String(port), BENCH_HMAC_CLIENTS: String(s.clients) } });
      const url = `http://${HOST}:${port}`;
      await waitForHttp(`${url}/`, child);
      const result: WorkloadResult = await measure(`bound ${key}`, autocannonTarget(issueCall(url, '/token', fake)), s, { server: child.pid }, log);
      bounds[key] = result;
      await child.stop();
    } catch (err) {
      run.problems.push(`bound ${name}: ${message(err)}`);
      log(run.problems.at(-1)!);
    }
  }
  try {
    log(`bound: RS256 signatures, ${cpus().length} threads and 1 thread, ${s.boundSeconds} s each`);
    bounds.rs256AllCores = await rs256SignsPerSecond(cpus().length, s.boundSeconds);
    bounds.rs256OneCore = await rs256SignsPerSecond(1, s.boundSeconds);
    log(`  RS256: ${bounds.rs256AllCores.toFixed(0)}/s on all cores, ${bounds.rs256OneCore.toFixed(0)}/s on one`);
  } catch (err) {
    run.problems.push(`bound RS256: ${message(err)}`);
  }
  try {
    log(`bound: FerretDB acknowledged inserts through BatchInserter, ${s.connections} writers, ${s.boundSeconds} s`);
    bounds.inserts = await groupCommitInserts(join(tmp, 'insert-bound'), s.connections, s.boundSeconds);
    log(`  inserts: ${bounds.inserts.insertsPerSecond.toFixed(0)}/s (${bounds.inserts.database})`);
  } catch (err) {
    run.problems.push(`bound FerretDB inserts: ${message(err)}`);
  }
  return bounds;
}

const OURS_ENV = INTROSPECTION_LIMITS_OFF;

async function measureOurs(run: Run, tmp: string): Promise<void> {
  const { settings: s } = run;
  const traceFile = join(tmp, 'keyforge-trace.jsonl');
  let server: Awaited<ReturnType<typeof startKeyforge>> | undefined;
  try {
    log('keyforge: starting embedded database and node dist/src/main.js (traced)');
    server = await startKeyforge(join(tmp, 'keyforge'), log, { ...OURS_ENV, NODE_OPTIONS: `--import=${TRACE_PRELOAD}`, BENCH_TRACE_FILE: traceFile });
    log(`keyforge: registering ${s.clients} opaque + ${s.clients} JWT clients`);
    const clients = await setUpKeyforge(server, s.clients);
    const url = server.url;
    const own = await ownedTokens(`${url}/token`, clients.opaque.slice(0, s.pool));
    const tokens = own.map((o) => o.token);
    const admin = credentials('admin', server.adminSecret);
    run.servers['ours'] = {
      url,
      database: server.dbKind,
      command: 'node dist/src/main.js',
      env: { ...OURS_ENV, ...passthroughEnv('BENCH_KEYFORGE_') },
      rateLimits: 'token endpoint: server defaults (600/min per client, 6000/min per address; the bench stays below); introspection: off',
      traced: 'NODE_OPTIONS=--import=dist/scripts/bench/trace-preload.js (GC observer, periodic-job and event-loop timestamps)',
    };
    const rs = introspectCall(url, '/token/introspection', clients.resourceServer, tokens);
    await measurePhase(run, 'ours', {
      pid: server.child.pid,
      dbPid: server.dbPid,
      traceFile,
      throughput: {
        'issue-opaque': issueCall(url, '/token', clients.opaque),
        'issue-jwt': issueCall(url, '/token', clients.jwt),
        'introspect-own': introspectOwnCall(url, '/token/introspection', own),
        'introspect-rs': rs,
        'introspect-admin': introspectCall(url, '/token/introspection', admin, tokens),
      },
      rate: { 'rate-issue': issueCall(url, '/token', clients.opaque), 'rate-introspect': rs },
    });
    const dbMem = server.dbPid ? readMemory(server.dbPid) : undefined;
    if (dbMem) run.servers['ours']!['databasePeakRssMb'] = dbMem.hwmKb / 1024;
  } catch (err) {
    run.problems.push(`keyforge: ${message(err)}`);
    log(run.problems.at(-1)!);
  } finally {
    await server?.stop();
  }
}

async function measureHydra(run: Run): Promise<void> {
  const { settings: s } = run;
  const build = await ensureHydra(log);
  const commands: string[] = [];
  run.servers['hydra'] = {
    version: HYDRA_VERSION,
    bin: build.bin,
    buildCommands: build.commands,
    runCommands: commands,
    extraEnv: passthroughEnv('BENCH_HYDRA_'),
    notes: [
      "introspection is Hydra's admin endpoint, which takes no caller: one measurement, shown for every kind of caller",
      'Hydra defaults kept: client secrets hashed with PBKDF2 (25,000 iterations), RS256 with a 4096-bit key; ours: keyed HMAC, RS256 with 2048 bits',
    ],
  };
  const store = await prepareHydraStore(build.bin, await makeTempDir('keyforge-bench-hydra'));
  commands.push(`DSN='${store.dsn}' ${build.bin} migrate sql up -e --yes`);
  let clients: Credentials[] | undefined;
  for (const strategy of ['opaque', 'jwt'] as const) {
    log(`hydra: starting with STRATEGIES_ACCESS_TOKEN=${strategy}`);
    const h = await startHydra(build.bin, store, strategy);
    try {
      commands.push(h.command);
      clients ??= await createHydraClients(h, s.clients);
      const issue = issueCall(h.publicUrl, '/oauth2/token', clients);
      if (strategy === 'jwt') {
        await measurePhase(run, 'hydra', { pid: h.child.pid, throughput: { 'issue-jwt': issue }, rate: {} });
        continue;
      }
      const tokens = await issuePool(`${h.publicUrl}/oauth2/token`, clients.slice(0, s.pool));
      const introspect = introspectCall(h.adminUrl, '/admin/oauth2/introspect', undefined, tokens);
      await measurePhase(run, 'hydra', {
        pid: h.child.pid,
        throughput: { 'issue-opaque': issue, 'introspect-admin': introspect },
        rate: { 'rate-issue': issue, 'rate-introspect': introspect },
      });
      const t = run.results.hydra?.throughput;
      const admin = t?.['introspect-admin'];
      if (t && admin) {
        const note = "Hydra's admin introspection endpoint (no caller authentication); same measurement as the admin row";
        t['introspect-own'] = { ...admin, note };
        t['introspect-rs'] = { ...admin, note };
      }
    } finally {
      await h.stop();
    }
  }
}

async function measureKeycloak(run: Run): Promise<void> {
  const { settings: s } = run;
  const build = await ensureKeycloak(log);
  log(`keycloak: starting ${KEYCLOAK_VERSION} (dev mode, dev-file database, ${build.javaHome}); the first start rebuilds Quarkus`);
  const started = Date.now();
  const kc = await startKeycloak(build);
  try {
    log(`keycloak: up after ${((Date.now() - started) / 1000).toFixed(0)} s; creating ${s.clients} lightweight + ${s.clients} JWT clients`);
    const clients = await setUpKeycloak(kc, s.clients);
    run.servers['keycloak'] = {
      version: KEYCLOAK_VERSION,
      home: build.home,
      javaHome: build.javaHome,
      downloadCommands: build.commands,
      command: kc.command,
      notes: [
        'issue, opaque = a lightweight access token (client.use.lightweight.access.token.enabled): still a signed RS256 JWT; Keycloak has no opaque access tokens',
        'client-credentials tokens are not stored by Keycloak (no session is created), whereas ours and Hydra write a record before answering',
        'every client has audience mappers for itself and the resource server (introspection requires the caller in aud since 26.6)',
        'admin introspection: n/a (no equivalent)',
        'JVM heap at kc.sh defaults (a share of the machine memory); RSS reflects that',
      ],
    };
    const token = `${kc.url}${clients.tokenPath}`;
    const own = await ownedTokens(token, clients.lightweight.slice(0, s.pool));
    const rs = introspectCall(kc.url, clients.introspectionPath, clients.resourceServer, own.map((o) => o.token));
    const issueLight = issueCall(kc.url, clients.tokenPath, clients.lightweight);
    await measurePhase(run, 'keycloak', {
      pid: kc.child.pid,
      throughput: {
        'issue-opaque': issueLight,
        'issue-jwt': issueCall(kc.url, clients.tokenPath, clients.jwt),
        'introspect-own': introspectOwnCall(kc.url, clients.introspectionPath, own),
        'introspect-rs': rs,
      },
      rate: { 'rate-issue': issueLight, 'rate-introspect': rs },
    });
    const o = run.results.keycloak?.throughput['issue-opaque'];
    if (o) o.note = 'lightweight access token (a signed JWT), not stored';
  } finally {
    await kc.stop();
  }
}

function isSmoke(s: BenchSettings): boolean {
  return s.runs < 3 || s.seconds < 8 || s.rateSeconds < 20 || s.clients < 1000;
}

async function writeCharts(run: Run, outDir: string, subtitle: string, attribution: string, summary: unknown, bounds: Bounds): Promise<string[]> {
  const { settings: s } = run;
  await mkdir(join(outDir, 'data'), { recursive: true });
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(outDir, name), text);
    written.push(join(outDir, name));
  };
  await put('throughput.svg', throughputChart(s.systems, run.results, bounds, subtitle));
  await put('fixed-rate-latency.svg', rateLatencyChart(s.systems, run.results, subtitle));
  for (const t of run.timelines) {
    const limit = RATE_WORKLOADS.find((w) => w.key === t.workload)?.p99Ms ?? 10;
    await put(`tail-${t.system}-${t.workload}.svg`, timelineChart(t, limit, subtitle));
    await put(`data/timeline-${t.system}-${t.workload}.json`, `${JSON.stringify(t)}\n`);
  }
  await put('data/latest.json', `${JSON.stringify(summary, null, 1)}\n`);
  await put('tails-latest.md', attribution);
  return written;
}

async function main(): Promise<void> {
  installExitHandlers();
  const settings = readSettings();
  const startedAt = new Date();
  const smoke = isSmoke(settings);
  log(
    `bench: ${settings.systems.join(', ')}; ${settings.runs} x ${settings.seconds} s per workload at ${settings.connections} connections ` +
      `(+${settings.warmupSeconds} s warm-up), ${settings.runs} x ${settings.rateSeconds} s at ${settings.issueRate}/s and ` +
      `${settings.introspectRate}/s over ${settings.rateConnections} connections, ${settings.clients} clients, ${cpus().length} CPUs${smoke ? ' (smoke run)' : ''}`,
  );
  const run: Run = { settings, problems: [], results: {}, timelines: [], servers: {}, deadlineAt: Date.now() + settings.deadlineSeconds * 1000 };
  const deadline = setTimeout(() => {
    log(`bench: deadline of ${settings.deadlineSeconds} s reached`);
    void cleanupAll().finally(() => process.exit(1));
  }, settings.deadlineSeconds * 1000);
  deadline.unref();
  const t0 = Date.now();

  const tmp = await makeTempDir('keyforge-bench');
  const bounds = await measureBounds(run, tmp);
  for (const system of settings.systems) {
    log(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${SYSTEM_LABELS[system]}`);
    try {
      if (system === 'ours') await measureOurs(run, tmp);
      else if (system === 'hydra') await measureHydra(run);
      else await measureKeycloak(run);
    } catch (err) {
      run.problems.push(`${system}: ${message(err)}`);
      log(run.problems.at(-1)!);
    }
  }
  clearTimeout(deadline);

  const totalSeconds = (Date.now() - t0) / 1000;
  const subtitle =
    `${smoke ? 'SMOKE RUN, not for comparison: ' : ''}${settings.runs} x ${settings.seconds} s at ${settings.connections} connections, ` +
    `${settings.runs} x ${settings.rateSeconds} s open loop; ${cpus().length} CPUs, ${startedAt.toISOString().slice(0, 10)}`;
  const throughput = formatThroughput(settings.systems, run.results, bounds);
  const rate = formatRate(settings.systems, run.results);
  const boundTable = formatBounds(bounds);
  const cpuTable = formatCpu(settings.systems, run.results, bounds);
  const notes = Object.entries(run.servers).flatMap(([name, about]) => ((about['notes'] as string[] | undefined) ?? []).map((n) => `${name}: ${n}`));
  const text =
    `\nkeyforge vs Ory Hydra ${HYDRA_VERSION} vs Keycloak ${KEYCLOAK_VERSION}, median of ${settings.runs} runs, ${cpus().length} CPUs` +
    `${smoke ? ' (SMOKE RUN)' : ''}\n(req/s counts successful responses only; RSS = peak of the server process; * = see notes)\n` +
    `ours: introspection rate limits off, token-endpoint limits at their defaults (not reached)\n\n` +
    `${throughput}\n\n${cpuTable}\n\n${rate}\n\n${boundTable}\n\nTargets (issue 10):\n  ${checkTargets(run.results, bounds).join('\n  ')}\n` +
    (notes.length ? `\nNotes:\n  ${notes.join('\n  ')}\n` : '') +
    (run.problems.length ? `\nProblems:\n  ${run.problems.join('\n  ')}\n` : '') +
    `\nmeasured in ${totalSeconds.toFixed(0)} s\n`;
  process.stdout.write(text);

  const attribution =
    `# Tail attribution, generated by npm run bench\n\n${subtitle}\n\nFor each fixed-rate run: which server events fell near its slowest 100 ms buckets ` +
    `(from 100 ms before the bucket to its slowest answer, at most 300 ms after the bucket), against how often they fall near any bucket. See tails.md for how to read it.\n\n` +
    `${run.timelines.map(attribute).join('\n')}`;
  // Per-run bucket data lives in the timeline files; the summary keeps the figures.
  const strip = (r: SystemResults) => ({
    throughput: r.throughput,
    rate: Object.fromEntries(Object.entries(r.rate).map(([k, v]) => [k, { ...v, runs: v.runs.map(({ buckets: _b, ...rest }) => rest) }])),
  });
  const summary = {
    startedAt: startedAt.toISOString(),
    seconds: totalSeconds,
    smoke,
    settings,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryMb: Math.round(totalmem() / 2 ** 20), node: process.version },
    servers: run.servers,
    bounds,
    results: Object.fromEntries(Object.entries(run.results).map(([k, v]) => [k, strip(v)])),
    problems: run.problems,
    table: text,
  };
  const file = await writeResults(PROJECT_ROOT, { ...summary, results: run.results });
  log(`results written to ${file}`);
  const outDir = settings.outDir ?? join(PROJECT_ROOT, 'docs', 'bench');
  const charts = await writeCharts(run, outDir, subtitle, attribution, summary, bounds);
  log(`charts and data written: ${charts.map((c) => c.replace(PROJECT_ROOT, '')).join(', ')}`);
  await cleanupAll();
  if (!run.results.ours?.throughput['issue-opaque'] && settings.systems.includes('ours')) process.exitCode = 1;
}

main().catch(async (err: unknown) => {
  log(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await cleanupAll();
  process.exit(1);
});
