// `npm run scale:lists`: are list costs flat from 1,000 to 100,000 applications, and are
// token issuance and introspection unchanged by that data?
//
// One embedded database and one keyforge process, set up over HTTP (an API, a few
// registered clients, a portal session), then applications seeded in batches straight into
// the collections (seed.ts). At each size: p50/p99 of the API's first page, of its last
// page (the 1,000th at 100,000 with limit=100), of the portal's list searched by name, of
// what the list did before paging (every application, then one $in over their clients,
// timed at the driver), and a short bounded loop of token requests and introspections.
//
// SCALE_SIZES=1000,10000 narrows the run; SCALE_SAMPLES (default 20) sets samples per list.

import { MongoClient } from 'mongodb';

import { encodeCursor } from '../../src/http/paging.js';
import { cleanupAll, installExitHandlers, makeTempDir } from '../bench/processes.js';
import { call, credentials, mapLimit, type Credentials } from '../bench/setup-http.js';
import { adminToken, ms, percentile, startCluster, timed } from './cluster.js';
import { loop } from './load-loop.js';
import { nameOf, seedApplications } from './seed.js';

const API = 'https://scale.keyforge.test/api';
const SCOPE = 'scale:read';
const SIZES = (process.env['SCALE_SIZES'] ?? '1000,10000,100000').split(',').map(Number);
const SAMPLES = Number(process.env['SCALE_SAMPLES'] ?? 20);
const PAGE = 100;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function portalSession(url: string, password: string): Promise<string> {
  const cookies = new Map<string, string>();
  const take = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const page = await fetch(`${url}/portal/sign-in`);
  take(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const res = await fetch(`${url}/portal/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username: 'admin', password }).toString(),
  });
  take(res);
  if (res.status !== 303 && res.status !== 302) throw new Error(`portal sign-in: ${res.status}`);
  return header();
}

async function samples(n: number, fn: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) t.push(await timed(fn));
  return { p50: percentile(t, 50), p99: percentile(t, 99) };
}

async function expectOk(res: Response, what: string): Promise<string> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

async function main(): Promise<void> {
  installExitHandlers();
  const tmp = await makeTempDir('keyforge-scale');
  const cluster = await startCluster(tmp, 'scale', (l) => log(l));
  const server = await cluster.addInstance();
  log(`database: ${cluster.dbKind}; server ${server.url}`);
  const url = server.url;

  const bearer = { authorization: `Bearer ${await adminToken(cluster)}` };
  await call(`${url}/api/apis`, { headers: bearer, json: { identifier: API, name: 'Scale API', scopes: [{ name: SCOPE }] } }, 201);
  const clients: Credentials[] = await mapLimit(Array.from({ length: 16 }), 4, async () => {
    const body = await call(`${url}/reg`, {
      headers: { authorization: `Bearer ${cluster.dcrToken}` },
      json: { grant_types: ['client_credentials'], scope: SCOPE, access_token_strategy: 'opaque' },
    }, 201);
    return credentials(String(body['client_id']), String(body['client_secret']));
  });
  const tokenOf = async (c: Credentials) => String((await call(`${url}/token`, {
    headers: { authorization: c.basic }, form: { grant_type: 'client_credentials', scope: SCOPE },
  }, 200))['access_token']);
  const tokens = await Promise.all(clients.map(tokenOf));
  // The list creates its index on first use: before the seed, as a running server would have.
  await expectOk(await fetch(`${url}/api/applications?limit=1`, { headers: bearer }), 'first list');
  const cookie = await portalSession(url, cluster.adminPassword);

  const mongo = await MongoClient.connect(cluster.dbUri);
  const db = mongo.db(cluster.dbName);
  const rows: string[] = [];
  let seeded = 0;
  try {
    for (const size of SIZES) {
      const t0 = performance.now();
      await seedApplications(db, seeded, size, API, SCOPE);
      log(`seeded ${size - seeded} applications (to ${size}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      seeded = size;

      // The last page: its cursor is the name_key of the application just before it.
      const sorted = Array.from({ length: size }, (_, i) => nameOf(i).toLowerCase()).sort();
      const lastCursor = encodeCursor([sorted[size - PAGE - 1]!]);
      const get = (path: string, headers: Record<string, string>) => async () => {
        await expectOk(await fetch(url + path, { headers }), path);
      };
      const first = await samples(SAMPLES, get(`/api/applications?limit=${PAGE}`, bearer));
      const last = await samples(SAMPLES, get(`/api/applications?limit=${PAGE}&after=${lastCursor}`, bearer));
      const portal = await samples(SAMPLES, get('/portal/applications?q=billing-0', { cookie }));
      // What GET /api/applications did before it paged: everything, then one $in over every
      // client. FerretDB checks each client against the whole $in list, so above 10,000 only
      // the first half is timed (a floor, marked ≥).
      const withIn = size <= 10_000;
      const before = await samples(withIn ? 3 : 1, async () => {
        const docs = await db.collection<{ keys: Record<string, { client_id: string }> }>('applications')
          .find({}).sort({ created_at: -1 }).toArray();
        const ids = docs.flatMap((d) => Object.values(d.keys).map((k) => k.client_id));
        if (withIn) await db.collection<{ _id: string }>('clients').find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray();
      });
      const issue = await loop(400, 8, (i) => fetch(`${url}/token`, {
        method: 'POST',
        headers: { authorization: clients[i % clients.length]!.basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`,
      }));
      const introspect = await loop(800, 8, (i) => fetch(`${url}/token/introspection`, {
        method: 'POST',
        headers: { authorization: clients[i % clients.length]!.basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(tokens[i % tokens.length]!)}`,
      }));
      const row = [
        String(size).padStart(7),
        `${ms(first.p50)} / ${ms(first.p99)}`.padStart(15),
        `${ms(last.p50)} / ${ms(last.p99)}`.padStart(15),
        `${ms(portal.p50)} / ${ms(portal.p99)}`.padStart(15),
        `${withIn ? '' : '≥'}${ms(before.p50)}`.padStart(11),
        `${ms(issue.p50)} / ${ms(issue.p99)}`.padStart(13),
        `${ms(introspect.p50)} / ${ms(introspect.p99)}`.padStart(13),
        String(issue.errors + introspect.errors).padStart(6),
      ].join(' | ');
      rows.push(row);
      log(row);
    }
  } finally {
    await mongo.close();
  }
  log('');
  log(`database: ${cluster.dbKind}; ${SAMPLES} samples per list, limit=${PAGE} (portal: 50); ms as p50 / p99`);
  log('   apps | API first page  | API last page   | portal search   | before: all | token issue   | introspect    | errors');
  log('--------+-----------------+-----------------+-----------------+-------------+---------------+---------------+-------');
  for (const r of rows) log(r);
}

main().then(() => cleanupAll(), async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await cleanupAll();
  process.exitCode = 1;
});
