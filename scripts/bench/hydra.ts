// Ory Hydra v2.3.0, the peer we are measured against. Built once with Go
// into a cache dir outside the repo from a throwaway tool module generated
// here (a plain `go install` is refused because Hydra's go.mod has replace
// directives), then run on loopback with a SQLite store in a temp dir.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { HOST, baseEnv, freePort, spawnChild, waitForHttp, type Child } from './processes.js';
import { isExecutable } from '../../src/store/embedded-server.js';
import { passthroughEnv } from './settings.js';
import { SCOPE, call, credentials, mapLimit, type Credentials } from './setup-http.js';

export const HYDRA_VERSION = 'v2.3.0';
const HYDRA_MODULE = 'github.com/ory/hydra/v2';
// From Hydra's Makefile (`make install`) and .docker/Dockerfile-local-build.
const BUILD_TAGS = 'sqlite,sqlite_omit_load_extension';
const SETUP_CONCURRENCY = 8;

export function hydraCacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'keyforge', `hydra-${HYDRA_VERSION}`);
}

export interface HydraBuild {
  bin: string;
  /** The commands that produced the binary (empty when it came from the cache). */
  commands: string[];
}

/** Returns the cached binary, building it first if needed; throws with the reason if it cannot. */
export async function ensureHydra(log: (line: string) => void): Promise<HydraBuild> {
  const dir = hydraCacheDir();
  const bin = join(dir, 'hydra');
  await mkdir(dir, { recursive: true });
  if (await isExecutable(bin)) {
    const version = await run(bin, ['version'], dir, process.env).catch(() => '');
    if (version.includes(HYDRA_VERSION)) return { bin, commands: [] };
  }

  const goEnv = { ...process.env, GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: process.env['GOTOOLCHAIN'] ?? 'local' };
  const goVersion = await run('go', ['version'], dir, goEnv).catch((err: unknown) => {
    throw new Error(`Go is needed to build Hydra and is not usable: ${err instanceof Error ? err.message : String(err)}`);
  });
  log(`building Ory Hydra ${HYDRA_VERSION} into ${bin} with ${goVersion.trim()} (first run only, 1-3 min)`);

  const moduleDir = join(dir, 'module');
  await rm(moduleDir, { recursive: true, force: true });
  await mkdir(moduleDir, { recursive: true });
  const commands: string[] = [];
  const go = async (...args: string[]) => {
    commands.push(`(cd ${moduleDir} && go ${args.join(' ')})`);
    return run('go', args, moduleDir, goEnv);
  };
  await go('mod', 'init', 'benchtool');
  await go('get', '-tool', `${HYDRA_MODULE}@${HYDRA_VERSION}`);

  // A dependency's replace directives do not apply to the module requiring
  // it; Hydra needs its pop fork (ory/pop), so copy its non-local replaces.
  const modCache = (await go('env', 'GOMODCACHE')).trim();
  const hydraGoMod = join(modCache, `${HYDRA_MODULE}@${HYDRA_VERSION}`, 'go.mod');
  const parsed = JSON.parse(await go('mod', 'edit', '-json', hydraGoMod)) as {
    Replace?: { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[];
  };
  for (const r of parsed.Replace ?? []) {
    // Local paths (./internal/httpclient, Hydra's generated API client) are not in the module zip; the
    // published hydra-client-go that go resolves instead is only used by the CLI subcommands.
    if (!r.New.Version) continue;
    const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
    await go('mod', 'edit', '-replace', `${old}=${r.New.Path}@${r.New.Version}`);
  }
  await go('mod', 'tidy');

  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await go(
      'build',
      '-tags',
      BUILD_TAGS,
      '-ldflags',
      `-X ${HYDRA_MODULE}/driver/config.Version=${HYDRA_VERSION}`,
      '-o',
      tmp,
      HYDRA_MODULE,
    );
    await rename(tmp, bin);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  log(`built ${bin}`);
  return { bin, commands };
}

export type HydraStrategy = 'opaque' | 'jwt';

export interface HydraServer {
  publicUrl: string;
  adminUrl: string;
  child: Child;
  strategy: HydraStrategy;
  /** What it was started with (secrets left out), for the results file. */
  command: string;
  stop(): Promise<void>;
}

export interface HydraStore {
  dir: string;
  dsn: string;
  secretsSystem: string;
}

/** A SQLite database for Hydra in `dir`, migrated. Clients kept in it survive a restart with another token strategy. */
export async function prepareHydraStore(bin: string, dir: string): Promise<HydraStore> {
  const dsn = `sqlite://${join(dir, 'hydra.sqlite')}?_fk=true&mode=rwc`;
  await run(bin, ['migrate', 'sql', 'up', '-e', '--yes'], dir, { ...baseEnv(), DSN: dsn, SQA_OPT_OUT: 'true' });
  return { dir, dsn, secretsSystem: randomBytes(24).toString('hex') };
}

export async function startHydra(bin: string, store: HydraStore, strategy: HydraStrategy): Promise<HydraServer> {
  const publicPort = await freePort();
  const adminPort = await freePort();
  const publicUrl = `http://${HOST}:${publicPort}`;
  const adminUrl = `http://${HOST}:${adminPort}`;
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    DSN: store.dsn,
    SECRETS_SYSTEM: store.secretsSystem,
    URLS_SELF_ISSUER: publicUrl,
    // Both listeners default to all interfaces (host ""): keep them on loopback.
    SERVE_PUBLIC_HOST: HOST,
    SERVE_PUBLIC_PORT: String(publicPort),
    SERVE_ADMIN_HOST: HOST,
    SERVE_ADMIN_PORT: String(adminPort),
    STRATEGIES_ACCESS_TOKEN: strategy,
    // Same level as ours: no per-request access log.
    LOG_LEVEL: 'warn',
    // Telemetry to Ory is on by default.
    SQA_OPT_OUT: 'true',
    ...passthroughEnv('BENCH_HYDRA_'),
  };
  const args = ['serve', 'all', '--dev', '--sqa-opt-out'];
  const child = spawnChild(`hydra (${strategy})`, bin, args, { env, cwd: store.dir });
  await waitForHttp(`${adminUrl}/health/ready`, child);
  await waitForHttp(`${publicUrl}/health/alive`, child);
  const shown = Object.entries(env)
    .filter(([k]) => !['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SECRETS_SYSTEM'].includes(k))
    .map(([k, v]) => `${k}=${v}`);
  return {
    publicUrl,
    adminUrl,
    child,
    strategy,
    command: `${shown.join(' ')} SECRETS_SYSTEM=<48 hex chars> ${bin} ${args.join(' ')}`,
    stop: () => child.stop(),
  };
}

export async function createHydraClients(hydra: HydraServer, count: number): Promise<Credentials[]> {
  return mapLimit(Array.from({ length: count }), SETUP_CONCURRENCY, async () => {
    const body = await call(
      `${hydra.adminUrl}/admin/clients`,
      { json: { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: SCOPE } },
      201,
    );
    return credentials(String(body['client_id']), String(body['client_secret']));
  });
}


function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-8_000)));
    child.once('error', (e) => reject(new Error(`${cmd} ${args.join(' ')}: ${e.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed (${signal ?? `exit ${code}`}):\n${(err || out).trimEnd().slice(-4_000)}`));
    });
  });
}
