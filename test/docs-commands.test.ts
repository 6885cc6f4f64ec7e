import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

// Every ```sh block of these documents, run in order as one bash script, as a reader would
// paste them: `keyforge` is the built CLI, the working directory holds data/admin-client-secret
// as `npm start` leaves it. The only change is the documented default URL, which becomes the
// test server's.
const CLI = resolve('dist/src/cli/main.js');
const DOCUMENTED_URL = 'http://localhost:3000';

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(script: string, cwd: string, env: Record<string, string>): Promise<Result> {
  return new Promise((done) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe.each([
  // npm pack is left out of this one: test/resource-server-package.test.ts packs the kit.
  { doc: 'docs/resource-server.md', skip: (block: string) => block.startsWith('npm pack') },
  { doc: 'docs/cli.md', skip: () => false },
])('the commands in $doc', ({ doc, skip }) => {
  let srv: TestServer;
  let dir: string;

  beforeAll(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'keyforge-docs-'));
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data/admin-client-secret'), ADMIN_SECRET);
    await writeFile(join(dir, 'bin/keyforge'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    await chmod(join(dir, 'bin/keyforge'), 0o755);
  });
  afterAll(async () => {
    await srv?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('run as written, each one succeeding', async () => {
    const blocks = shellBlocks(await readFile(doc, 'utf8')).filter((b) => !skip(b));
    expect(blocks.length).toBeGreaterThan(0);
    const script = blocks.join('\n').replaceAll(DOCUMENTED_URL, srv.url);
    // Every command's output is kept, so a failure names the command that failed.
    const r = await bash(`set -x\n${script}`, dir, {
      PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`,
      HOME: dir,
      KEYFORGE_CONFIG_DIR: join(dir, 'config'),
    });
    if (r.code !== 0) throw new Error(`${doc}: exit ${r.code}\n${r.stderr}`);
    // The introspection at the end of each document found the token active.
    expect(r.stdout).toMatch(/^active\s+true$/m);
  });
});
