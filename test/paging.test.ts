import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { adminToken, createApi } from './support/oauth.js';
import { ADMIN_SECRET, startTestServer, type TestServer } from './support/test-server.js';

// Every list of the management API pages the same way: limit, an opaque `after`, `next` and
// Link rel="next"; the portal and the CLI follow it.

const CLI = resolve('dist/src/cli/main.js');
const ORDERS = 'https://orders.example.com';
const PASSWORD = 'a-long-admin-password-for-paging-tests';

let srv: TestServer;
let url: string;
let admin: string;

const get = (path: string) => request(url).get(`/api${path}`).set('Authorization', `Bearer ${admin}`);

async function createApp(name: string): Promise<string> {
  const res = await request(url).post('/api/applications').set('Authorization', `Bearer ${admin}`)
    .send({ name, token_type: 'OAuth', subscriptions: [ORDERS] });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** The path and query of a Link rel="next" header, which carries the absolute URL. */
function nextLink(res: request.Response): string | undefined {
  const link = res.headers['link'] as string | undefined;
  const m = link ? /^<([^>]+)>; rel="next"$/.exec(link) : null;
  return m ? new URL(m[1]!).pathname.replace(/^\/api/, '') + new URL(m[1]!).search : undefined;
}

interface AppPage { applications: { id: string; name: string; key_sets: string[] }[]; next: string | null }

beforeAll(async () => {
  srv = await startTestServer({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: PASSWORD });
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, { identifier: ORDERS, name: 'Orders', scopes: [{ name: 'orders:read' }] });
  // Created out of name order: the list's order is the names', not the creation's.
  for (const n of [7, 3, 11, 1, 9, 5, 2, 10, 4, 8, 6, 12]) await createApp(`Paged ${String(n).padStart(2, '0')}`);
  await createApp('Other thing');
}, 120_000);

afterAll(async () => {
  await srv?.destroy();
});

describe('GET /api/applications pages', () => {
  it('in name order, with limit, next and a Link rel="next" that leads to the end', async () => {
    const names: string[] = [];
    let path: string | undefined = '/applications?limit=5';
    let pages = 0;
    while (path && pages < 10) {
      const res = await get(path);
      expect(res.status).toBe(200);
      const body = res.body as AppPage;
      expect(body.applications.length).toBeLessThanOrEqual(5);
      names.push(...body.applications.map((a) => a.name));
      const link = nextLink(res);
      // `next` and the Link header say the same.
      if (body.next) expect(link).toContain(`after=${body.next}`);
      else expect(link).toBeUndefined();
      path = link;
      pages++;
    }
    expect(pages).toBe(3);
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(names).toHaveLength(13);
    expect(new Set(names).size).toBe(13);
  });

  it('keeps its place when applications are added in between', async () => {
    const first = await get('/applications?limit=4&search=paged');
    const page1 = (first.body as AppPage).applications.map((a) => a.name);
    expect(page1).toEqual(['Paged 01', 'Paged 02', 'Paged 03', 'Paged 04']);
    // One before the cursor, one after it: the next page starts right after Paged 04 and
    // picks up the new one in its place; nothing is repeated or skipped.
    await createApp('Paged 00');
    await createApp('Paged 04b');
    const second = await get(`/applications?limit=4&search=paged&after=${(first.body as AppPage).next!}`);
    expect((second.body as AppPage).applications.map((a) => a.name)).toEqual(['Paged 04b', 'Paged 05', 'Paged 06', 'Paged 07']);
  });

  it('searches by name prefix in any case', async () => {
    const res = await get('/applications?search=OTHER');
    expect((res.body as AppPage).applications.map((a) => a.name)).toEqual(['Other thing']);
    expect((res.body as AppPage).next).toBeNull();
    expect(res.headers['link']).toBeUndefined();
  });

  it('answers a bad cursor or limit with a 400 JSON error naming the parameter', async () => {
    for (const q of ['after=not-a-cursor', `after=${Buffer.from('["x"').toString('base64url')}`, `after=${Buffer.from('[1]').toString('base64url')}`, 'limit=0', 'limit=501', 'limit=ten', 'sort=name']) {
      const res = await get(`/applications?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect((res.body as { error_description: string }).error_description, q).toMatch(/after|limit|sort/);
    }
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await request(url).get('/api/openapi.json')).body as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> };
    for (const path of ['/applications', '/initial-access-tokens', '/clients', '/audit-log']) {
      const names = (doc.paths[path]?.get?.parameters ?? []).map((p) => p.name);
      expect(names, path).toEqual(expect.arrayContaining(['limit', 'after']));
    }
  });
});

describe('a developer\'s list of applications', () => {
  it('pages through their own applications only, in name order, with search', async () => {
    const invited = await request(url).post('/api/accounts').set('Authorization', `Bearer ${admin}`).send({ username: 'pia' });
    expect(invited.status).toBe(201);
    const link = new URL((invited.body as { invitation_url: string }).invitation_url).pathname;
    const form = await request(url).get(link);
    const cookie = (form.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const password = 'quiet-harbour-lantern-7';
    const chosen = await request(url).post(link).set('Cookie', cookie).type('form').send({ _csrf: csrf, password, confirm_password: password });
    expect(chosen.status).toBe(303);
    const session = await request(url).post('/api/sessions').send({ username: 'pia', password });
    expect(session.status).toBe(201);
    const pia = `Bearer ${(session.body as { session_token: string }).session_token}`;
    for (const n of [4, 1, 5, 3, 2]) {
      const res = await request(url).post('/api/applications').set('Authorization', pia).send({ name: `Pia ${n}`, token_type: 'OAuth' });
      expect(res.status).toBe(201);
    }

    const names: string[] = [];
    let path: string | undefined = '/applications?limit=2';
    let pages = 0;
    while (path && pages < 10) {
      const res = await request(url).get(`/api${path}`).set('Authorization', pia);
      expect(res.status).toBe(200);
      names.push(...(res.body as AppPage).applications.map((a) => a.name));
      path = nextLink(res);
      pages++;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(['Pia 1', 'Pia 2', 'Pia 3', 'Pia 4', 'Pia 5']);

    // A search reaches no one else's applications either.
    const others = await request(url).get('/api/applications?search=paged').set('Authorization', pia);
    expect((others.body as AppPage).applications).toEqual([]);
    const mine = await request(url).get('/api/applications?search=PIA&limit=4').set('Authorization', pia);
    expect((mine.body as AppPage).applications.map((a) => a.name)).toEqual(['Pia 1', 'Pia 2', 'Pia 3', 'Pia 4']);
    expect((mine.body as AppPage).next).toBeTruthy();
  });
});

describe('indexes behind the application lists', () => {
  it('has an owner + name index where the database uses secondary indexes, and none where it cannot', async () => {
    await createApp('index-probe');
    const names = (await srv.store.db.collection('applications').indexes()).map((i) => i.name).sort();
    // A developer's page is {owner, name_key > after} in name order: on MongoDB only a compound
    // index keeps it from walking every other developer's applications. FerretDB v1 reads
    // every row for such a filter whatever the indexes, so there it would only slow writes.
    if (inject('mongoKind') === 'ferretdb') expect(names).toEqual(['_id_', 'name_key_unique']);
    else expect(names).toEqual(expect.arrayContaining(['name_key_unique', 'owner_1_name_key_1']));
  });
});

describe('other lists page the same way', () => {
  it('initial access tokens', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await request(url).post('/api/initial-access-tokens').set('Authorization', `Bearer ${admin}`).send({ allowed_apis: [ORDERS] });
      expect(res.status).toBe(201);
    }
    const seen: string[] = [];
    let path: string | undefined = '/initial-access-tokens?limit=2';
    for (let i = 0; i < 5 && path; i++) {
      const res = await get(path);
      expect(res.status).toBe(200);
      seen.push(...(res.body as { initial_access_tokens: { id: string }[] }).initial_access_tokens.map((t) => t.id));
      path = nextLink(res);
    }
    // Three made here, and the one from DCR_INITIAL_ACCESS_TOKEN.
    expect(seen).toHaveLength(4);
    expect(seen).toEqual([...seen].sort());
    expect((await get('/initial-access-tokens?after=zzz')).status).toBe(400);
  });

  it('the audit log: after and next, with before still working', async () => {
    const one = await get('/audit-log?limit=2');
    const body = one.body as { entries: { id: string }[]; next: string | null; next_before: string | null };
    expect(body.entries).toHaveLength(2);
    expect(body.next).toBeTruthy();
    expect(body.next_before).toBeTruthy();
    const two = await get(nextLink(one)!);
    const ids = (two.body as { entries: { id: string }[] }).entries.map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(ids).not.toContain(body.entries[1]!.id);
    const older = await get(`/audit-log?limit=2&before=${encodeURIComponent(body.next_before!)}`);
    expect(older.status).toBe(200);
    expect((await get('/audit-log?after=bad')).status).toBe(400);
  });
});

describe('the portal list', () => {
  async function signIn(): Promise<string> {
    const cookies = new Map<string, string>();
    const take = (res: request.Response) => {
      for (const line of (res.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
        const [pair] = line.split(';');
        const i = pair!.indexOf('=');
        cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      return res;
    };
    const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const page = take(await request(url).get('/portal/sign-in'));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const res = take(await request(url).post('/portal/sign-in').set('Cookie', header()).type('form')
      .send({ _csrf: csrf, username: 'root', password: PASSWORD }));
    expect(res.status).toBe(303);
    return header();
  }

  it('pages with a next link and searches by name', async () => {
    const cookie = await signIn();
    // More than one portal page (50 rows).
    await Promise.all(Array.from({ length: 40 }, (_, i) => createApp(`Bulk ${String(i).padStart(2, '0')}`)));
    const first = await request(url).get('/portal/applications').set('Cookie', cookie);
    expect(first.status).toBe(200);
    const next = /<a [^>]*href="([^"]+)" rel="next">/.exec(first.text)?.[1];
    expect(next).toMatch(/^\/portal\/applications\?after=/);
    const second = await request(url).get(next!.replace(/&amp;/g, '&')).set('Cookie', cookie);
    expect(second.status).toBe(200);
    expect(second.text).toContain('Paged 12');
    expect(second.text).not.toContain('Bulk 00');
    expect(second.text).not.toMatch(/rel="next"/);

    const search = await request(url).get('/portal/applications?q=other').set('Cookie', cookie);
    expect(search.text).toContain('Other thing');
    expect(search.text).not.toContain('Paged 01');
    expect(search.text).toContain('value="other"');

    const none = await request(url).get('/portal/applications?q=zzz').set('Cookie', cookie);
    expect(none.status).toBe(200);
    expect(none.text).toContain('No applications whose name starts with');
  });
});

describe('keyforge apps list', () => {
  let configDir: string;
  const keyforge = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: configDir, KEYFORGE_CONFIG_DIR: configDir },
      timeout: 60_000,
    }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });

  beforeAll(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'keyforge-paging-cli-'));
    const login = await keyforge(['login', '--url', url, '--client-id', 'admin', '--client-secret', ADMIN_SECRET]);
    expect(login.code, login.stderr).toBe(0);
  });

  it('shows one page with --limit and the cursor of the next, and every page with --all', async () => {
    const total = ((await get('/applications?limit=500')).body as AppPage).applications.length;
    const one = await keyforge(['apps', 'list', '--limit', '3']);
    expect(one.code, one.stderr).toBe(0);
    const lines = one.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 3 + 1);
    const cursor = /^NEXT {2}--after (\S+)$/.exec(lines.at(-1)!)?.[1];
    expect(cursor).toBeTruthy();
    const two = await keyforge(['--json', 'apps', 'list', '--limit', '3', '--after', cursor!]);
    const page2 = JSON.parse(two.stdout) as { name: string }[];
    expect(page2).toHaveLength(3);
    expect(lines[1]).not.toContain(page2[0]!.name);

    const all = await keyforge(['--json', 'apps', 'list', '--all', '--limit', '7']);
    expect(all.code, all.stderr).toBe(0);
    const names = (JSON.parse(all.stdout) as { name: string }[]).map((a) => a.name);
    expect(names).toHaveLength(total);
    expect(new Set(names).size).toBe(total);

    const found = await keyforge(['--json', 'apps', 'list', '--search', 'other']);
    expect((JSON.parse(found.stdout) as { name: string }[]).map((a) => a.name)).toEqual(['Other thing']);

    const bad = await keyforge(['apps', 'list', '--after', 'nonsense']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/after/);
  });
});
