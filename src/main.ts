import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { ConfigError, loadConfig, type Config } from './config/index.js';
import { serveClusterMetrics } from './ops/index.js';
import { startServer } from './server.js';
import { startEmbeddedServer, type EmbeddedServer } from './store/embedded-server.js';

const STOP_BOUND_MS = 10_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const boundTo = (config: Config) => `port ${config.port} on ${config.host ?? 'every interface'}`;

/** No database configured: run a local one with its data under DATA_DIR, kept across restarts. */
async function databaseFor(config: Config): Promise<EmbeddedServer | undefined> {
  if (config.mongodbUri) return undefined;
  const embedded = await startEmbeddedServer({
    dataDir: resolve(config.dataDir),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  config.mongodbUri = embedded.uri;
  return embedded;
}

/** One server in this process; SIGTERM drains in-flight requests and exits 0. */
async function serve(config: Config, embedded?: EmbeddedServer): Promise<void> {
  const running = await startServer(config);
  if (!cluster.isWorker) {
    say(`keyforge listening on ${config.issuer} (${boundTo(config)}; database: ${embedded ? `embedded ${embedded.kind}` : 'MONGODB_URI'})`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.services.log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), STOP_BOUND_MS).unref();
    await running.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * Several workers share the port (node:cluster). They are independent instances on one
 * database, exactly as separate hosts would be: keys, APIs and rate limits meet in MongoDB.
 * The first worker starts alone so that first-start bootstrap (keys, admin client) runs once.
 */
async function supervise(config: Config, count: number): Promise<void> {
  const embedded = await databaseFor(config);
  const env = { MONGODB_URI: config.mongodbUri! };
  serveClusterMetrics();
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork(env);
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
      setTimeout(fork, 1000);
    });
    return worker;
  };
  await new Promise<void>((ready, fail) => {
    const first = fork();
    first.once('listening', () => ready());
    first.once('exit', (code) => fail(new Error(`first worker exited with ${code}`)));
  });
  for (let i = 1; i < count; i++) fork();
  say(`keyforge listening on ${config.issuer} with ${count} workers (${boundTo(config)}; database: ${embedded ? `embedded ${embedded.kind}` : 'MONGODB_URI'})`);

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), STOP_BOUND_MS + 2000).unref();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    await Promise.all(workers.map((w) => new Promise<void>((done) => {
      w.once('exit', () => done());
      w.process.kill('SIGTERM');
    })));
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

async function main(): Promise<void> {
  const config = loadConfig();
  const workers = config.workers === 0 ? availableParallelism() : config.workers;
  if (cluster.isWorker || workers <= 1) {
    await serve(config, cluster.isWorker ? undefined : await databaseFor(config));
  } else {
    await supervise(config, workers);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
