import { spawn, type ChildProcess } from 'node:child_process';

import { freePort } from '../../support/test-server.js';

export interface ExampleServer {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

export interface Command {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

function launch(c: Command): { child: ChildProcess; out: string[] } {
  const child = spawn(c.cmd, c.args, {
    cwd: c.cwd,
    env: { ...process.env, ...c.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() ends whatever it started (mvn, go run, ...)
  });
  const out: string[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  return { child, out };
}

function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { resolve(); }
  });
}

/**
 * Starts an example API on a free port (given to it as PORT) and waits until it answers
 * HTTP at all, whatever the status.
 */
export async function startExample(c: Command, timeoutMs = 60_000): Promise<ExampleServer> {
  const port = await freePort();
  const { child, out } = launch({ ...c, env: { ...c.env, PORT: String(port) } });
  const url = `http://127.0.0.1:${port}`;
  const log = () => out.join('');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${c.cmd} exited ${child.exitCode} before answering:\n${log()}`);
    try {
      await fetch(`${url}/`, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await end(child);
      throw new Error(`${c.cmd} did not answer within ${timeoutMs} ms:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, log, stop: () => end(child) };
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs an example program to its end (bounded by timeoutMs) and returns its exit code and output. */
export async function runExample(c: Command, timeoutMs = 60_000): Promise<RunResult> {
  const { child, out } = launch(c);
  const timer = setTimeout(() => { void end(child); }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (n) => resolve(n)));
  clearTimeout(timer);
  // Let the pipes drain.
  await new Promise((r) => setTimeout(r, 50));
  return { code, output: out.join('') };
}

export interface Answer {
  status: number;
  challenge: string | null;
  body: string;
}

/** GET with an optional bearer token. */
export async function get(url: string, token?: string): Promise<Answer> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text() };
}
