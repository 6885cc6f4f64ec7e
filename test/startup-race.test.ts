import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, inject, it } from 'vitest';

import { MAIN, spawnServer, stopServer, waitUntilUp, type ServerProcess } from './support/processes.js';
import { ADMIN_SECRET, DCR_TOKEN, freePort } from './support/test-server.js';

/**
 * Found by the outside attack of issue 10's round: instances started together on an empty
 * database each found no portal admin and each created one; all but one failed to start on
 * the duplicate key.
 */
describe.runIf(existsSync(MAIN))('instances started together on an empty database', () => {
  const dbName = `t_race_${randomBytes(4).toString('hex')}`;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((s) => stopServer(s)));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    const client = await MongoClient.connect(inject('mongoUri'));
    await client.db(dbName).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it.each([
    ['with ADMIN_PASSWORD', { ADMIN_PASSWORD: 'race-admin-password-0000' }],
    ['with a generated admin password', {}],
  ])('all start, %s', async (_label, extra: Record<string, string>) => {
    const db = `${dbName}_${Object.keys(extra).length}`;
    const started = await Promise.all(Array.from({ length: 4 }, async () => {
      const port = await freePort();
      const dataDir = await mkdtemp(join(tmpdir(), 'keyforge-race-'));
      dirs.push(dataDir);
      const s = spawnServer({
        MONGODB_URI: inject('mongoUri'),
        MONGODB_DB: db,
        ISSUER: `http://127.0.0.1:${port}`,
        ADMIN_CLIENT_SECRET: ADMIN_SECRET,
        DCR_INITIAL_ACCESS_TOKEN: DCR_TOKEN,
        KEY_ENCRYPTION_SECRET: 'race-key-encryption-secret-00000000000000',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...extra,
      }, port);
      servers.push(s);
      return s;
    }));
    await Promise.all(started.map((s) => waitUntilUp(s, '/readyz', 60_000)));
    for (const s of started) expect(s.child.exitCode).toBeNull();
    const client = await MongoClient.connect(inject('mongoUri'));
    try {
      expect(await client.db(db).collection('portal_users').countDocuments()).toBe(1);
    } finally {
      await client.db(db).dropDatabase().catch(() => undefined);
      await client.close();
    }
  }, 90_000);
});
