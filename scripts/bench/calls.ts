// The request shapes of the workloads, identical for every server: only the
// origin, the path and how the caller authenticates differ.

import type { HttpCall } from './load.js';
import { FORM, TOKEN_BODY, pick, type Credentials } from './setup-http.js';

/** client_credentials with client_secret_basic, a random client per request. */
export function issueCall(origin: string, path: string, clients: readonly Credentials[]): HttpCall {
  if (clients.length === 0) throw new Error('issueCall: no clients');
  return {
    origin,
    path,
    headers: { 'content-type': FORM, accept: 'application/json' },
    vary: () => {
      const client = pick(clients);
      return { authorization: client.basic, forwardedFor: client.address, body: TOKEN_BODY };
    },
    marker: '"access_token"',
  };
}

/**
 * RFC 7662 introspection of a random token of the pool. `caller` is the
 * resource server's basic auth (ours); Hydra's admin endpoint takes none.
 */
export function introspectCall(origin: string, path: string, caller: Credentials | undefined, tokens: readonly string[]): HttpCall {
  if (tokens.length === 0) throw new Error('introspectCall: no tokens');
  const bodies = tokens.map((t) => `token=${encodeURIComponent(t)}`);
  const authorization = caller?.basic;
  return {
    origin,
    path,
    headers: { 'content-type': FORM, accept: 'application/json' },
    vary: () => (authorization ? { authorization, body: pick(bodies) } : { body: pick(bodies) }),
    marker: '"active":true',
  };
}

/** Introspection by the client the token was issued to: `pairs[i]` is a token and the basic auth of its own client. */
export function introspectOwnCall(origin: string, path: string, pairs: readonly { caller: Credentials; token: string }[]): HttpCall {
  if (pairs.length === 0) throw new Error('introspectOwnCall: no tokens');
  const prepared = pairs.map((p) => ({ authorization: p.caller.basic, forwardedFor: p.caller.address, body: `token=${encodeURIComponent(p.token)}` }));
  return {
    origin,
    path,
    headers: { 'content-type': FORM, accept: 'application/json' },
    vary: () => pick(prepared),
    marker: '"active":true',
  };
}
