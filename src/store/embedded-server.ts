// A local MongoDB-compatible server for development and tests, so that
// neither needs a MongoDB installation: a real `mongod` is used when one is on
// PATH, otherwise FerretDB (SQLite backend) built from scripts/ferretdb.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface EmbeddedServer {
  uri: string;
  kind: 'mongod' | 'ferretdb';
  /** The database process, for tests that stall it (SIGSTOP). */
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedServerOptions {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}

const FERRETDB_VERSION = 'v1.24.2';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 20;

const noop = (): void => {};

export async function startEmbeddedServer(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? noop;
  const dataDir = resolve(opts.dataDir);
  const port = opts.port ?? (await freePort());
  if (opts.port !== undefined) await assertPortFree(port);

  const mongod = await findOnPath('mongod');
  if (mongod) {
    const dbPath = join(dataDir, 'mongod');
    await mkdir(dbPath, { recursive: true });
    const child = spawn(mongod, ['--dbpath', dbPath, '--port', String(port), '--bind_ip', HOST], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // mongod logs JSON to stdout at a chatty level: keep it for error reports
    // but do not forward it.
    return await supervise(child, 'mongod', port, log, { forwardStdout: false, readyLine: null });
  }

  const bin = await ensureFerretDbBinary(log);
  // At 'warn' FerretDB dumps a full wire message whenever a client sends a
  // command it lacks (e.g. endSessions on every MongoClient.close()).
  const args = ['-listen', `${HOST}:${port}`, '-data', join(dataDir, 'ferretdb'), '-log-level', 'error'];
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return await supervise(child, 'ferretdb', port, log, { forwardStdout: true, readyLine: 'ready ' });
}

/** A hash of the launcher's sources, so a changed launcher is rebuilt rather than reused. */
async function sourceHash(srcDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(srcDir)).filter((n) => /\.go$|^go\.(mod|sum)$/.test(n)).sort()) {
    hash.update(name).update(await readFile(join(srcDir, name)));
  }
  return hash.digest('hex').slice(0, 12);
}

export async function ensureFerretDbBinary(log: (line: string) => void = noop): Promise<string> {
  const srcDir = join(projectRoot(), 'scripts', 'ferretdb');
  const bin = resolve(
    process.env['FERRETDB_BIN'] ||
      join(
        process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'keyforge', `ferretdb-${FERRETDB_VERSION}`,
        `ferretdb-embedded-${await sourceHash(srcDir)}`,
      ),
  );
  if (await isExecutable(bin)) return bin;

  await mkdir(dirname(bin), { recursive: true });
  // Build beside the target and rename: rename is atomic within a directory,
  // so a concurrent start either sees no binary (and builds its own) or a
  // complete one, never a partly written file.
  const tmp = `${bin}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  log(`building FerretDB ${FERRETDB_VERSION} into ${bin} (first start only, ~1 min)`);
  try {
    await run('go', ['build', '-o', tmp, '.'], srcDir, {
      ...process.env,
      // -mod=mod lets go fill in go.sum entries it is missing instead of
      // refusing; -buildvcs=false avoids failing when git metadata is odd
      // (e.g. a clone owned by another user).
      GOFLAGS: '-mod=mod -buildvcs=false',
    });
    await rename(tmp, bin);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  log(`built ${bin}`);
  return bin;
}

interface SuperviseOptions {
  forwardStdout: boolean;
  /** Prefix of the stdout line announcing readiness; null means poll TCP. */
  readyLine: string | null;
}

function supervise(
  child: ChildProcess,
  kind: EmbeddedServer['kind'],
  port: number,
  log: (line: string) => void,
  opts: SuperviseOptions,
): Promise<EmbeddedServer> {
  const tail: string[] = [];
  const remember = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };

  let exited = false;

  // A stray database server after the parent is gone would hold the port and
  // the data files. This covers process.exit() and a normal end, not SIGKILL.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  // 'close' rather than 'exit': it also fires when spawning fails, and only
  // after the output pipes are drained, so the tail is complete by then.
  const exitPromise = new Promise<string>((resolveExit) => {
    child.once('close', (code, signal) => {
      exited = true;
      process.removeListener('exit', killOnExit);
      resolveExit(signal ? `signal ${signal}` : `code ${code}`);
    });
  });

  let announce!: () => void;
  const announced = new Promise<void>((r) => {
    announce = r;
  });

  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      remember(line);
      if (opts.readyLine !== null && line.startsWith(opts.readyLine)) announce();
      else if (opts.forwardStdout) log(`${kind}: ${line}`);
    });
  }
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      remember(line);
      log(`${kind}: ${line}`);
    });
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exitPromise;
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const describe = (what: string): string =>
    `${kind} ${what}` + (tail.length ? `; last output:\n  ${tail.join('\n  ')}` : ' (no output)');

  return new Promise<EmbeddedServer>((resolveStart, rejectStart) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => rejectStart(err));
    };
    const timer = setTimeout(
      () => fail(new Error(describe(`not ready on ${HOST}:${port} after ${READY_TIMEOUT_MS / 1000} s`))),
      READY_TIMEOUT_MS,
    );

    child.on('error', (err) => fail(new Error(describe(`failed to start: ${err.message}`))));
    void exitPromise.then((how) => {
      if (!settled) fail(new Error(describe(`exited before becoming ready (${how})`)));
      else if (!stopping) log(`${kind} exited unexpectedly (${how})`);
    });

    const ready = opts.readyLine !== null ? announced : pollTcp(port, () => exited || settled);
    void ready.then(() => {
      if (settled || exited) return;
      settled = true;
      clearTimeout(timer);
      const uri = `mongodb://${HOST}:${port}/`;
      log(`${kind} listening at ${uri}`);
      resolveStart({ uri, kind, pid: child.pid, stop });
    });
  });
}

async function pollTcp(port: number, giveUp: () => boolean): Promise<void> {
  while (!giveUp()) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      r(true);
    });
    socket.once('error', () => {
      socket.destroy();
      r(false);
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('could not allocate a free port'))));
    });
  });
}

// Without this check, TCP polling would happily report whatever already
// listens on the port as our server.
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE' ? `port ${port} on ${HOST} is already in use` : `cannot use port ${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, HOST, () => server.close(() => resolvePort()));
  });
}

async function findOnPath(name: string): Promise<string | null> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// This module runs both from src/ (vitest) and from dist/src/ (after tsc), so
// locate scripts/ via the nearest package.json rather than a fixed ../..
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'ENOENT'
            ? `'${cmd}' not found: FerretDB must be built with Go >= 1.24 (or install mongod, or set FERRETDB_BIN to a prebuilt binary)`
            : `${cmd} ${args.join(' ')}: ${err.message}`,
        ),
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolveRun();
      else reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (${signal ?? `exit ${code}`}):\n${output.trimEnd()}`));
    });
  });
}
