// `npm run bench` (issue 5): loads our server, Ory Hydra v2.3.0 and a bare
// node:http bound over loopback with the same workloads and prints them side
// by side; results also go to bench-results/<timestamp>.json.
//
// scripts/bench/ owns the benchmark: starting and stopping the servers it
// measures (processes.ts), setting them up over HTTP (keyforge.ts, hydra.ts),
// generating load (load.ts, mix-driver.ts) and reporting (report.ts).
// memory.ts is the separate 1,000,000-token memory run (npm run bench:memory).
//
// Knobs: BENCH_SECONDS (8), BENCH_RUNS (3), BENCH_WARMUP_SECONDS (2),
// BENCH_CLIENTS (1000), BENCH_POOL (500 tokens per format to introspect),
// BENCH_CONNECTIONS (64), BENCH_MAX_REQUESTS (per run),
// BENCH_SKIP_HYDRA=1, BENCH_DEADLINE_SECONDS (600); BENCH_KEYFORGE_<VAR> and
// BENCH_HYDRA_<VAR> are passed to our server / Hydra as <VAR>.

import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { introspectCall, issueCall } from './calls.js';
import { createHydraClients, ensureHydra, HYDRA_VERSION, prepareHydraStore, startHydra, type HydraBuild } from './hydra.js';
import { issuePool, setUpKeyforge, startKeyforge } from './keyforge.js';
import { autocannonTarget, measure, type LoadTarget, type WorkloadResult } from './load.js';
import { INTROSPECTIONS_PER_ISSUE, mixTarget } from './mix-driver.js';
import { HOST, baseEnv, cleanupAll, freePort, installExitHandlers, makeTempDir, spawnChild, waitForHttp } from './processes.js';
import { readMemory } from './rss.js';
import { WORKLOADS, checkTargets, formatTable, writeResults, type Row, type WorkloadKey } from './report.js';
import { passthroughEnv, readSettings } from './settings.js';
import { credentials, SCOPE } from './setup-http.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BOUND_JS = fileURLToPath(new URL('./bound-server.js', import.meta.url));

const log = (line: string) => process.stderr.write(`${line}\n`);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function main(): Promise<void> {
  installExitHandlers();
  const settings = readSettings();
  const startedAt = new Date();
  log(
    `bench: ${settings.runs} x ${settings.seconds} s per workload (+${settings.warmupSeconds} s warm-up), ` +
      `${settings.connections} connections, ${settings.clients} clients, ${cpus().length} CPUs`,
  );

  const problems: string[] = [];
  let hydraBuild: HydraBuild | undefined;
  if (settings.skipHydra) {
    problems.push('Hydra skipped (BENCH_SKIP_HYDRA=1)');
  } else {
    try {
      hydraBuild = await ensureHydra(log);
    } catch (err) {
      problems.push(`Hydra ${HYDRA_VERSION} could not be built, its columns show n/a: ${message(err)}`);
      log(problems.at(-1)!);
    }
  }

  // The one-time Hydra build is not counted: the deadline covers the measurement.
  const t0 = Date.now();
  const deadline = setTimeout(() => {
    log(`bench: deadline of ${settings.deadlineSeconds} s reached`);
    void cleanupAll().finally(() => process.exit(1));
  }, settings.deadlineSeconds * 1000);
  deadline.unref();

  const tmp = await makeTempDir('keyforge-bench');
  const ours: Partial<Record<WorkloadKey, WorkloadResult>> = {};
  const hydra: Partial<Record<WorkloadKey, WorkloadResult>> = {};
  const bounds: { autocannon?: WorkloadResult; mix?: WorkloadResult } = {};
  const servers: Record<string, Record<string, unknown>> = {};
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  // A workload that cannot finish before the deadline is skipped, so that what
  // was measured still gets printed instead of being lost to the hard stop.
  const workloadSeconds = settings.warmupSeconds + settings.runs * (settings.seconds + 1) + 5;
  const run = async (label: string, target: LoadTarget, pid: number): Promise<WorkloadResult | undefined> => {
    const left = settings.deadlineSeconds - (Date.now() - t0) / 1000 - 20;
    if (left < workloadSeconds) {
      problems.push(`${label}: skipped, it would not finish within BENCH_DEADLINE_SECONDS=${settings.deadlineSeconds}`);
      log(problems.at(-1)!);
      return undefined;
    }
    return measure(label, target, settings, pid, log);
  };
  const pool = <T>(items: T[]) => items.slice(0, settings.pool);

  // --- Upper bound: bare node:http -------------------------------------------
  try {
    log(`[${elapsed()}] bound: starting bare node:http server`);
    const port = await freePort();
    const child = spawnChild('bound', process.execPath, [BOUND_JS], { env: { ...baseEnv(), PORT: String(port) } });
    const url = `http://${HOST}:${port}`;
    await waitForHttp(`${url}/`, child);
    const fake = Array.from({ length: settings.clients }, (_, i) => credentials(`client-${i}`, `secret-${i}`));
    const call = issueCall(url, '/token', fake);
    bounds.autocannon = await run('bound autocannon', autocannonTarget(call), child.pid);
    bounds.mix = await run('bound mix', mixTarget(call, call), child.pid);
    await child.stop();
  } catch (err) {
    problems.push(`bound: ${message(err)}`);
    log(problems.at(-1)!);
  }

  // --- Ours -------------------------------------------------------------------
  let server: Awaited<ReturnType<typeof startKeyforge>> | undefined;
  try {
    log(`[${elapsed()}] keyforge: starting embedded database and node dist/src/main.js`);
    server = await startKeyforge(join(tmp, 'keyforge'), log);
    log(`[${elapsed()}] keyforge: registering ${settings.clients} opaque + ${settings.clients} JWT clients`);
    const clients = await setUpKeyforge(server, settings.clients);
    log(`[${elapsed()}] keyforge: pre-issuing tokens for introspection`);
    const url = server.url;
    const opaqueTokens = await issuePool(`${url}/token`, pool(clients.opaque));
    const jwtTokens = await issuePool(`${url}/token`, pool(clients.jwt));
    log(`[${elapsed()}] keyforge: pre-issued ${opaqueTokens.length} opaque + ${jwtTokens.length} JWT tokens`);
    const about: Record<string, unknown> = {
      url,
      database: server.dbKind,
      command: 'node dist/src/main.js',
      extraEnv: passthroughEnv('BENCH_KEYFORGE_'),
    };
    servers['keyforge'] = about;

    const introspect = (tokens: string[]) => introspectCall(url, '/token/introspection', clients.resourceServer, tokens);
    const targets: Record<WorkloadKey, LoadTarget> = {
      a: autocannonTarget(issueCall(url, '/token', clients.opaque)),
      b: autocannonTarget(issueCall(url, '/token', clients.jwt)),
      c: autocannonTarget(introspect(opaqueTokens)),
      d: autocannonTarget(introspect(jwtTokens)),
      e: mixTarget(issueCall(url, '/token', clients.opaque), introspect(opaqueTokens)),
    };
    for (const spec of WORKLOADS) {
      log(`[${elapsed()}] keyforge ${spec.label}`);
      server.child.takeLineCount();
      try {
        const result = await run(`keyforge ${spec.key}`, targets[spec.key], server.child.pid);
        if (result) ours[spec.key] = result;
      } finally {
        const logged = server.child.takeLineCount();
        if (logged > 0) log(`  keyforge logged ${logged} lines during ${spec.label}; last:\n  ${server.child.tail(3)}`);
      }
    }
    // Hydra's SQLite lives inside its process; ours is a separate one, reported here.
    const dbMem = server.dbPid ? readMemory(server.dbPid) : undefined;
    if (dbMem) about['databasePeakRssMb'] = dbMem.hwmKb / 1024;
  } catch (err) {
    problems.push(`keyforge: ${message(err)}`);
    log(problems.at(-1)!);
  } finally {
    await server?.stop();
  }

  // --- Ory Hydra ----------------------------------------------------------------
  if (hydraBuild) {
    const commands: string[] = [];
    servers['hydra'] = {
      version: HYDRA_VERSION,
      bin: hydraBuild.bin,
      buildCommands: hydraBuild.commands,
      runCommands: commands,
      extraEnv: passthroughEnv('BENCH_HYDRA_'),
      notes: [
        "introspection is Hydra's admin endpoint, which takes no client authentication; ours authenticates the resource server (basic)",
        'Hydra defaults kept: client secrets hashed with PBKDF2 (25,000 iterations), RS256 with a 4096-bit key; ours: keyed HMAC, RS256 with 2048 bits',
      ],
    };
    let h: Awaited<ReturnType<typeof startHydra>> | undefined;
    try {
      const store = await prepareHydraStore(hydraBuild.bin, await makeTempDir('keyforge-bench-hydra'));
      commands.push(`DSN='${store.dsn}' ${hydraBuild.bin} migrate sql up -e --yes`);
      let clients: Awaited<ReturnType<typeof createHydraClients>> | undefined;
      for (const strategy of ['opaque', 'jwt'] as const) {
        log(`[${elapsed()}] hydra: starting with STRATEGIES_ACCESS_TOKEN=${strategy}`);
        h = await startHydra(hydraBuild.bin, store, strategy);
        commands.push(h.command);
        if (!clients) {
          log(`[${elapsed()}] hydra: creating ${settings.clients} clients`);
          clients = await createHydraClients(h, settings.clients);
        }
        const tokens = await issuePool(`${h.publicUrl}/oauth2/token`, pool(clients));
        log(`[${elapsed()}] hydra: pre-issued ${tokens.length} ${strategy} tokens`);
        const issue = issueCall(h.publicUrl, '/oauth2/token', clients);
        const introspect = introspectCall(h.adminUrl, '/admin/oauth2/introspect', undefined, tokens);
        const plan: [WorkloadKey, LoadTarget][] =
          strategy === 'opaque'
            ? [['a', autocannonTarget(issue)], ['c', autocannonTarget(introspect)], ['e', mixTarget(issue, introspect)]]
            : [['b', autocannonTarget(issue)], ['d', autocannonTarget(introspect)]];
        for (const [key, target] of plan) {
          log(`[${elapsed()}] hydra ${WORKLOADS.find((w) => w.key === key)!.label}`);
          const result = await run(`hydra ${key}`, target, h.child.pid);
          if (result) hydra[key] = result;
        }
        await h.stop();
        h = undefined;
      }
    } catch (err) {
      problems.push(`hydra: ${message(err)}`);
      log(problems.at(-1)!);
    } finally {
      await h?.stop();
    }
  }

  clearTimeout(deadline);
  const rows: Row[] = WORKLOADS.map((spec) => {
    const row: Row = { spec };
    if (ours[spec.key]) row.ours = ours[spec.key];
    if (hydra[spec.key]) row.hydra = hydra[spec.key];
    const bound = spec.kind === 'mix' ? bounds.mix : bounds.autocannon;
    if (bound) row.bound = bound;
    return row;
  });

  const table = formatTable(rows, bounds);
  const totalSeconds = (Date.now() - t0) / 1000;
  process.stdout.write(
    `\nkeyforge vs Ory Hydra ${HYDRA_VERSION} vs bare node:http, ${settings.connections} connections, ` +
      `${settings.clients} clients, median of ${settings.runs} x ${settings.seconds} s, ${cpus().length} CPUs\n` +
      `(req/s counts successful responses only; RSS = peak of the server process; ` +
      `mix = ${INTROSPECTIONS_PER_ISSUE} introspections per issue, scope ${SCOPE})\n\n` +
      `${table}\n\nTargets (issue 5):\n  ${checkTargets(rows).join('\n  ')}\n` +
      (problems.length ? `\nProblems:\n  ${problems.join('\n  ')}\n` : '') +
      `\nmeasured in ${totalSeconds.toFixed(0)} s\n`,
  );

  const file = await writeResults(PROJECT_ROOT, {
    startedAt: startedAt.toISOString(),
    seconds: totalSeconds,
    settings,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryMb: Math.round(totalmem() / 2 ** 20), node: process.version },
    mixIntrospectionsPerIssue: INTROSPECTIONS_PER_ISSUE,
    servers,
    bounds,
    workloads: rows.map((r) => ({ key: r.spec.key, label: r.spec.label, ours: r.ours, hydra: r.hydra, bound: r.bound })),
    problems,
    table,
  });
  log(`results written to ${file}`);
  await cleanupAll();
  if (!ours.a) process.exitCode = 1;
}

main().catch(async (err: unknown) => {
  log(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await cleanupAll();
  process.exit(1);
});
