// The server under test, as it runs in production: `node dist/src/main.js` in its own
// process, on loopback, over a fresh database: the embedded FerretDB (or mongod) in a temp
// dir, or a new database named fuzz_<random> inside MONGODB_URI (dropped afterwards).

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { MongoClient } from 'mongodb';

import { startEmbeddedServer } from '../../src/store/embedded-server.js';
import { HOST, baseEnv, freePort, onCleanup, spawnChild, waitForHttp, type Child } from '../bench/processes.js';

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface ServerUnderTest {
  url: string;
  child: Child;
  database: string;
  adminSecret: string;
  dcrToken: string;
  portalUser: string;
  portalPassword: string;
  /** What the fuzzer turned off or shortened, to be said in the output. */
  relaxed: string[];
  stop(): Promise<void>;
}

/** Settings that keep the flood from one address measuring input handling, not throttling. */
const RELAXED = {
  RATE_LIMIT_TOKEN_PER_CLIENT: '0',
  RATE_LIMIT_TOKEN_PER_ADDRESS: '0',
  LOGIN_MAX_ATTEMPTS: '100',
  LOGIN_LOCK_SECONDS: '1',
};

export async function startServerUnderTest(tmp: string, log: (line: string) => void): Promise<ServerUnderTest> {
  const external = process.env['MONGODB_URI'];
  const dbName = `fuzz_${randomBytes(4).toString('hex')}`;
  let uri: string;
  let database: string;
  if (external) {
    uri = external;
    database = `MONGODB_URI, database ${dbName}`;
    onCleanup(`drop ${dbName}`, async () => {
      const client = await MongoClient.connect(external, { serverSelectionTimeoutMS: 5_000 });
      try {
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
    });
  } else {
    const db = await startEmbeddedServer({ dataDir: join(tmp, 'db'), log: (line) => log(`  ${line}`) });
    onCleanup(`stop ${db.kind}`, () => db.stop());
    uri = db.uri;
    database = `embedded ${db.kind} at ${db.uri} (fresh, in ${tmp})`;
  }

  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const adminSecret = randomBytes(24).toString('hex');
  const dcrToken = randomBytes(24).toString('hex');
  const portalPassword = randomBytes(18).toString('base64url');
  const child = spawnChild('keyforge', process.execPath, [MAIN_JS], {
    env: {
      ...baseEnv(),
      PORT: String(port),
      ISSUER: url,
      MONGODB_URI: uri,
      MONGODB_DB: dbName,
      DATA_DIR: join(tmp, 'data'),
      // Errors only: every 5xx the server logs is kept in the child's output tail.
      LOG_LEVEL: 'error',
      ADMIN_CLIENT_SECRET: adminSecret,
      ADMIN_USERNAME: 'fuzz-admin',
      ADMIN_PASSWORD: portalPassword,
      KEY_ENCRYPTION_SECRET: randomBytes(32).toString('hex'),
      DCR_INITIAL_ACCESS_TOKEN: dcrToken,
      ...RELAXED,
    },
  });
  await waitForHttp(`${url}/readyz`, child);
  return {
    url,
    child,
    database,
    adminSecret,
    dcrToken,
    portalUser: 'fuzz-admin',
    portalPassword,
    relaxed: Object.entries(RELAXED).map(([k, v]) => `${k}=${v}`),
    stop: () => child.stop(),
  };
}
