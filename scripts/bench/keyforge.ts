// Our server as it runs in production: `node dist/src/main.js` in its own
// process over an embedded FerretDB (SQLite backend) in a temp dir, set up
// over HTTP only: an API, opaque and JWT clients by dynamic registration, one
// resource-server client allowed to introspect, and a pool of tokens.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startEmbeddedServer } from '../../src/store/embedded-server.js';
import { HOST, baseEnv, freePort, onCleanup, spawnChild, waitForHttp, type Child } from './processes.js';
import { findChildPid } from './rss.js';
import { passthroughEnv } from './settings.js';
import { SCOPE, call, credentials, issueToken, mapLimit, type Credentials } from './setup-http.js';

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));
export const API_IDENTIFIER = 'https://bench.keyforge.test/api';
const SETUP_CONCURRENCY = 16;
const DB_NAME = 'bench';

export interface KeyforgeServer {
  url: string;
  child: Child;
  /** The embedded database process, when found (its memory is reported separately). */
  dbPid: number | undefined;
  dbKind: string;
  /** Where the server's database is (MONGODB_URI, MONGODB_DB), for benches that seed records directly. */
  dbUri: string;
  dbName: string;
  adminSecret: string;
  dcrToken: string;
  stop(): Promise<void>;
}

export interface KeyforgeClients {
  opaque: Credentials[];
  jwt: Credentials[];
  /** Linked to the API as a resource server: may introspect its tokens. */
  resourceServer: Credentials;
}

/**
 * How `npm run bench` runs our server: the rate limits on introspection are off (one resource
 * server calls far above 60,000/min); the token endpoint's stay at their defaults.
 */
export const INTROSPECTION_LIMITS_OFF = { RATE_LIMIT_INTROSPECTION_PER_CLIENT: '0', RATE_LIMIT_INTROSPECTION_PER_ADDRESS: '0' };

export async function startKeyforge(tmp: string, log: (line: string) => void, extraEnv: Record<string, string> = {}): Promise<KeyforgeServer> {
  const db = await startEmbeddedServer({ dataDir: join(tmp, 'db'), log: (line) => log(`  ${line}`) });
  const unregisterDb = onCleanup(`stop ${db.kind}`, () => db.stop());
  const dbPid = findChildPid(process.pid, db.kind === 'ferretdb' ? 'ferretdb' : 'mongod');

  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const adminSecret = randomBytes(24).toString('hex');
  const dcrToken = randomBytes(24).toString('hex');
  const child = spawnChild('keyforge', process.execPath, [MAIN_JS], {
    env: {
      ...baseEnv(),
      PORT: String(port),
      ISSUER: url,
      MONGODB_URI: db.uri,
      MONGODB_DB: DB_NAME,
      DATA_DIR: join(tmp, 'data'),
      LOG_LEVEL: 'warn',
      ADMIN_CLIENT_SECRET: adminSecret,
      KEY_ENCRYPTION_SECRET: randomBytes(32).toString('hex'),
      DCR_INITIAL_ACCESS_TOKEN: dcrToken,
      // Requests carry X-Forwarded-For with one address per client (see Credentials.address).
      TRUST_PROXY: 'true',
      ...extraEnv,
      ...passthroughEnv('BENCH_KEYFORGE_'),
    },
  });
  await waitForHttp(`${url}/.well-known/openid-configuration`, child);
  return {
    url,
    child,
    dbPid,
    dbKind: db.kind,
    dbUri: db.uri,
    dbName: DB_NAME,
    adminSecret,
    dcrToken,
    async stop() {
      await child.stop();
      await db.stop();
      unregisterDb();
    },
  };
}

export async function setUpKeyforge(server: KeyforgeServer, clientsPerFormat: number): Promise<KeyforgeClients> {
  const { url, adminSecret, dcrToken } = server;
  const adminReply = await call(
    `${url}/token`,
    {
      headers: { authorization: credentials('admin', adminSecret).basic },
      form: { grant_type: 'client_credentials', scope: 'admin', resource: `${url}/api` },
    },
    200,
  );
  const bearer = { authorization: `Bearer ${String(adminReply['access_token'])}` };
  await call(`${url}/api/apis`, { headers: bearer, json: { identifier: API_IDENTIFIER, name: 'Bench API', scopes: [{ name: SCOPE }] } }, 201);

  const register = async (metadata: Record<string, unknown>) => {
    const body = await call(`${url}/reg`, { headers: { authorization: `Bearer ${dcrToken}` }, json: metadata }, 201);
    return credentials(String(body['client_id']), String(body['client_secret']));
  };
  const formats = [...Array(clientsPerFormat).fill('opaque'), ...Array(clientsPerFormat).fill('jwt')] as ('opaque' | 'jwt')[];
  const all = await mapLimit(formats, SETUP_CONCURRENCY, (format) =>
    register({ grant_types: ['client_credentials'], scope: SCOPE, access_token_strategy: format }),
  );
  const resourceServer = await register({ grant_types: ['client_credentials'] });
  await call(
    `${url}/api/apis/${encodeURIComponent(API_IDENTIFIER)}/resource-servers`,
    { headers: bearer, json: { client_id: resourceServer.id } },
    200,
  );
  return { opaque: all.slice(0, clientsPerFormat), jwt: all.slice(clientsPerFormat), resourceServer };
}

/** One token per client, issued through the real token endpoint. */
export function issuePool(tokenUrl: string, clients: Credentials[]): Promise<string[]> {
  return mapLimit(clients, SETUP_CONCURRENCY, (client) => issueToken(tokenUrl, client, SCOPE));
}
