import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const MAIN = resolve('dist/src/main.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  log: string[];
}

/** `node dist/src/main.js` as a real process; MONGODB_URI only if given in env. */
export function spawnServer(env: Record<string, string>, port: number): ServerProcess {
  const { MONGODB_URI: _inherited, ...rest } = process.env;
  const child = spawn(process.execPath, [MAIN], {
    env: { ...rest, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  return { child, url: `http://127.0.0.1:${port}`, log };
}

export async function waitUntilUp(p: ServerProcess, path = '/healthz', timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`server exited ${p.child.exitCode}: ${p.log.join('')}`);
    try {
      if ((await fetch(p.url + path)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not up: ${p.log.join('')}`);
}

export async function stopServer(p: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
  p.child.kill(signal);
  return exited;
}

/** Polls `check` until it returns true or the bound passes; returns the last result. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
