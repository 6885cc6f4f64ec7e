// Everything the benchmark starts (child processes, temp directories, the
// embedded database) is registered here, so that a normal end, an error, a
// deadline or Ctrl-C all stop the same things and remove the same files.

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../src/store/embedded-server.js';

export const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 30;

export interface Child {
  name: string;
  pid: number;
  /** Last lines (all kept, or the last `n`) of its stdout and stderr, for error messages. */
  tail(n?: number): string;
  /** Lines printed since the last call (a server that logs under load is worth knowing about). */
  takeLineCount(): number;
  readonly exited: boolean;
  /** Resolves with how it ended. */
  readonly closed: Promise<string>;
  stop(): Promise<void>;
}

type CleanupFn = () => Promise<void>;
const cleanups: { name: string; fn: CleanupFn }[] = [];
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Registers an async cleanup step; steps run last-registered first. Returns an unregister function. */
export function onCleanup(name: string, fn: CleanupFn): () => void {
  const entry = { name, fn };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

let cleaning: Promise<void> | undefined;
export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const step = cleanups.pop()!;
      try {
        await step.fn();
      } catch (err) {
        process.stderr.write(`cleanup ${step.name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
    tempDirs.clear();
  })();
  return cleaning;
}

/**
 * Signals and fatal errors stop everything before exiting. The 'exit' hook is
 * the last resort (it cannot wait): SIGKILL what is left, remove temp dirs.
 */
export function installExitHandlers(): void {
  const finish = (code: number, why: string) => {
    process.stderr.write(`\n${why}: stopping everything the benchmark started\n`);
    const force = setTimeout(() => process.exit(code), 20_000);
    force.unref();
    void cleanupAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => finish(130, 'SIGINT'));
  process.once('SIGTERM', () => finish(143, 'SIGTERM'));
  process.once('SIGHUP', () => finish(129, 'SIGHUP'));
  process.on('uncaughtException', (err) => finish(1, `uncaught: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => finish(1, `unhandled rejection: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh directory under the system temp dir, removed by cleanupAll (or at exit). */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Spawns a child whose output is kept (tail) but not printed, and which cleanupAll stops. */
export function spawnChild(name: string, cmd: string, args: string[], opts: SpawnOptions): Child {
  const proc = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(proc);
  const lines: string[] = [];
  let count = 0;
  const remember = (line: string) => {
    count++;
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
  };
  createInterface({ input: proc.stdout! }).on('line', remember);
  createInterface({ input: proc.stderr! }).on('line', remember);

  let exited = false;
  const closed = new Promise<string>((resolve) => {
    proc.once('error', (err) => {
      remember(`spawn failed: ${err.message}`);
    });
    proc.once('close', (code, signal) => {
      exited = true;
      liveChildren.delete(proc);
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exited) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await closed;
      clearTimeout(timer);
    })();
    return stopping;
  };
  const unregister = onCleanup(`stop ${name}`, stop);
  void closed.then(unregister);

  return {
    name,
    pid: proc.pid ?? -1,
    tail: (n = TAIL_LINES) => lines.slice(-n).join('\n  '),
    takeLineCount: () => {
      const n = count;
      count = 0;
      return n;
    },
    get exited() {
      return exited;
    },
    closed,
    stop,
  };
}


/** Polls `url` until it answers 200, failing early if `child` dies. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exited) throw new Error(`${child.name} exited before ${url} answered (${await child.closed}); last output:\n  ${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${child.name}: ${url} did not answer 200 within ${timeoutMs / 1000} s; last output:\n  ${child.tail()}`);
    }
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The environment a child gets: enough to run, nothing of ours that it might read as configuration. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export { freePort };
