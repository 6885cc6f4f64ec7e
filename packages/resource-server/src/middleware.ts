import { createHash } from 'node:crypto';

import type { Middleware, ParameterizedContext } from 'koa';

import { AuthorizationServerUnavailable, BearerError, bearerChallenge } from './errors.js';
import type { DpopRequest } from './dpop.js';
import type { ResourceServerOptions } from './options.js';
import { ResourceServer, type VerifiedToken } from './resource-server.js';

/** The Koa state of a request that passed: `ctx.state.token`. */
export interface TokenState {
  token: VerifiedToken;
}

const UNAVAILABLE_RETRY_SECONDS = '5';

function refuse(ctx: ParameterizedContext, rs: ResourceServer, err: BearerError): void {
  ctx.status = err.status;
  ctx.set('WWW-Authenticate', bearerChallenge(rs.settings.realm, err, rs.settings.dpopAlgorithms));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = err.code
    ? { error: err.code, error_description: err.message, ...(err.scope ? { scope: err.scope.join(' ') } : {}) }
    // RFC 6750 §3.1: no error code when the request carried no bearer credentials.
    : { error_description: err.message };
}

/** Koa middleware letting through only requests whose bearer token carries every scope in `scopes`. */
export function bearerMiddleware(rs: ResourceServer, scopes: readonly string[]): Middleware<TokenState> {
  const needed = [...scopes];
  return async function requireBearerToken(ctx, next) {
    let token: VerifiedToken;
    try {
      token = await rs.authenticate(ctx.get('authorization') || undefined, needed, {
        method: ctx.method,
        url: `${ctx.protocol}://${ctx.host}${ctx.originalUrl}`,
        proof: ctx.req.headers['dpop'],
      });
    } catch (err) {
      if (err instanceof BearerError) return refuse(ctx, rs, err);
      if (err instanceof AuthorizationServerUnavailable) {
        ctx.status = 503;
        ctx.set('Retry-After', UNAVAILABLE_RETRY_SECONDS);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'temporarily_unavailable', error_description: 'the access token cannot be checked right now' };
        return;
      }
      throw err;
    }
    ctx.state.token = token;
    await next();
  };
}

export interface ResourceServerHandle {
  readonly server: ResourceServer;
  /** Middleware for a route needing all of `scopes` (none: any valid token for this API). */
  require(...scopes: string[]): Middleware<TokenState>;
  /**
   * The verified token for an Authorization header, for non-Koa callers; for DPoP-bound tokens
   * also the request's method, URL and DPoP header.
   */
  authenticate(authorization: string | undefined, scopes?: readonly string[], request?: DpopRequest): Promise<VerifiedToken>;
}

export function createResourceServer(options: ResourceServerOptions): ResourceServerHandle {
  const server = new ResourceServer(options);
  return {
    server,
    require: (...scopes) => bearerMiddleware(server, scopes),
    authenticate: (authorization, scopes = [], request) => server.authenticate(authorization, scopes, request),
  };
}

// requireToken({ ...base, scopes }) on many routes should share one set of caches (one JWKS, one
// revocation list) rather than build one per route: instances are kept per distinct configuration.
const shared = new Map<string, ResourceServer>();

function configurationKey(o: ResourceServerOptions): string {
  const { scopes: _scopes, fetch: f, onUnavailable: cb, logger: lg, clientSecret, ...plain } = o as ResourceServerOptions & { scopes?: unknown };
  const secret = createHash('sha256').update(String(clientSecret)).digest('base64url');
  return JSON.stringify({ ...plain, secret, f: f ? identity(f) : 0, cb: cb ? identity(cb) : 0, lg: lg ? identity(lg) : lg });
}

const ids = new WeakMap<object, number>();
let nextId = 1;
function identity(fn: object): number {
  let id = ids.get(fn);
  if (id === undefined) {
    id = nextId++;
    ids.set(fn, id);
  }
  return id;
}

export interface RequireTokenOptions extends ResourceServerOptions {
  /** Every scope the route needs. */
  scopes?: string[];
}

/** `router.get('/orders', requireToken({ ...base, scopes: ['orders:read'] }), handler)` */
export function requireToken(options: RequireTokenOptions): Middleware<TokenState> {
  const key = configurationKey(options);
  let server = shared.get(key);
  if (!server) {
    server = new ResourceServer(options);
    shared.set(key, server);
  }
  return bearerMiddleware(server, options.scopes ?? []);
}
