import { spawn, spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

// What a newcomer meets first: the CLI in a pipe, and npm start on the machine's older Node.

describe('the CLI in a pipeline', () => {
  it('ends quietly when the reader goes away (keyforge --help | head -1)', async () => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // Close our end before the CLI has written everything, as head does.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});

const systemNode = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
const oldNode = systemNode.status === 0 && /^v(1\d|2[01])\./.test(systemNode.stdout.trim());

describe.runIf(oldNode)('npm start on an older Node', () => {
  it('says in one line what to do', () => {
    const r = spawnSync('/usr/bin/node', ['scripts/check-node.cjs'], { encoding: 'utf8' });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('. scripts/node24.sh');
  });
});
