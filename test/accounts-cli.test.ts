import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

const CLI = resolve('dist/src/cli/main.js');
let srv: TestServer;
let env: Record<string, string>;

function keyforge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, '--json', ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function ok<T>(args: string[]): Promise<T> {
  const r = await keyforge(args);
  if (r.code !== 0) throw new Error(`keyforge ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  srv = await startTestServer();
  const dir = await mkdtemp(join(tmpdir(), 'keyforge-cli-'));
  env = {
    PATH: process.env['PATH'] ?? '', HOME: dir, KEYFORGE_CONFIG_DIR: dir,
    KEYFORGE_URL: srv.url, KEYFORGE_CLIENT_ID: 'admin', KEYFORGE_CLIENT_SECRET: ADMIN_SECRET,
  };
});

afterAll(async () => {
  await srv?.destroy();
});

describe('keyforge accounts', () => {
  it('invites, lists, disables, enables, resets and deletes, and transfers and reports on applications', async () => {
    const invited = await ok<{ username: string; status: string; invitation_url: string }>(['accounts', 'invite', 'dana', '--email', 'dana@example.com']);
    expect(invited).toMatchObject({ username: 'dana', status: 'invited' });
    expect(invited.invitation_url).toMatch(/\/portal\/invitations\/[A-Za-z0-9_-]{43}$/);
    const list = await ok<{ username: string; role: string }[]>(['accounts', 'list']);
    expect(list.map((a) => `${a.username}:${a.role}`)).toEqual(expect.arrayContaining(['admin:admin', 'dana:developer']));

    // Dana chooses a password on the link (its form), then the admin disables and enables her.
    const page = await request(srv.url).get(new URL(invited.invitation_url).pathname);
    const cookie = (page.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const set = await request(srv.url).post(new URL(invited.invitation_url).pathname).set('Cookie', cookie).type('form')
      .send({ _csrf: csrf, password: 'plum-orchard-window-4', confirm_password: 'plum-orchard-window-4' });
    expect(set.status).toBe(303);
    expect((await ok<{ status: string }>(['accounts', 'disable', 'dana'])).status).toBe('disabled');
    expect((await ok<{ status: string }>(['accounts', 'enable', 'dana'])).status).toBe('active');
    const reset = await ok<{ invitation_url: string }>(['accounts', 'reset-password', 'dana']);
    expect(reset.invitation_url).not.toBe(invited.invitation_url);

    const app = await ok<{ id: string; owner: string | null }>(['apps', 'create', '--name', 'Ledger', '--token-type', 'JWT']);
    expect(app.owner).toBeNull();
    expect(await ok(['apps', 'transfer', app.id, 'dana'])).toEqual({ id: app.id, owner: 'dana' });
    const usage = await ok<{ key_sets: { key_type: string; last_24_hours: { issued: number } }[] }>(['apps', 'usage', app.id]);
    expect(usage.key_sets.map((k) => [k.key_type, k.last_24_hours.issued])).toEqual([['PRODUCTION', 0], ['SANDBOX', 0]]);

    const refused = await keyforge(['accounts', 'delete', 'dana']);
    expect(refused.code).not.toBe(0);
    const deleted = await ok<{ applications_deleted: string[] }>(['accounts', 'delete', 'dana', '--yes']);
    expect(deleted.applications_deleted).toEqual([app.id]);
    expect((await keyforge(['apps', 'get', app.id])).code).not.toBe(0);
  });
});
