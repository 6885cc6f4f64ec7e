import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const EXAMPLES = resolve('examples/integrations');

/**
 * Built examples and the Python venv live here, keyed by a hash of their sources, so that a
 * second run (and CI on the same machine) reuses them. Maven, pip, Go and npm keep their own
 * download caches in their usual places (~/.m2, ~/.cache/pip, ~/go/pkg/mod, ~/.npm).
 */
export const CACHE = join(process.env['KEYFORGE_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'keyforge'), 'integrations');

async function filesUnder(dir: string, skip: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await filesUnder(path, skip));
    else out.push(path);
  }
  return out.sort();
}

async function hashOf(dir: string, skip: (name: string) => boolean = () => false): Promise<string> {
  const h = createHash('sha256');
  for (const file of await filesUnder(dir, skip)) {
    h.update(relative(dir, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Builds into a temporary folder and renames it into place, so a half-made build is never
 * reused. A venv cannot move (its scripts name their folder), so it is built in place and
 * counts only once marked complete.
 */
async function cached(kind: string, key: string, build: (dir: string) => Promise<void>, inPlace = false): Promise<string> {
  const dir = join(CACHE, kind, key);
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = inPlace ? dir : `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await build(tmp);
    await writeFile(join(tmp, '.complete'), new Date().toISOString());
    if (!inPlace) {
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

const MAX_BUFFER = 32 * 1024 * 1024;

/** The Spring examples as runnable jars: `mvn package` once per change of their sources. */
export async function springJars(): Promise<{ resourceServer: string; client: string }> {
  const src = join(EXAMPLES, 'java');
  const dir = await cached('java', await hashOf(src, (n) => n === 'target'), async (out) => {
    await run('mvn', ['-B', '-q', 'package', '-Dmaven.test.skip=true'], { cwd: src, maxBuffer: MAX_BUFFER });
    await copyFile(join(src, 'resource-server/target/resource-server-1.0.0.jar'), join(out, 'resource-server.jar'));
    await copyFile(join(src, 'client/target/client-1.0.0.jar'), join(out, 'client.jar'));
  });
  return { resourceServer: join(dir, 'resource-server.jar'), client: join(dir, 'client.jar') };
}

/** A venv with the Python examples' requirements; returns its python. */
export async function pythonVenv(): Promise<string> {
  const requirements = join(EXAMPLES, 'python/requirements.txt');
  const key = createHash('sha256').update(await readFile(requirements)).digest('hex').slice(0, 16);
  const dir = await cached('python', key, async (out) => {
    await run('python3', ['-m', 'venv', out], { maxBuffer: MAX_BUFFER });
    await run(join(out, 'bin/pip'), ['install', '-q', '--disable-pip-version-check', '-r', requirements], { maxBuffer: MAX_BUFFER });
  }, true);
  return join(dir, 'bin/python');
}

/** The Go examples, built with `go build` (Go's own caches make rebuilds quick). */
export async function goBinaries(): Promise<{ resourceServer: string; client: string }> {
  const src = join(EXAMPLES, 'go');
  const dir = await cached('go', await hashOf(src), async (out) => {
    await run('go', ['build', '-o', out, './...'], { cwd: src, maxBuffer: MAX_BUFFER });
  });
  return { resourceServer: join(dir, 'resource-server'), client: join(dir, 'client') };
}
