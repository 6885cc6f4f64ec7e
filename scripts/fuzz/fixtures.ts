// Real fixtures, made through the server's own API before the flood: an admin token, a
// protected API (never changed by the fuzzer) and a playground API (changed freely), DCR
// clients of both token formats and both secret methods, applications with key sets, portal
// sessions signed in through the form with its CSRF token, and first tokens.

import { encodeLoosely } from './random.js';
import { Ledger, type Application, type Client } from './ledger.js';
import { PortalSession, signIn } from './portal-session.js';
import type { ServerUnderTest } from './server.js';

export const PROTECTED_API = 'https://protected.fuzz.test/api';
export const PLAYGROUND_API = 'https://playground.fuzz.test/api';
export const PROTECTED_SCOPES = ['p:read', 'p:write'];
export const PLAYGROUND_SCOPES = ['g:read', 'g:write'];
/** Sessions that a valid sign-out may end; the main session is never signed out. */
const SPARE_SESSIONS = 8;

export interface Fixtures {
  url: string;
  ledger: Ledger;
  admin: Client;
  /** Bearer tokens with scope admin for the management API; never revoked by the fuzzer. */
  adminTokens: string[];
  dcrToken: string;
  /** A client linked to the protected API as its resource server. */
  resourceServer: Client;
  session: PortalSession;
  spareSessions: PortalSession[];
  /** The sign-in form's cookie-bound CSRF token (a cookie value, reusable). */
  signInCsrf: string;
  portalUser: string;
  portalPassword: string;
  /** From /api/openapi.json: method and path template of every management route. */
  routes: { method: string; path: string; schema: unknown }[];
  /** The document's components.schemas, for $ref in request schemas. */
  components: Record<string, Record<string, unknown>>;
  kids: string[];
}

type JsonObject = Record<string, unknown>;

export const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeLoosely(id)}:${encodeLoosely(secret)}`).toString('base64')}`;

async function call(url: string, init: { method?: string; auth?: string; json?: unknown; form?: Record<string, string> }, expect: number): Promise<JsonObject> {
  const headers: Record<string, string> = {};
  if (init.auth) headers['authorization'] = init.auth;
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const method = init.method ?? (body === undefined ? 'GET' : 'POST');
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`setup: ${method} ${url} answered ${res.status}, expected ${expect}: ${text.slice(0, 400)}`);
  return text ? (JSON.parse(text) as JsonObject) : {};
}

export async function issue(url: string, c: Client, scope: string): Promise<string> {
  const form: Record<string, string> = { grant_type: 'client_credentials', scope };
  if (c.auth === 'post') Object.assign(form, { client_id: c.id, client_secret: c.secret });
  const body = await call(`${url}/token`, { auth: c.auth === 'basic' ? basicAuth(c.id, c.secret) : undefined, form }, 200);
  return String(body['access_token']);
}

export async function setUpFixtures(srv: ServerUnderTest): Promise<Fixtures> {
  const { url } = srv;
  const ledger = new Ledger(PROTECTED_SCOPES);
  const admin: Client = { id: 'admin', secret: srv.adminSecret, auth: 'basic', protected: true, scope: 'admin' };
  const adminTokens: string[] = [];
  for (let i = 0; i < 3; i++) {
    const body = await call(`${url}/token`, {
      auth: basicAuth('admin', srv.adminSecret),
      form: { grant_type: 'client_credentials', scope: 'admin', resource: `${url}/api` },
    }, 200);
    adminTokens.push(String(body['access_token']));
  }
  const bearer = `Bearer ${adminTokens[0]!}`;

  await call(`${url}/api/apis`, { auth: bearer, json: { identifier: PROTECTED_API, name: 'Protected', scopes: PROTECTED_SCOPES.map((name) => ({ name })) } }, 201);
  await call(`${url}/api/apis`, { auth: bearer, json: { identifier: PLAYGROUND_API, name: 'Playground', signing_alg: 'ES256', scopes: PLAYGROUND_SCOPES.map((name) => ({ name })) } }, 201);

  const register = async (metadata: JsonObject, isProtected: boolean): Promise<Client> => {
    const body = await call(`${url}/reg`, { auth: `Bearer ${srv.dcrToken}`, json: { grant_types: ['client_credentials'], ...metadata } }, 201);
    const client: Client = {
      id: String(body['client_id']),
      secret: String(body['client_secret']),
      auth: metadata['token_endpoint_auth_method'] === 'client_secret_post' ? 'post' : 'basic',
      protected: isProtected,
      rat: String(body['registration_access_token']),
      scope: String(metadata['scope'] ?? ''),
    };
    ledger.addClient(client);
    return client;
  };
  for (const isProtected of [true, false]) {
    for (const strategy of ['opaque', 'jwt']) {
      for (const method of ['client_secret_basic', 'client_secret_post']) {
        for (let i = 0; i < (isProtected ? 1 : 3); i++) {
          await register({
            client_name: `${isProtected ? 'protected' : 'mutable'} ${strategy} ${method} ${i}`,
            scope: isProtected ? PROTECTED_SCOPES.join(' ') : [...PROTECTED_SCOPES, ...PLAYGROUND_SCOPES].join(' '),
            access_token_strategy: strategy,
            token_endpoint_auth_method: method,
            access_token_ttl: 7200,
          }, isProtected);
        }
      }
    }
  }
  const resourceServer = await register({ client_name: 'protected resource server' }, true);
  await call(`${url}/api/apis/${encodeURIComponent(PROTECTED_API)}/resource-servers`, { auth: bearer, json: { client_id: resourceServer.id } }, 200);

  for (const [isProtected, tokenType] of [[true, 'JWT'], [true, 'OAuth'], [false, 'JWT'], [false, 'OAuth']] as const) {
    const app = await call(`${url}/api/applications`, {
      auth: bearer,
      json: {
        name: `${isProtected ? 'Protected' : 'Mutable'} ${tokenType}`,
        token_type: tokenType,
        access_token_ttl: 7200,
        subscriptions: isProtected ? [PROTECTED_API] : [PROTECTED_API, PLAYGROUND_API],
      },
    }, 201);
    const record: Application = { id: String(app['id']), protected: isProtected, keys: {} };
    for (const type of ['production', 'sandbox'] as const) {
      const scopes = isProtected ? PROTECTED_SCOPES : [PROTECTED_SCOPES[0]!, PLAYGROUND_SCOPES[0]!];
      const issued = await call(`${url}/api/applications/${record.id}/keys/${type}`, { auth: bearer, json: { scopes } }, 201);
      const client: Client = {
        id: String(issued['consumer_key']),
        secret: String(issued['consumer_secret']),
        auth: 'basic',
        protected: isProtected,
        scope: scopes.join(' '),
      };
      record.keys[type] = client;
      ledger.addClient(client);
      for (const t of (issued['tokens'] as JsonObject[] | undefined) ?? []) {
        ledger.recordToken({ token: String(t['access_token']), owner: client, scope: String(t['scope']), via: 'setup: key generation' });
      }
    }
    ledger.applications.push(record);
  }

  for (const c of ledger.clients) {
    if (!c.scope) continue;
    const scope = c.scope.split(' ')[0]!;
    ledger.recordToken({ token: await issue(url, c, scope), owner: c, scope, via: 'setup: /token' });
  }

  const session = await signIn(url, srv.portalUser, srv.portalPassword);
  const spareSessions: PortalSession[] = [];
  for (let i = 0; i < SPARE_SESSIONS; i++) spareSessions.push(await signIn(url, srv.portalUser, srv.portalPassword));
  const signInCsrf = (await PortalSession.signInForm(url)).csrf;

  const doc = await call(`${url}/api/openapi.json`, {}, 200);
  const routes: Fixtures['routes'] = [];
  for (const [path, ops] of Object.entries(doc['paths'] as Record<string, Record<string, JsonObject>>)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const content = (op['requestBody'] as JsonObject | undefined)?.['content'] as Record<string, JsonObject> | undefined;
      routes.push({ method: method.toUpperCase(), path, schema: content?.['application/json']?.['schema'] });
    }
  }
  const keys = await call(`${url}/api/keys`, { auth: bearer }, 200);
  const kids = ((keys['keys'] as JsonObject[] | undefined) ?? []).map((k) => String(k['kid']));

  return {
    url, ledger, admin, adminTokens, dcrToken: srv.dcrToken, resourceServer, session, spareSessions, signInCsrf,
    portalUser: srv.portalUser, portalPassword: srv.portalPassword, routes, kids,
    components: ((doc['components'] as JsonObject | undefined)?.['schemas'] ?? {}) as Fixtures['components'],
  };
}
