import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { pino, type Logger } from 'pino';

import { createApp } from './app.js';
import { startKeySchedule } from './key-schedule.js';
import { ensureAdminClient, ensureEnvInitialAccessToken } from './bootstrap.js';
import { DEV_KEY_ENCRYPTION_SECRET, type Config } from './config/index.js';
import { closeIfBodyAbandoned } from './http/index.js';
import { failureLogger } from './ops/index.js';
import { ensurePortalAdmin } from './portal/index.js';
import { createServices, type Services } from './services.js';
import { connectStore, startRevocationSync, startSweeper, type Store } from './store/index.js';

/** How long shutdown waits for handlers still running after their connection closed. */
const DRAIN_BOUND_MS = 8000;

const isLoopback = (address: string) => address === '::1' || address.startsWith('127.');

/** How this process reaches itself (the portal asks its own /token) on the bound address. */
function localUrl({ address, family, port }: AddressInfo): string {
  if (address === '0.0.0.0' || address === '::') return `http://127.0.0.1:${port}`;
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

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
  const log = opts.log ?? pino({
    level: config.logLevel,
    redact: ['req.headers.authorization'],
    // A person at a terminal reads lines; anything else (a file, a collector) gets JSON.
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
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
    closeIfBodyAbandoned(req, res);
    inFlight++;
    void Promise.resolve(handle(req, res)).finally(() => {
      if (--inFlight === 0) onIdle?.();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // No HOST: every interface, IPv6 and IPv4 (what a server in a container needs).
    server.listen({ port: config.port, host: config.host }, resolve);
  });
  const address = server.address() as AddressInfo;
  const { port } = address;
  const url = localUrl(address);
  services.self.listeningAt(url);

  const stopSweeper = startSweeper(store.collections, config.sweepIntervalSeconds,
    failureLogger(log, 'sweeping expired records failed'),
    (removed, tookMs) => log.debug({ removed, tookMs: Math.round(tookMs) }, 'swept expired records'));
  const stopRevocationSync = startRevocationSync(
    store.collections.revocationEvents,
    store.collections.tokenCache,
    config.revocationSyncMs,
    failureLogger(log, 'reading revocations from other instances failed; token and client caches paused'),
    (clientId) => services.adapter.forgetClient(clientId),
  );
  const stopKeySchedule = startKeySchedule(services);
  const refresher = setInterval(() => {
    services.holder.refresh().catch(failureLogger(log, 'refreshing keys and APIs failed'));
  }, config.configRefreshSeconds * 1000);
  refresher.unref();

  log.info({ address: address.address, port, issuer: config.issuer }, 'listening');
  if (!config.metricsToken && !isLoopback(address.address)) {
    log.info('/metrics answers anyone who can reach this address; set METRICS_TOKEN to require a bearer token');
  }
  return {
    url,
    server,
    services,
    async close() {
      clearInterval(refresher);
      await stopKeySchedule();
      stopSweeper();
      stopRevocationSync();
      await services.limiter.close();
      await services.usage.counters.close();
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
