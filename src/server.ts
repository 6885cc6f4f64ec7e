import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { pino, type Logger } from 'pino';

import { createApp } from './app.js';
import { ensureAdminClient, ensureEnvInitialAccessToken } from './bootstrap.js';
import { DEV_KEY_ENCRYPTION_SECRET, type Config } from './config/index.js';
import { failureLogger } from './ops/index.js';
import { ensurePortalAdmin } from './portal/index.js';
import { createServices, type Services } from './services.js';
import { connectStore, startRevocationSync, startSweeper, type Store } from './store/index.js';

/** How long shutdown waits for handlers still running after their connection closed. */
const DRAIN_BOUND_MS = 8000;

export interface RunningServer {
  url: string;
  server: Server;
  services: Services;
  close(): Promise<void>;
}

export interface StartOptions {
  /** An already connected store (tests share one client); otherwise MONGODB_URI is used. */
  store?: Store;
  log?: Logger;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  if (config.keyEncryptionSecret === DEV_KEY_ENCRYPTION_SECRET) {
    log.warn('KEY_ENCRYPTION_SECRET is not set: signing keys are wrapped with a development default');
  }
  let store = opts.store;
  const ownStore = !store;
  if (!store) {
    if (!config.mongodbUri) throw new Error('MONGODB_URI is required here');
    store = await connectStore(config.mongodbUri, config.mongodbDb, { tokenCacheSize: config.tokenCacheSize });
  }
  if (!store.ttlIndexes) log.info('database has no TTL indexes; expired records are swept every %ds', config.sweepIntervalSeconds);

  const services = await createServices(config, store, log);
  await ensureAdminClient(services);
  await ensureEnvInitialAccessToken(services);
  await ensurePortalAdmin(services);

  const app = createApp(services);
  const handle = app.callback();
  // Requests still being handled, including those whose client has gone: the database must
  // outlive every one of them at shutdown.
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const server = createServer((req, res) => {
    inFlight++;
    void Promise.resolve(handle(req, res)).finally(() => {
      if (--inFlight === 0) onIdle?.();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  const { port } = server.address() as AddressInfo;
  services.selfUrl = `http://127.0.0.1:${port}`;

  const stopSweeper = startSweeper(store.collections, config.sweepIntervalSeconds,
    failureLogger(log, 'sweeping expired records failed'));
  const stopRevocationSync = startRevocationSync(
    store.collections.revocationEvents,
    store.collections.tokenCache,
    config.revocationSyncMs,
    failureLogger(log, 'reading revocations from other instances failed; token cache paused'),
  );
  const refresher = setInterval(() => {
    services.holder.refresh().catch(failureLogger(log, 'refreshing keys and APIs failed'));
  }, config.configRefreshSeconds * 1000);
  refresher.unref();

  log.info({ port, issuer: config.issuer }, 'listening');
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    services,
    async close() {
      clearInterval(refresher);
      stopSweeper();
      stopRevocationSync();
      await services.limiter.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          onIdle = resolve;
          setTimeout(resolve, DRAIN_BOUND_MS).unref();
        });
      }
      if (ownStore) await store.close();
    },
  };
}
