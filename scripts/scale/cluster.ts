// Starts what the scale scripts measure: one embedded database and N keyforge
// processes (`node dist/src/main.js`) on it, each on its own loopback port, all
// stopped by cleanupAll() however the script ends.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startEmbeddedServer } from '../../src/store/embedded-server.js';
import { HOST, baseEnv, freePort, onCleanup, spawnChild, waitForHttp, type Child } from '../bench/processes.js';
import { call, credentials } from '../bench/setup-http.js';

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface Instance {
  url: string;
  child: Child;
}

export interface Cluster {
  dbUri: string;
  dbName: string;
  dbKind: string;
  adminSecret: string;
  adminPassword: string;
  dcrToken: string;
  instances: Instance[];
  /** Starts one more instance on the same database with the same secrets. */
  addInstance(extraEnv?: Record<string, string>): Promise<Instance>;
  stopInstances(): Promise<void>;
  /** Stops the instances and the database. */
  stop(): Promise<void>;
}

export async function startCluster(tmp: string, dbName: string, log: (line: string) => void): Promise<Cluster> {
  const db = await startEmbeddedServer({ dataDir: join(tmp, 'db'), log: (line) => log(`  ${line}`) });
  const unregisterDb = onCleanup(`stop ${db.kind}`, () => db.stop());
  const secrets = {
    ADMIN_CLIENT_SECRET: randomBytes(24).toString('hex'),
    ADMIN_PASSWORD: `Pw-${randomBytes(12).toString('hex')}`,
    KEY_ENCRYPTION_SECRET: randomBytes(32).toString('hex'),
    DCR_INITIAL_ACCESS_TOKEN: randomBytes(24).toString('hex'),
  };
  const instances: Instance[] = [];
  const cluster: Cluster = {
    dbUri: db.uri,
    dbName,
    dbKind: db.kind,
    adminSecret: secrets.ADMIN_CLIENT_SECRET,
    adminPassword: secrets.ADMIN_PASSWORD,
    dcrToken: secrets.DCR_INITIAL_ACCESS_TOKEN,
    instances,
    async addInstance(extraEnv = {}) {
      const port = await freePort();
      // Every instance names the same issuer: tokens from one must introspect at another.
      const issuer = instances[0]?.url ?? `http://${HOST}:${port}`;
      const url = `http://${HOST}:${port}`;
      const child = spawnChild(`keyforge-${instances.length + 1}`, process.execPath, [MAIN_JS], {
        env: {
          ...baseEnv(),
          PORT: String(port),
          HOST,
          ISSUER: issuer,
          MONGODB_URI: db.uri,
          MONGODB_DB: dbName,
          DATA_DIR: join(tmp, `data-${instances.length + 1}`),
          LOG_LEVEL: 'warn',
          TRUST_PROXY: 'true',
          ...secrets,
          ...extraEnv,
        },
      });
      await waitForHttp(`${url}/readyz`, child, 120_000);
      const instance = { url, child };
      instances.push(instance);
      return instance;
    },
    async stopInstances() {
      for (const i of instances.splice(0)) await i.child.stop();
    },
    async stop() {
      await cluster.stopInstances();
      await db.stop();
      unregisterDb();
    },
  };
  return cluster;
}

/** An admin bearer token for the management API, from any instance. */
export async function adminToken(c: Cluster, at = c.instances[0]!): Promise<string> {
  const issuer = c.instances[0]!.url;
  const reply = await call(`${at.url}/token`, {
    headers: { authorization: credentials('admin', c.adminSecret).basic },
    form: { grant_type: 'client_credentials', scope: 'admin', resource: `${issuer}/api` },
  }, 200);
  return String(reply['access_token']);
}

/** Times one call in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
