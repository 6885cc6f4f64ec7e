// `npm run bench:flat` (issue 10, goal 4): does the cost of a request grow with
// the data stored? Our server as `npm run bench` runs it (embedded FerretDB,
// introspection limits off, traced), with records seeded straight into its
// database in the shape it stores them itself, and at each level the two
// fixed-rate workloads of `npm run bench`: issue opaque at 200/s and introspect
// (a linked resource server) at 1,000/s over 16 connections. Two servers, one
// per curve: more registered clients (secrets hashed as the server hashes
// them, the load authenticating as a random client of all of them) over the
// smallest token level, then, cumulatively, more stored tokens. Prints a
// table, writes docs/bench/flat-cost.svg and its data after every level.
//
// Introspection asks about a random token of a sample spread over every seeded
// token, so at a million most of them miss the server's token cache and read
// the database, which is the cost being measured.
//
// Knobs: BENCH_FLAT_TOKENS (10000,100000,1000000), BENCH_FLAT_CLIENTS
// (1000,100000), BENCH_FLAT_SECONDS (15), BENCH_FLAT_WARMUP_SECONDS (2),
// BENCH_FLAT_SAMPLE (100000 token values kept for introspection),
// BENCH_FLAT_DEADLINE_SECONDS (3000); from `npm run bench`: BENCH_ISSUE_RATE,
// BENCH_INTROSPECT_RATE, BENCH_RATE_CONNECTIONS, BENCH_OUT_DIR (docs/bench),
// BENCH_KEYFORGE_<VAR>.

import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { MongoClient, type Collection } from 'mongodb';

import { SecretHasher } from '../../src/store/hashing.js';
import { hashToken, type ClientRecord, type TokenRecord } from '../../src/store/records.js';
import { introspectCall, issueCall } from './calls.js';
import { flatCostChart, type FlatCostPoint } from './charts.js';
import { INTROSPECTION_LIMITS_OFF, setUpKeyforge, startKeyforge, type KeyforgeClients, type KeyforgeServer } from './keyforge.js';
import type { HttpCall } from './load.js';
import { cleanupAll, installExitHandlers, makeTempDir, onCleanup } from './processes.js';
import { readMemory } from './rss.js';
import { int, readSettings } from './settings.js';
import { credentials, issueToken, SCOPE, type Credentials } from './setup-http.js';
import { measureRate, readTrace } from './tails.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TRACE_PRELOAD = pathToFileURL(fileURLToPath(new URL('./trace-preload.js', import.meta.url))).href;
const BATCH = 1_000;
/** Clients registered over HTTP for the token curve (per format), and the templates of seeded records. */
const REGISTERED_PER_FORMAT = 100;

const log = (line: string) => process.stderr.write(`${line}\n`);

function intList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`${name} must be a comma-separated list of positive integers, got ${JSON.stringify(raw)}`);
  return values.sort((a, b) => a - b);
}

/** Keeps a uniform sample of everything offered (reservoir sampling), so old and new tokens are equally likely. */
class Reservoir<T> {
  readonly items: T[] = [];
  #seen = 0;

  constructor(private readonly size: number) {}

  offer(item: T): void {
    this.#seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const j = randomInt(this.#seen);
      if (j < this.size) this.items[j] = item;
    }
  }
}

/** A token record as the server stores one (see ClientCredentialsAdapter.upsert), copied from one it stored. */
function tokenLike(template: TokenRecord, value: string, clientId: string, nowS: number): TokenRecord {
  const ttl = (template.exp ?? template.iat + 3600) - template.iat;
  const record: TokenRecord = { ...template, _id: hashToken(value), client_id: clientId, iat: nowS, exp: nowS + ttl, expiresAt: new Date((nowS + ttl) * 1000) };
  if (template.payload) record.payload = { ...template.payload, clientId, iat: nowS, exp: nowS + ttl };
  return record;
}

/** A client record as dynamic registration stores one (see ClientAdapter.upsert), copied from one it stored. */
function clientLike(template: ClientRecord, id: string, secretHash: string, now: Date): ClientRecord {
  return {
    ...template,
    _id: id,
    metadata: { ...template.metadata, client_id: id, client_secret: secretHash, client_id_issued_at: Math.floor(now.getTime() / 1000) },
    created_at: now,
    updated_at: now,
  };
}

/** Milliseconds `fn` took, or Infinity past `capMs` (it then finishes in the background, as a sweep would). */
async function timed<T>(fn: () => Promise<T>, capMs: number): Promise<number> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<'cap'>((resolve) => (timer = setTimeout(() => resolve('cap'), capMs)));
  const outcome = await Promise.race([fn().then(() => 'done' as const), cap]);
  clearTimeout(timer);
  return outcome === 'cap' ? Infinity : performance.now() - t0;
}

const SWEEP_TIMING_CAP_MS = 120_000;

interface Context {
  server: KeyforgeServer;
  traceFile: string;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  issueRate: number;
  introspectRate: number;
  tokens: Collection<TokenRecord>;
  deadlineAt: number;
}

async function measureLevel(
  c: Context,
  axis: FlatCostPoint['axis'],
  storedTokens: number,
  clients: number,
  calls: { issue: HttpCall; introspect: HttpCall },
): Promise<FlatCostPoint[]> {
  // The sweeper's own query (src/store/sweeper.ts), timed here where nothing is expired yet.
  const sweepQueryMs = await timed(() => c.tokens.deleteMany({ expiresAt: { $ne: null, $lte: new Date() } }), SWEEP_TIMING_CAP_MS);
  log(`  sweeper's delete query over ${storedTokens} tokens: ${Number.isFinite(sweepQueryMs) ? `${sweepQueryMs.toFixed(0)} ms` : `over ${SWEEP_TIMING_CAP_MS} ms`}`);
  const out: FlatCostPoint[] = [];
  for (const [workload, call, rate] of [['issue', calls.issue, c.issueRate], ['introspect', calls.introspect, c.introspectRate]] as const) {
    const needed = c.warmupSeconds + c.seconds + 30;
    if ((c.deadlineAt - Date.now()) / 1000 < needed) throw new Error(`BENCH_FLAT_DEADLINE_SECONDS reached before ${workload} at ${axis} level ${axis === 'tokens' ? storedTokens : clients}`);
    const label = `${workload} at ${storedTokens} tokens, ${clients} clients`;
    const { result } = await measureRate(
      label,
      call,
      rate,
      { runs: 1, seconds: c.seconds, warmupSeconds: c.warmupSeconds, connections: c.connections },
      { server: c.server.child.pid, db: c.server.dbPid },
      log,
    );
    const run = result.runs[0]!;
    const events = await readTrace(c.traceFile);
    const sweeps = events.filter((e) => e.e === 'job' && e.job === 'sweeper' && e.at >= run.startedAt && e.at <= run.startedAt + c.seconds * 1000);
    const db = c.server.dbPid ? readMemory(c.server.dbPid) : undefined;
    const [loadAvg1 = NaN] = loadavg();
    out.push({
      axis,
      storedTokens,
      clients,
      workload,
      rate,
      connections: c.connections,
      achievedPerSec: result.achievedPerSec,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      p999Ms: result.p999Ms,
      maxMs: result.maxMs,
      errors: result.errors,
      rssPeakMb: result.rss.peakMb,
      rssLastMb: result.rss.lastMb,
      dbRssMb: db ? db.rssKb / 1024 : NaN,
      sweepsDuringRun: sweeps.length,
      sweepQueryMs,
      loadAvg1,
    });
  }
  return out;
}

function formatTable(points: FlatCostPoint[]): string {
  const head = ['curve', 'stored tokens', 'clients', 'workload', 'target/s', 'done/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'err', 'RSS MB', 'db RSS MB', 'sweeps', 'sweep query ms', 'load'];
  const rows = points.map((p) => [
    p.axis,
    p.storedTokens.toLocaleString('en-US'),
    p.clients.toLocaleString('en-US'),
    p.workload,
    `${p.rate}x${p.connections}c`,
    p.achievedPerSec.toFixed(0),
    p.p50Ms.toFixed(2),
    p.p99Ms.toFixed(2),
    p.p999Ms.toFixed(2),
    p.maxMs.toFixed(1),
    String(p.errors),
    p.rssPeakMb.toFixed(0),
    Number.isFinite(p.dbRssMb) ? p.dbRssMb.toFixed(0) : 'n/a',
    String(p.sweepsDuringRun),
    Number.isFinite(p.sweepQueryMs) ? p.sweepQueryMs.toFixed(0) : `>${SWEEP_TIMING_CAP_MS}`,
    p.loadAvg1.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 1 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

/** One server with its database, set up over HTTP, and the records to copy the shape of. */
interface Seedable {
  c: Context;
  mongo: MongoClient;
  registered: KeyforgeClients;
  clients: Collection<ClientRecord>;
  tokenTemplate: TokenRecord;
  clientTemplate: ClientRecord;
  hasher: SecretHasher;
  sample: Reservoir<string>;
  /** Seeded token records (the issuance runs add about rate x (warm-up + seconds) per level). */
  seeded: number;
}

async function startSeedable(tmp: string, o: Omit<Context, 'server' | 'traceFile' | 'tokens'>, sampleSize: number): Promise<Seedable> {
  const traceFile = join(tmp, 'keyforge-trace.jsonl');
  // The bench hashes seeded client secrets with the server's own key.
  const keyEncryptionSecret = randomBytes(32).toString('hex');
  log('flat: starting embedded database and node dist/src/main.js (traced)');
  const server = await startKeyforge(tmp, log, {
    ...INTROSPECTION_LIMITS_OFF,
    KEY_ENCRYPTION_SECRET: keyEncryptionSecret,
    NODE_OPTIONS: `--import=${TRACE_PRELOAD}`,
    BENCH_TRACE_FILE: traceFile,
  });
  log(`flat: registering ${REGISTERED_PER_FORMAT} opaque + ${REGISTERED_PER_FORMAT} JWT clients and a resource server over HTTP`);
  const registered = await setUpKeyforge(server, REGISTERED_PER_FORMAT);
  const mongo = new MongoClient(server.dbUri, { writeConcern: { w: 'majority' } });
  await mongo.connect();
  onCleanup('close the seeding connection', () => mongo.close());
  const db = mongo.db(server.dbName);
  const tokens = db.collection<TokenRecord>('tokens');
  const clients = db.collection<ClientRecord>('clients');
  // Templates: a token and a client the server itself stored.
  const firstValue = await issueToken(`${server.url}/token`, registered.opaque[0]!, SCOPE);
  const tokenTemplate = await tokens.findOne({ _id: hashToken(firstValue) });
  const clientTemplate = await clients.findOne({ _id: registered.opaque[0]!.id });
  if (!tokenTemplate || tokenTemplate.format !== 'opaque' || !clientTemplate) throw new Error('flat: no stored token or client record to copy the shape of');
  log(`flat: token record fields ${Object.keys(tokenTemplate).join(',')}; payload ${Object.keys(tokenTemplate.payload ?? {}).join(',')}; ` +
    `~${JSON.stringify(tokenTemplate).length} bytes as JSON`);
  log(`flat: client record fields ${Object.keys(clientTemplate).join(',')}; metadata ${Object.keys(clientTemplate.metadata).join(',')}`);
  const sample = new Reservoir<string>(sampleSize);
  sample.offer(firstValue);
  return {
    c: { ...o, server, traceFile, tokens },
    mongo, registered, clients, tokenTemplate, clientTemplate,
    hasher: new SecretHasher(keyEncryptionSecret), sample, seeded: 1,
  };
}

async function seedTokens(s: Seedable, level: number): Promise<void> {
  const t0 = performance.now();
  const owners = s.registered.opaque.map((o) => o.id);
  while (s.seeded < level) {
    const n = Math.min(BATCH, level - s.seeded);
    const nowS = Math.floor(Date.now() / 1000);
    const batch: TokenRecord[] = [];
    for (let i = 0; i < n; i++) {
      const value = randomBytes(32).toString('base64url');
      s.sample.offer(value);
      batch.push(tokenLike(s.tokenTemplate, value, owners[randomInt(owners.length)]!, nowS));
    }
    await s.c.tokens.insertMany(batch, { ordered: false });
    s.seeded += n;
    if (s.seeded % 100_000 === 0) log(`  seeded ${s.seeded} tokens (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (Date.now() > s.c.deadlineAt - 60_000) throw new Error(`BENCH_FLAT_DEADLINE_SECONDS reached while seeding tokens (${s.seeded})`);
  }
  log(`flat: ${s.seeded} tokens seeded (${((performance.now() - t0) / 1000).toFixed(0)} s for this level)`);
}

async function seedClients(s: Seedable, seededClients: Credentials[], level: number): Promise<void> {
  const t0 = performance.now();
  while (seededClients.length < level) {
    const n = Math.min(BATCH, level - seededClients.length);
    const now = new Date();
    const batch: ClientRecord[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomBytes(16).toString('base64url');
      const secret = randomBytes(32).toString('base64url');
      seededClients.push(credentials(id, secret));
      batch.push(clientLike(s.clientTemplate, id, s.hasher.hash(secret), now));
    }
    await s.clients.insertMany(batch, { ordered: false });
    if (Date.now() > s.c.deadlineAt - 60_000) throw new Error(`BENCH_FLAT_DEADLINE_SECONDS reached while seeding clients (${seededClients.length})`);
  }
  log(`flat: ${seededClients.length} clients seeded (${((performance.now() - t0) / 1000).toFixed(0)} s for this level)`);
}

async function stopSeedable(s: Seedable): Promise<void> {
  await s.mongo.close();
  await s.c.server.stop();
}

async function main(): Promise<void> {
  installExitHandlers();
  const settings = readSettings();
  const tokenLevels = intList('BENCH_FLAT_TOKENS', [10_000, 100_000, 1_000_000]);
  const clientLevels = intList('BENCH_FLAT_CLIENTS', [1_000, 100_000]);
  const seconds = int(process.env, 'BENCH_FLAT_SECONDS', 15, 1);
  const warmupSeconds = int(process.env, 'BENCH_FLAT_WARMUP_SECONDS', 2, 0);
  const sampleSize = int(process.env, 'BENCH_FLAT_SAMPLE', 100_000, 100);
  const deadlineSeconds = int(process.env, 'BENCH_FLAT_DEADLINE_SECONDS', 3000, 60);
  const deadlineAt = Date.now() + deadlineSeconds * 1000;
  const deadline = setTimeout(() => {
    log(`bench:flat: deadline of ${deadlineSeconds} s reached`);
    void cleanupAll().finally(() => process.exit(1));
  }, deadlineSeconds * 1000);
  deadline.unref();
  const startedAt = new Date();
  const registeredCount = 2 * REGISTERED_PER_FORMAT + 1;
  const base = { seconds, warmupSeconds, connections: settings.rateConnections, issueRate: settings.issueRate, introspectRate: settings.introspectRate, deadlineAt };
  const subtitle = `${seconds} s per point at ${settings.issueRate}/s and ${settings.introspectRate}/s over ${settings.rateConnections} connections, embedded FerretDB; ${cpus().length} CPUs, ${startedAt.toISOString().slice(0, 10)}`;
  const outDir = settings.outDir ?? join(PROJECT_ROOT, 'docs', 'bench');
  const points: FlatCostPoint[] = [];
  // Written after every level, so a run cut short by its deadline still leaves what it measured.
  const report = async () => {
    const table = formatTable(points);
    await mkdir(join(outDir, 'data'), { recursive: true });
    await writeFile(join(outDir, 'flat-cost.svg'), flatCostChart(points, subtitle));
    await writeFile(
      join(outDir, 'data', 'flat-cost.json'),
      `${JSON.stringify({ startedAt: startedAt.toISOString(), settings: { tokenLevels, clientLevels, seconds, warmupSeconds, sampleSize, rate: { issue: settings.issueRate, introspect: settings.introspectRate, connections: settings.rateConnections } }, points, table }, null, 1)}\n`,
    );
    return table;
  };

  // Clients first, on their own server over the smallest token level, so that the client
  // curve is not measured on top of whatever the largest token level costs.
  const clientBase = tokenLevels[0] ?? 10_000;
  if (clientLevels.length) {
    const s = await startSeedable(await makeTempDir('keyforge-bench-flat-clients'), base, sampleSize);
    await seedTokens(s, clientBase);
    const seededClients: Credentials[] = [];
    for (const level of clientLevels) {
      await seedClients(s, seededClients, level);
      points.push(
        ...(await measureLevel(s.c, 'clients', s.seeded, seededClients.length + registeredCount, {
          issue: issueCall(s.c.server.url, '/token', seededClients),
          introspect: introspectCall(s.c.server.url, '/token/introspection', s.registered.resourceServer, s.sample.items),
        })),
      );
      await report();
    }
    await stopSeedable(s);
  }
  if (tokenLevels.length) {
    const s = await startSeedable(await makeTempDir('keyforge-bench-flat-tokens'), base, sampleSize);
    for (const level of tokenLevels) {
      await seedTokens(s, level);
      points.push(
        ...(await measureLevel(s.c, 'tokens', s.seeded, registeredCount, {
          issue: issueCall(s.c.server.url, '/token', s.registered.opaque),
          introspect: introspectCall(s.c.server.url, '/token/introspection', s.registered.resourceServer, s.sample.items),
        })),
      );
      await report();
    }
    await stopSeedable(s);
  }
  clearTimeout(deadline);
  const table = await report();
  process.stdout.write(
    `\nkeyforge flat cost: fixed-rate latency against stored tokens and registered clients (${subtitle})\n` +
      `stored tokens = seeded records (issued tokens during the runs add ~${settings.issueRate * (seconds + warmupSeconds)} per level); ` +
      `the client curve runs on its own server over ${clientBase} seeded tokens; ` +
      `sweeps = sweeper runs started during the measured run; sweep query = its delete, timed at that level; load = 1-min load average of the machine after the run\n\n${table}\n\n` +
      `measured in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s; chart and data in ${outDir}\n`,
  );
  await cleanupAll();
}

main().catch(async (err: unknown) => {
  log(`bench:flat failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await cleanupAll();
  process.exit(1);
});
