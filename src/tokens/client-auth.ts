import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Context } from 'koa';

import { badRequest, HttpError } from '../http/index.js';
import { CLIENT_ASSERTION_ALGS } from '../consts/index.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The parts of an oidc-provider Client this module reads. */
export interface AuthClient {
  clientId: string;
  tokenEndpointAuthMethod?: string;
  tokenEndpointAuthSigningAlg?: string;
  jwks?: JSONWebKeySet;
  compareClientSecret(secret: string): boolean | Promise<boolean>;
  [key: string]: unknown;
}

export interface ClientAuthDeps {
  issuer: string;
  findClient(id: string): Promise<AuthClient | undefined>;
  /** Records an assertion's jti; false when it was seen before (RFC 7523 §3 replay). */
  markAssertionUsed(clientId: string, jti: string, exp: number): Promise<boolean>;
  /** Told of each client that proved who it is, before it is served; may throw (rate limits). */
  onAuthenticated?(clientId: string): void;
}

function invalidClient(description: string, basic: boolean): HttpError {
  return new HttpError(401, 'invalid_client', description, basic ? { 'WWW-Authenticate': 'Basic realm="token"' } : {});
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined for Basic. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

const malformedBasic = () => badRequest('invalid authorization header value format');

function parseBasic(header: string): { id: string; secret: string } {
  const encoded = header.slice(6).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw malformedBasic();
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) throw malformedBasic();
  try {
    return { id: formDecode(decoded.slice(0, i)), secret: formDecode(decoded.slice(i + 1)) };
  } catch {
    throw malformedBasic();
  }
}

/**
 * Client authentication for our introspection and revocation endpoints, with the methods
 * and rules the token endpoint applies (exactly one method, the one the client registered).
 */
export async function authenticateClient(
  ctx: Context,
  params: Map<string, string>,
  deps: ClientAuthDeps,
  endpointUrl: string,
): Promise<AuthClient> {
  const client = await identifyClient(ctx, params, deps, endpointUrl);
  deps.onAuthenticated?.(client.clientId);
  return client;
}

async function identifyClient(
  ctx: Context,
  params: Map<string, string>,
  deps: ClientAuthDeps,
  endpointUrl: string,
): Promise<AuthClient> {
  const header = ctx.get('authorization');
  const basic = /^basic /i.test(header);
  const assertion = params.get('client_assertion');
  const postSecret = params.get('client_secret');

  const used = [basic, postSecret !== undefined, assertion !== undefined].filter(Boolean).length;
  if (used > 1) {
    throw badRequest('client authentication must only be provided using one mechanism');
  }
  if (used === 0) throw invalidClient('no client authentication mechanism provided', false);

  if (assertion !== undefined) {
    if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION) {
      throw badRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    }
    return authenticateByAssertion(assertion, params.get('client_id'), deps, endpointUrl);
  }

  const { id, secret } = basic
    ? parseBasic(header)
    : { id: params.get('client_id') ?? '', secret: postSecret ?? '' };
  if (!basic && params.get('client_id') === undefined) {
    throw badRequest('client_id is required with client_secret');
  }
  if (basic && params.has('client_id') && params.get('client_id') !== id) {
    throw badRequest('client_id does not match the Basic credentials');
  }
  const client = id ? await deps.findClient(id) : undefined;
  // One answer for "no such client" and "wrong secret": no client enumeration.
  if (!client || !(await client.compareClientSecret(secret))) {
    throw invalidClient('client authentication failed', basic);
  }
  // As at oidc-provider's token endpoint: the two secret methods are interchangeable,
  // a key-based client can never authenticate with a secret.
  if (client.tokenEndpointAuthMethod === 'private_key_jwt') {
    throw invalidClient('the client is registered for private_key_jwt', basic);
  }
  return client;
}

async function authenticateByAssertion(
  assertion: string,
  clientIdParam: string | undefined,
  deps: ClientAuthDeps,
  endpointUrl: string,
): Promise<AuthClient> {
  let iss: string | undefined;
  try {
    const [, payload] = assertion.split('.');
    iss = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss as string;
  } catch {
    throw invalidClient('client_assertion is not a JWT', false);
  }
  if (typeof iss !== 'string' || (clientIdParam !== undefined && clientIdParam !== iss)) {
    throw invalidClient('client_assertion issuer must be the client_id', false);
  }
  const client = await deps.findClient(iss);
  if (!client || client.tokenEndpointAuthMethod !== 'private_key_jwt' || !client.jwks) {
    throw invalidClient('client authentication failed', false);
  }
  try {
    const algs = client.tokenEndpointAuthSigningAlg
      ? [client.tokenEndpointAuthSigningAlg]
      : [...CLIENT_ASSERTION_ALGS];
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      issuer: iss,
      subject: iss,
      audience: [deps.issuer, `${deps.issuer}/token`, endpointUrl],
      algorithms: algs,
      requiredClaims: ['exp', 'jti'],
    });
    if (!(await deps.markAssertionUsed(iss, String(payload.jti), Number(payload.exp)))) {
      throw new Error('replayed');
    }
  } catch {
    throw invalidClient('client assertion verification failed', false);
  }
  return client;
}
