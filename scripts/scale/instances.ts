// `npm run scale:instances`: 1, 2 and 4 keyforge processes on one database, as docs/scaling.md
// models them. For each N, on a fresh database: database operations per second at idle (what
// the instances cost whatever the traffic), then a bounded token-issuance load spread over the
// instances (total throughput, operations per second, operations per token), then how long a
// revocation made at one instance takes to show at every other one.
//
// Operations are counted by each server's own command monitoring: the
// keyforge_db_command_duration_seconds histogram in /metrics. SCALE_N=1,2 narrows the run.

import { cleanupAll, installExitHandlers, makeTempDir, sleep } from '../bench/processes.js';
import { call, credentials, mapLimit, type Credentials } from '../bench/setup-http.js';
import { adminToken, ms, percentile, startCluster, type Cluster, type Instance } from './cluster.js';
import { loop } from './load-loop.js';

const API = 'https://scale.keyforge.test/api';
const SCOPE = 'scale:read';
const NS = (process.env['SCALE_N'] ?? '1,2,4').split(',').map(Number);
const IDLE_S = Number(process.env['SCALE_IDLE_SECONDS'] ?? 10);
const LOAD_REQUESTS = Number(process.env['SCALE_LOAD_REQUESTS'] ?? 3000);
const REVOCATIONS = 5;
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Database commands this instance has sent, by command name, from its /metrics. */
async function commandCounts(i: Instance): Promise<Map<string, number>> {
  const text = await (await fetch(`${i.url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^keyforge_db_command_duration_seconds_count\{([^}]*)\} (\S+)$/gm)) {
    const command = /command="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
    counts.set(command, (counts.get(command) ?? 0) + Number(m[2]));
  }
  return counts;
}

async function totalCommands(c: Cluster): Promise<{ total: number; byCommand: Map<string, number> }> {
  const byCommand = new Map<string, number>();
  for (const i of c.instances) {
    for (const [k, v] of await commandCounts(i)) byCommand.set(k, (byCommand.get(k) ?? 0) + v);
  }
  return { total: [...byCommand.values()].reduce((a, b) => a + b, 0), byCommand };
}

const diff = (a: Map<string, number>, b: Map<string, number>) =>
  [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);

const form = (client: Credentials, body: string) => ({
  method: 'POST',
  headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': client.address },
  body,
});

async function introspectActive(i: Instance, client: Credentials, token: string): Promise<boolean> {
  const res = await fetch(`${i.url}/token/introspection`, form(client, `token=${encodeURIComponent(token)}`));
  return ((await res.json()) as { active?: boolean }).active === true;
}

interface Row {
  n: number;
  idleOps: number;
  idleTop: string;
  tokensPerS: number;
  p99: number;
  errors: number;
  loadOps: number;
  opsPerToken: number;
  revocationP50: number;
  revocationMax: number;
}

async function measure(n: number): Promise<Row> {
  const tmp = await makeTempDir(`keyforge-scale-n${n}`);
  const cluster = await startCluster(tmp, `scale${n}`, (l) => log(l));
  for (let k = 0; k < n; k++) await cluster.addInstance();
  const first = cluster.instances[0]!;
  const bearer = { authorization: `Bearer ${await adminToken(cluster)}` };
  await call(`${first.url}/api/apis`, { headers: bearer, json: { identifier: API, name: 'Scale API', scopes: [{ name: SCOPE }] } }, 201);
  const clients = await mapLimit(Array.from({ length: 32 }), 4, async () => {
    const body = await call(`${first.url}/reg`, {
      headers: { authorization: `Bearer ${cluster.dcrToken}` },
      json: { grant_types: ['client_credentials'], scope: SCOPE, access_token_strategy: 'opaque' },
    }, 201);
    return credentials(String(body['client_id']), String(body['client_secret']));
  });
  // Every instance has seen the API (CONFIG_REFRESH_SECONDS) before anything is measured.
  await sleep(6000);

  const idle0 = await totalCommands(cluster);
  await sleep(IDLE_S * 1000);
  const idle1 = await totalCommands(cluster);
  // The scrapes themselves send no database commands; /metrics reads memory only.
  const idleOps = (idle1.total - idle0.total) / IDLE_S;
  const idleTop = diff(idle0.byCommand, idle1.byCommand).map(([k, v]) => `${k} ${(v / IDLE_S).toFixed(1)}`).join(', ');

  const load0 = await totalCommands(cluster);
  const tokenBody = `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`;
  const issued = await loop(LOAD_REQUESTS, 16, (i) => {
    const at = cluster.instances[i % n]!;
    return fetch(`${at.url}/token`, form(clients[i % clients.length]!, tokenBody));
  }, 60_000);
  const load1 = await totalCommands(cluster);
  const loadOps = (load1.total - load0.total) / issued.seconds;

  // A token answered at instance 1, introspected (and so cached) at every instance, revoked
  // at instance 1: how long until every other instance says inactive?
  const delays: number[] = [];
  for (let r = 0; r < REVOCATIONS; r++) {
    const client = clients[r]!;
    const token = String((await call(`${first.url}/token`, { headers: { authorization: client.basic, 'x-forwarded-for': client.address }, form: { grant_type: 'client_credentials', scope: SCOPE } }, 200))['access_token']);
    for (const i of cluster.instances) {
      if (!(await introspectActive(i, client, token))) throw new Error(`fresh token inactive at ${i.url}`);
    }
    const revoked = await fetch(`${first.url}/token/revocation`, form(client, `token=${encodeURIComponent(token)}`));
    if (revoked.status !== 200) throw new Error(`revocation: ${revoked.status}`);
    const t0 = performance.now();
    const others = cluster.instances.length > 1 ? cluster.instances.slice(1) : cluster.instances;
    const seen = await Promise.all(others.map(async (i) => {
      const deadline = t0 + 10_000;
      while (performance.now() < deadline) {
        if (!(await introspectActive(i, client, token))) return performance.now() - t0;
        await sleep(20);
      }
      return Infinity;
    }));
    delays.push(Math.max(...seen));
  }
  await cluster.stop();
  return {
    n,
    idleOps,
    idleTop,
    tokensPerS: issued.perSecond,
    p99: issued.p99,
    errors: issued.errors,
    loadOps,
    opsPerToken: loadOps / issued.perSecond,
    revocationP50: percentile(delays, 50),
    revocationMax: Math.max(...delays),
  };
}

async function main(): Promise<void> {
  installExitHandlers();
  const rows: Row[] = [];
  for (const n of NS) {
    log(`N=${n}: starting`);
    const row = await measure(n);
    rows.push(row);
    log(`N=${n}: ${JSON.stringify(row)}`);
  }
  log('');
  log(`idle: ${IDLE_S} s with no requests; load: ${LOAD_REQUESTS} token requests, 16 in flight, round robin over the instances; revocation: ${REVOCATIONS} tokens`);
  log(' N | idle db ops/s | tokens/s | p99 ms | errors | db ops/s loaded | db ops/token | revocation seen everywhere p50 / max ms');
  log('---+---------------+----------+--------+--------+-----------------+--------------+----------------------------------------');
  for (const r of rows) {
    log([
      String(r.n).padStart(2),
      r.idleOps.toFixed(1).padStart(13),
      r.tokensPerS.toFixed(0).padStart(8),
      ms(r.p99).padStart(6),
      String(r.errors).padStart(6),
      r.loadOps.toFixed(0).padStart(15),
      r.opsPerToken.toFixed(2).padStart(12),
      `${ms(r.revocationP50)} / ${ms(r.revocationMax)}`.padStart(20),
    ].join(' | '));
  }
  log('');
  for (const r of rows) log(`N=${r.n} idle commands/s: ${r.idleTop}`);
}

main().then(() => cleanupAll(), async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await cleanupAll();
  process.exitCode = 1;
});
