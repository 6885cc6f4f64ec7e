import type { Context, Next } from 'koa';

import type { ApiRegistry } from '../apis/index.js';
import {
  AUTH_METHODS, CLIENT_ASSERTION_ALGS, INTROSPECTION_PATH, NEVER_EXPIRING_TTL, OIDC_DISCOVERY_PATH, REVOCATION_PATH, RFC8414_PATH,
} from '../consts/index.js';
import { readJson } from '../http/index.js';
import { SecretHasher } from '../store/index.js';
import { RETRY_AFTER_SECONDS } from '../ops/index.js';
import { setParsedBody } from './internals.js';

// Discovery depends on nothing in the request (URLs come from ISSUER), so shared caches may
// keep it; briefly, because scopes_supported follows API changes.
const DISCOVERY_CACHE_CONTROL = 'public, max-age=300';

// What an interactive OpenID Provider advertises and this server does not do.
const NOT_OFFERED = [
  'authorization_endpoint', 'userinfo_endpoint', 'end_session_endpoint',
  'claims_parameter_supported', 'claims_supported', 'request_parameter_supported',
  'request_uri_parameter_supported', 'require_request_uri_registration',
  'response_modes_supported', 'code_challenge_methods_supported',
  'authorization_response_iss_parameter_supported', 'userinfo_signing_alg_values_supported',
];

/** Client metadata an RFC 7591/7592 answer carries, beside the registration fields. */
const REGISTRATION_RESPONSE = new Set([
  'client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at',
  'registration_access_token', 'registration_client_uri',
  'client_name', 'contacts', 'grant_types', 'token_endpoint_auth_method', 'token_endpoint_auth_signing_alg',
  'jwks', 'scope', 'access_token_strategy', 'access_token_ttl', 'dpop_bound_access_tokens',
]);

/** The client id of /reg/{id}; broken percent-encoding is the caller's error, not ours. */
function registrationClientId(path: string): string | undefined {
  try {
    return decodeURIComponent(path.slice('/reg/'.length));
  } catch {
    return undefined;
  }
}

type Body = Record<string, unknown>;

/**
 * The middleware oidc-provider runs around its own routes (provider.use), one concern each,
 * as oidc-provider composes its actions. build-provider decides their order.
 */

/** A request that failed because the database is unreachable answers 503 with Retry-After. */
export function databaseUnavailableAs503() {
  return async function databaseUnavailableAs503(ctx: Context, next: Next): Promise<void> {
    await next();
    if (ctx.status === 500 && ctx.state['databaseUnavailable']) {
      ctx.status = 503;
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      ctx.body = { error: 'temporarily_unavailable', error_description: 'the token database is unreachable; retry shortly' };
    }
  };
}

/**
 * One discovery document at both well-known paths (RFC 8414), advertising our introspection
 * and revocation endpoints and nothing this server does not do.
 */
export function discoveryDocument(o: { issuer: string; registry: Pick<ApiRegistry, 'snapshot'> }) {
  return async function discoveryDocument(ctx: Context, next: Next): Promise<void> {
    const isRfc8414 = ctx.path === RFC8414_PATH;
    if (isRfc8414) ctx.path = OIDC_DISCOVERY_PATH;
    await next();
    if (ctx.path !== OIDC_DISCOVERY_PATH || ctx.status !== 200 || !ctx.body) return;
    const body = ctx.body as Body;
    for (const key of NOT_OFFERED) delete body[key];
    Object.assign(body, {
      introspection_endpoint: o.issuer + INTROSPECTION_PATH,
      introspection_endpoint_auth_methods_supported: [...AUTH_METHODS],
      introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
      revocation_endpoint: o.issuer + REVOCATION_PATH,
      revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
      revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
      grant_types_supported: ['client_credentials'],
      response_types_supported: body['response_types_supported'] ?? ['none'],
      scopes_supported: [...o.registry.snapshot.scopeOwner.keys()].sort(),
      token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    });
    ctx.set('Cache-Control', DISCOVERY_CACHE_CONTROL);
    if (isRfc8414) ctx.path = RFC8414_PATH;
  };
}

/** A never-expiring opaque token has no expiry to announce (RFC 6749 §5.1: optional). */
export function expiryOnlyWhenItExpires() {
  return async function expiryOnlyWhenItExpires(ctx: Context, next: Next): Promise<void> {
    await next();
    if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body) return;
    const body = ctx.body as Body;
    const token = body['access_token'];
    if (typeof token === 'string' && !token.includes('.')
      && typeof body['expires_in'] === 'number' && body['expires_in'] >= NEVER_EXPIRING_TTL) {
      delete body['expires_in'];
    }
  };
}

/**
 * RFC 7591/7592 answers carry only what applies to client credentials (no browser-flow
 * defaults), and a stored secret, being a hash, is never echoed.
 */
export function registrationResponseFields() {
  return async function registrationResponseFields(ctx: Context, next: Next): Promise<void> {
    await next();
    if (!ctx.path.startsWith('/reg') || ctx.status >= 300 || !ctx.body || typeof ctx.body !== 'object') return;
    const body = ctx.body as Body;
    for (const key of Object.keys(body)) {
      if (!REGISTRATION_RESPONSE.has(key)) delete body[key];
    }
    // Only a freshly generated secret is plaintext; a stored one is a hash and stays private.
    if (typeof body['client_secret'] === 'string' && SecretHasher.isHashed(body['client_secret'])) {
      delete body['client_secret'];
    }
  };
}

interface GuardOptions {
  hasher: Pick<SecretHasher, 'verify'>;
  findClient(id: string): Promise<{ clientSecret?: string } | undefined>;
  /** A disabled client's registration access token must not be spent on a refusal. */
  isDisabled(id: string): Promise<boolean>;
}

/**
 * Before oidc-provider handles /reg/{id}: a broken client id is the caller's error, a
 * disabled client is refused, and an update's repeated client_secret is checked.
 */
export function registrationGuards(o: GuardOptions) {
  return async function registrationGuards(ctx: Context, next: Next): Promise<void> {
    if (ctx.path.startsWith('/reg/')) {
      const clientId = registrationClientId(ctx.path);
      if (clientId === undefined) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'the client id in the path is not valid percent-encoding' };
        return;
      }
      if (await o.isDisabled(clientId)) {
        ctx.status = 403;
        ctx.body = { error: 'invalid_client', error_description: 'this client is disabled' };
        return;
      }
      if (ctx.method === 'PUT') await checkUpdateSecret(ctx, o, clientId);
    }
    await next();
  };
}

/**
 * RFC 7592 §2.2: an update may repeat client_secret, which must match. oidc-provider compares
 * it with the stored value, a hash here, so the check happens here and the hash is passed on.
 */
async function checkUpdateSecret(ctx: Context, o: GuardOptions, clientId: string): Promise<void> {
  if (!ctx.is('application/json')) return;
  const body = await readJson(ctx);
  setParsedBody(ctx, body);
  if (!body || typeof body !== 'object' || !('client_secret' in body)) return;
  const client = await o.findClient(clientId);
  const presented = (body as Body)['client_secret'];
  if (client?.clientSecret && typeof presented === 'string' && o.hasher.verify(presented, client.clientSecret)) {
    (body as Body)['client_secret'] = client.clientSecret;
  }
}
