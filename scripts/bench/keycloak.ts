// Keycloak 26.7.3, the second peer (issue 10): the distribution from Maven
// Central (org.keycloak:keycloak-quarkus-dist:26.7.3:zip, fetched once with
// Maven into ~/.cache/keyforge/keycloak and unpacked there), run under a Java
// 21+ JDK (Temurin 25 here) in dev mode on its embedded file database:
//   KC_DB=dev-file bin/kc.sh start-dev --http-host=127.0.0.1 --http-port=<port>
// and set up over its admin REST API only: a realm, a client scope for the
// bench scope, confidential service-account clients whose tokens carry their
// own client id and the resource server's in `aud` (since 26.6 an introspecting
// client must be in the token's audience), half of them with lightweight
// access tokens (the nearest Keycloak has to opaque ones), and the resource
// server client.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, readdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { HOST, baseEnv, freePort, spawnChild, waitForHttp, type Child } from './processes.js';
import { passthroughEnv } from './settings.js';
import { SCOPE, call, credentials, mapLimit, type Credentials } from './setup-http.js';

export const KEYCLOAK_VERSION = '26.7.3';
const ARTIFACT = `org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:zip`;
const REALM = 'bench';
const RS_CLIENT = 'bench-rs';
const SETUP_CONCURRENCY = 8;
/** Dev mode rebuilds Quarkus on first start: minutes on 2 busy cores. */
const START_TIMEOUT_MS = 300_000;

export function keycloakCacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'keyforge', 'keycloak');
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** A JDK whose major version is at least 21: JAVA_HOME if set, else the newest Temurin/OpenJDK under /usr/lib/jvm. */
export async function findJavaHome(): Promise<string> {
  const candidates: string[] = [];
  if (process.env['BENCH_KEYCLOAK_JAVA_HOME']) candidates.push(process.env['BENCH_KEYCLOAK_JAVA_HOME']);
  const jvm = '/usr/lib/jvm';
  const entries = await readdir(jvm).catch(() => [] as string[]);
  const versioned = entries
    .map((name) => ({ name, major: Number(/(?:temurin|openjdk|jdk)-?(\d+)/.exec(name)?.[1] ?? 0) }))
    .filter((e) => e.major >= 21)
    .sort((a, b) => b.major - a.major || (a.name.includes('temurin') ? -1 : 1));
  candidates.push(...versioned.map((e) => join(jvm, e.name)));
  if (process.env['JAVA_HOME']) candidates.push(process.env['JAVA_HOME']);
  for (const home of candidates) if (await exists(join(home, 'bin', 'java'))) return home;
  throw new Error(`no JDK 21+ found (looked in ${jvm}; set BENCH_KEYCLOAK_JAVA_HOME)`);
}

export interface KeycloakBuild {
  home: string;
  javaHome: string;
  commands: string[];
}

/** The unpacked distribution, downloading it with Maven first if needed. */
export async function ensureKeycloak(log: (line: string) => void): Promise<KeycloakBuild> {
  const dir = keycloakCacheDir();
  const home = join(dir, `keycloak-${KEYCLOAK_VERSION}`);
  const zip = join(dir, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`);
  const javaHome = await findJavaHome();
  const commands: string[] = [];
  if (!(await exists(join(home, 'bin', 'kc.sh')))) {
    if (!(await exists(zip))) {
      log(`downloading Keycloak ${KEYCLOAK_VERSION} from Maven Central into ${dir} (first run only)`);
      const args = ['-q', '-B', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${dir}`];
      commands.push(`mvn ${args.join(' ')}`);
      await run('mvn', args, process.cwd());
    }
    commands.push(`(cd ${dir} && unzip -q -o ${zip})`);
    await run('unzip', ['-q', '-o', zip], dir);
  }
  return { home, javaHome, commands };
}

export interface KeycloakServer {
  url: string;
  child: Child;
  command: string;
  /** The bootstrap admin's random password, for the admin REST API. */
  adminPassword: string;
  stop(): Promise<void>;
}

export async function startKeycloak(build: KeycloakBuild): Promise<KeycloakServer> {
  // A fresh dev-file database every run: no realm left over from a previous one.
  await rm(join(build.home, 'data'), { recursive: true, force: true });
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    JAVA_HOME: build.javaHome,
    PATH: `${join(build.javaHome, 'bin')}:${process.env['PATH'] ?? ''}`,
    KC_DB: 'dev-file',
    KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
    KC_BOOTSTRAP_ADMIN_PASSWORD: randomBytes(18).toString('hex'),
    ...passthroughEnv('BENCH_KEYCLOAK_'),
  };
  const args = ['start-dev', `--http-host=${HOST}`, `--http-port=${port}`];
  const child = spawnChild('keycloak', join(build.home, 'bin', 'kc.sh'), args, { env, cwd: build.home });
  await waitForHttp(`${url}/realms/master`, child, START_TIMEOUT_MS);
  const shown = Object.entries(env)
    .filter(([k]) => !['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'KC_BOOTSTRAP_ADMIN_PASSWORD'].includes(k))
    .map(([k, v]) => `${k}=${v}`);
  return {
    url,
    child,
    command: `${shown.join(' ')} KC_BOOTSTRAP_ADMIN_PASSWORD=<random> ${join(build.home, 'bin', 'kc.sh')} ${args.join(' ')}`,
    adminPassword: env['KC_BOOTSTRAP_ADMIN_PASSWORD']!,
    stop: () => child.stop(),
  };
}

export interface KeycloakClients {
  /** Lightweight access tokens (client.use.lightweight.access.token.enabled). */
  lightweight: Credentials[];
  /** Regular RS256 JWT access tokens. */
  jwt: Credentials[];
  resourceServer: Credentials;
  tokenPath: string;
  introspectionPath: string;
}

export async function setUpKeycloak(server: KeycloakServer, clientsPerFormat: number): Promise<KeycloakClients> {
  const { url, adminPassword: password } = server;
  // The master realm's admin tokens live 60 s: fetch a fresh one when it gets old.
  let admin = { token: '', at: 0 };
  const bearer = async () => {
    if (Date.now() - admin.at > 30_000) {
      const reply = await call(
        `${url}/realms/master/protocol/openid-connect/token`,
        { form: { grant_type: 'password', client_id: 'admin-cli', username: 'admin', password } },
        200,
      );
      admin = { token: String(reply['access_token']), at: Date.now() };
    }
    return { authorization: `Bearer ${admin.token}` };
  };
  const adminCall = async (path: string, json: unknown, status: number, method = 'POST') =>
    call(`${url}/admin/realms${path}`, { method, headers: await bearer(), json }, status);

  await adminCall('', { realm: REALM, enabled: true, accessTokenLifespan: 3600 }, 201);
  await adminCall(`/${REALM}/client-scopes`, {
    name: SCOPE,
    protocol: 'openid-connect',
    attributes: { 'include.in.token.scope': 'true', 'display.on.consent.screen': 'false' },
  }, 201);
  const scopes = await fetch(`${url}/admin/realms/${REALM}/client-scopes`, { headers: await bearer() }).then(
    (r) => r.json() as Promise<{ id: string; name: string }[]>,
  );
  const scopeId = scopes.find((s) => s.name === SCOPE)?.id;
  if (!scopeId) throw new Error(`keycloak: client scope ${SCOPE} not found after creating it`);
  // Optional scope of every client created after this: requested with scope=bench:read.
  await adminCall(`/${REALM}/default-optional-client-scopes/${scopeId}`, undefined, 204, 'PUT');

  const audience = (clientId: string) => ({
    name: `audience ${clientId}`,
    protocol: 'openid-connect',
    protocolMapper: 'oidc-audience-mapper',
    config: {
      'included.client.audience': clientId,
      'access.token.claim': 'true',
      'introspection.token.claim': 'true',
      'lightweight.claim': 'true',
    },
  });
  const create = async (clientId: string, lightweight: boolean, mappers: unknown[]) => {
    const secret = randomBytes(24).toString('hex');
    await adminCall(`/${REALM}/clients`, {
      clientId,
      secret,
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      attributes: lightweight ? { 'client.use.lightweight.access.token.enabled': 'true' } : {},
      protocolMappers: mappers,
    }, 201);
    return credentials(clientId, secret);
  };
  const resourceServer = await create(RS_CLIENT, false, []);
  const specs = Array.from({ length: 2 * clientsPerFormat }, (_, i) => ({ lightweight: i < clientsPerFormat, id: `bench-${i}` }));
  const all = await mapLimit(specs, SETUP_CONCURRENCY, (s) => create(s.id, s.lightweight, [audience(s.id), audience(RS_CLIENT)]));
  return {
    lightweight: all.slice(0, clientsPerFormat),
    jwt: all.slice(clientsPerFormat),
    resourceServer,
    tokenPath: `/realms/${REALM}/protocol/openid-connect/token`,
    introspectionPath: `/realms/${REALM}/protocol/openid-connect/token/introspect`,
  };
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4_000)));
    child.once('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}): ${err}`))));
  });
}
