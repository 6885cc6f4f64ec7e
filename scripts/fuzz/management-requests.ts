// The management API: every route /api/openapi.json lists (plus the audit log, which it does
// not), bodies made from the route's own request schema and then broken. With the admin
// token, changes go only to what the fuzzer may change: the playground API, APIs and
// applications it made, signing keys it does not know; protected ones are read, or changed
// with credentials that must not work.

import { jsonBody, type Json } from './bodies.js';
import { PLAYGROUND_API, PLAYGROUND_SCOPES, PROTECTED_API, PROTECTED_SCOPES, type Fixtures } from './fixtures.js';
import type { FuzzRequest } from './http-client.js';
import type { Application, Client } from './ledger.js';
import { encodeLoosely, hostileSegment, hostileString, type Rng } from './random.js';
import { abuseHeaders, contentType, JSON_TYPE, ODD_METHODS } from './request-kit.js';

type Schema = { [key: string]: unknown };
type Route = Fixtures['routes'][number];

const EXTRA_ROUTES: Route[] = [
  { method: 'GET', path: '/audit-log', schema: undefined },
  { method: 'GET', path: '/openapi.json', schema: undefined },
];

/** APIs the fuzzer created: free to change. */
const madeApis: string[] = [];

/** A value that satisfies `schema` most of the time, with names steering towards real fixtures. */
function example(rng: Rng, f: Fixtures, schema: Schema | undefined, name: string, components: Record<string, Schema>, depth = 0, fresh = false): Json {
  if (!schema || depth > 5) return null;
  const ref = schema['$ref'];
  // An import names whole records: its client ids are always new ones, so it never overwrites a fixture.
  if (typeof ref === 'string') return example(rng, f, components[ref.split('/').pop()!], name, components, depth + 1, fresh || ref.endsWith('/ExportDocument'));
  if ('const' in schema) return schema['const'] as Json;
  const enumValues = schema['enum'] as Json[] | undefined;
  if (enumValues?.length) return rng.pick(enumValues);
  switch (schema['type']) {
    case 'object': {
      const props = (schema['properties'] ?? {}) as Record<string, Schema>;
      const required = new Set((schema['required'] ?? []) as string[]);
      const out: { [key: string]: Json } = {};
      for (const [key, sub] of Object.entries(props)) {
        if (required.has(key) || rng.chance(0.5)) out[key] = example(rng, f, sub, key, components, depth + 1, fresh);
      }
      return out;
    }
    case 'array': {
      if (name === 'subscriptions') return rng.chance(0.8) ? [PLAYGROUND_API] : [PROTECTED_API, PLAYGROUND_API];
      if (name === 'scopes' && (schema['items'] as Schema | undefined)?.['type'] === 'string') {
        return rng.pick([[PLAYGROUND_SCOPES[0]!], PLAYGROUND_SCOPES, [PROTECTED_SCOPES[0]!], ['nope:x']]);
      }
      const n = Math.max(Number(schema['minItems'] ?? 0), rng.int(3));
      return Array.from({ length: n }, () => example(rng, f, schema['items'] as Schema, name, components, depth + 1, fresh));
    }
    case 'integer':
    case 'number':
      if (name === 'access_token_ttl') return rng.pick([7200, 3600, -1, 60]);
      return Math.max(Number(schema['minimum'] ?? 0), rng.pick([60, 600, 3600]));
    case 'boolean':
      return rng.chance(0.5);
    default: {
      if (name === 'identifier') return `https://made-${rng.int(1e9)}.fuzz.test/api`;
      if (name === 'client_id') return fresh ? `imported-${rng.int(1e9)}` : rng.pick(f.ledger.clients).id;
      if (name === 'name' && depth > 1) return `s${rng.int(1e9)}:x`;
      if (name === 'name') return `Fuzz ${rng.int(1e9)}`;
      if (schema['format'] === 'uri') return `https://made-${rng.int(1e9)}.fuzz.test/`;
      return `fuzz ${rng.int(1e6)}`;
    }
  }
}

interface Target {
  path: string;
  /** The request changes something the post-check must not be held to. */
  changes?: Client[];
  /** The request would change something protected: send it only without valid authority. */
  protectedChange?: boolean;
  app?: Application;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function fillPath(rng: Rng, f: Fixtures, route: Route, method: string): Target {
  const mutating = (MUTATING.has(route.method) || MUTATING.has(method)) && !(route.path.endsWith('/token') && method === 'POST');
  let protectedChange = false;
  let changes: Client[] | undefined;
  let app: Application | undefined;
  const path = route.path.replace(/\{(\w+)\}/g, (_m, param: string) => {
    if (rng.chance(0.08)) return hostileSegment(rng);
    if (route.path.startsWith('/apis') && param === 'id') {
      const id = rng.weighted<string>([[4, () => PLAYGROUND_API], [2, () => PROTECTED_API], [2, () => (madeApis.length ? rng.pick(madeApis) : PLAYGROUND_API)], [1, () => `${f.url}/api`]]);
      if (mutating && (id === PROTECTED_API || id === `${f.url}/api`)) protectedChange = true;
      return encodeURIComponent(id);
    }
    if (param === 'clientId') return encodeURIComponent(rng.pick(f.ledger.clients).id);
    if (route.path.startsWith('/clients') && param === 'id') {
      // Disabling, deleting or re-keying a client ends its tokens: protected ones only without authority.
      const client = rng.pick(f.ledger.clients);
      if (mutating && client.protected) protectedChange = true;
      if (mutating && !client.protected) changes = [client];
      return encodeURIComponent(client.id);
    }
    if (route.path.startsWith('/initial-access-tokens')) return f.ledger.iats.length ? rng.pick(f.ledger.iats).id : hostileSegment(rng);
    if (param === 'kid') {
      if (!rng.chance(0.5)) return hostileSegment(rng);
      // Real keys may have signed protected tokens: never deleted with authority.
      if (mutating) protectedChange = true;
      return encodeURIComponent(rng.pick(f.kids));
    }
    if (route.path.startsWith('/applications') && param === 'id') {
      app = rng.pick(f.ledger.applications);
      if (mutating && app.protected) protectedChange = true;
      if (mutating && !app.protected) changes = Object.values(app.keys).filter((c): c is Client => Boolean(c));
      return app.id;
    }
    if (param === 'keyType') return rng.weighted<string>([[8, () => rng.pick(['production', 'sandbox'])], [1, () => rng.pick(['PRODUCTION', 'Sandbox', 'both', '__proto__', 'constructor'])]]);
    return hostileSegment(rng);
  });
  return { path, changes, protectedChange, app };
}

type Auth = { headers: [string, string][]; admin: boolean };

function authHeaders(rng: Rng, f: Fixtures, allowAdmin: boolean): Auth {
  const adminToken = rng.pick(f.adminTokens);
  return rng.weighted<Auth>([
    [allowAdmin ? 12 : 0, () => ({ headers: [['authorization', `Bearer ${adminToken}`]], admin: true })],
    [1, () => ({ headers: [], admin: false })],
    // Someone's token, not admin: the pool may hold the admin client's own /token answers.
    [2, () => ({ headers: [['authorization', `Bearer ${rng.pick(f.ledger.tokenPool.filter((t) => t.owner.id !== f.admin.id))?.token ?? 'x'}`]], admin: false })],
    [1, () => ({ headers: [['authorization', `Bearer ${f.dcrToken}`]], admin: false })],
    [1, () => ({ headers: [['authorization', rng.pick([`Bearer ${adminToken.slice(0, -2)}`, `Basic ${adminToken}`, 'Bearer', `Bearer ${hostileString(rng).slice(0, 300)}`])]], admin: false })],
    // The scheme is case-insensitive (RFC 7235) and servers may forgive extra spaces: authority.
    [allowAdmin ? 0.5 : 0, () => ({ headers: [['authorization', rng.pick([`Bearer  ${adminToken}`, `bearer ${adminToken}`, `BEARER ${adminToken}`])]], admin: true })],
    // Node keeps the first of repeated Authorization headers: this one carries authority.
    [allowAdmin ? 0.5 : 0, () => ({ headers: [['authorization', `Bearer ${adminToken}`], ['authorization', 'Bearer x']], admin: true })],
    [0.5, () => ({ headers: [['authorization', 'Bearer x'], ['authorization', `Bearer ${adminToken}`]], admin: false })],
  ]);
}

/** Expensive or state-growing admin actions are capped; past the cap they go without authority. */
function budgetFor(route: Route): Parameters<Fixtures['ledger']['spend']>[0] | undefined {
  if (route.method !== 'POST') return undefined;
  if (route.path === '/keys/rotate') return 'rotate';
  if (route.path === '/apis') return 'createApi';
  if (route.path === '/applications') return 'createApplication';
  if (route.path === '/import') return 'import';
  if (route.path === '/initial-access-tokens') return 'createIat';
  return undefined;
}

export function managementRequest(rng: Rng, f: Fixtures): FuzzRequest {
  const components = f.components as Record<string, Schema>;
  const route = rng.pick([...f.routes, ...EXTRA_ROUTES]);
  // Node sends methods upper-cased; an odd method may be a changing one (GET route, DELETE sent).
  const method = (rng.chance(0.03) ? rng.pick(ODD_METHODS) : route.method).toUpperCase();
  const target = fillPath(rng, f, route, method);
  const budget = budgetFor(route);
  const allowAdmin = !target.protectedChange && (!budget || f.ledger.spend(budget));
  const auth = authHeaders(rng, f, allowAdmin);
  if (auth.admin) for (const c of target.changes ?? []) f.ledger.mayChange(c.id);

  let path = `/api${target.path}`;
  if (route.path === '/audit-log' || route.method === 'GET') {
    if (rng.chance(0.4)) {
      const params = ['limit', 'before', 'actor', 'action', 'target', 'since', '__proto__', 'limit'];
      path += `?${Array.from({ length: 1 + rng.int(3) }, () => `${rng.pick(params)}=${rng.chance(0.5) ? rng.pick(['10', '0', '-1', '1e9', '99999999999999999999', 'abc', '']) : encodeLoosely(hostileString(rng).slice(0, 200))}`).join('&')}`;
    }
  }
  const req: FuzzRequest = {
    group: 'management',
    method,
    path,
    headers: abuseHeaders(rng, auth.headers),
  };
  if (route.schema || (MUTATING.has(req.method) && rng.chance(0.3))) {
    let template = example(rng, f, route.schema as Schema | undefined, '', components, 0, route.path === '/import') as { [key: string]: Json } | null;
    const keyType = /\/keys\/(production|sandbox)\/token$/.exec(path)?.[1] as 'production' | 'sandbox' | undefined;
    const owner = keyType ? target.app?.keys[keyType] : undefined;
    if (owner) {
      // Usually the key set's own secret; sometimes the other key set's, which must not work.
      const other = Object.values(target.app!.keys).find((x) => x && x !== owner);
      template = { client_secret: (rng.chance(0.85) || !other ? owner : other).secret, scopes: [owner.scope.split(' ')[0]!] };
      req.onAnswer = (a) => {
        if (a.status !== 200) return;
        try {
          const json = JSON.parse(a.body.toString('utf8')) as { tokens?: { access_token?: unknown; scope?: unknown }[] };
          for (const t of json.tokens ?? []) {
            if (typeof t.access_token === 'string') f.ledger.recordToken({ token: t.access_token, owner, scope: String(t.scope ?? ''), via: 'POST /api/applications/{id}/keys/{type}/token' });
          }
        } catch {
          // not JSON
        }
      };
    }
    req.headers.push(...contentType(rng, JSON_TYPE, 0.12));
    req.body = jsonBody(rng, template ?? undefined, 0.45);
  }
  if (auth.admin && req.method === 'POST') {
    const learn = req.onAnswer;
    req.onAnswer = (a) => {
      learn?.(a);
      if (a.status !== 201) return;
      try {
        const json = JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;
        if (route.path === '/apis' && typeof json['identifier'] === 'string') madeApis.push(json['identifier']);
        if (route.path === '/initial-access-tokens' && typeof json['id'] === 'string' && typeof json['initial_access_token'] === 'string') {
          f.ledger.iats.push({ id: json['id'], token: json['initial_access_token'] });
        }
        if (route.path === '/applications' && typeof json['id'] === 'string') f.ledger.applications.push({ id: json['id'], protected: false, keys: {} });
      } catch {
        // not JSON
      }
    };
  }
  return req;
}
