import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { inject } from 'vitest';

import { loadConfig, type Config } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { connectStore, type Store } from '../../src/store/index.js';
import { freePort } from '../../src/store/embedded-server.js';

export const ADMIN_SECRET = 'test-admin-secret-0123456789abcdef';
export const DCR_TOKEN = 'test-initial-access-token-0123456789';


export interface TestServer extends RunningServer {
  config: Config;
  store: Store;
  /** Stops the server, keeps the database (for restart tests). */
  stop(): Promise<void>;
  /** Stops the server and drops its database. */
  destroy(): Promise<void>;
}

/** A real server on a real port over a real database (its own, named per test file). */
export async function startTestServer(
  env: Record<string, string> = {},
  dbName = `t_${randomBytes(6).toString('hex')}`,
): Promise<TestServer> {
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    MONGODB_URI: inject('mongoUri'),
    MONGODB_DB: dbName,
    DATA_DIR: await mkdtemp(join(tmpdir(), 'keyforge-test-')),
    KEY_ENCRYPTION_SECRET: 'test-key-encryption-secret-0123456789abcdef',
    ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    DCR_INITIAL_ACCESS_TOKEN: DCR_TOKEN,
    LOG_LEVEL: 'silent',
    CONFIG_REFRESH_SECONDS: '1',
    REVOCATION_SYNC_MS: '100',
    KEY_ACTIVATION_DELAY_SECONDS: '0',
    // Suites send bursts from one address; rate limits are tested where they are set.
    RATE_LIMIT_TOKEN_PER_CLIENT: '0',
    RATE_LIMIT_TOKEN_PER_ADDRESS: '0',
    RATE_LIMIT_INTROSPECTION_PER_CLIENT: '0',
    RATE_LIMIT_INTROSPECTION_PER_ADDRESS: '0',
    RATE_LIMIT_REVOCATION_PER_CLIENT: '0',
    RATE_LIMIT_REVOCATION_PER_ADDRESS: '0',
    RATE_LIMIT_REVOCATION_FEED_PER_CLIENT: '0',
    RATE_LIMIT_REVOCATION_FEED_PER_ADDRESS: '0',
    ...env,
  });
  const store = await connectStore(config.mongodbUri!, config.mongodbDb, { tokenCacheSize: config.tokenCacheSize });
  const running = await startServer(config, {
    store,
    log: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const stop = async () => {
    await running.close();
    await store.close();
  };
  return {
    ...running,
    config,
    store,
    stop,
    async destroy() {
      await store.db.dropDatabase().catch(() => undefined);
      await stop();
    },
  };
}

export { freePort };
