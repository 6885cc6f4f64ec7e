import type { Context } from 'koa';

import type { ApiRegistry } from '../apis/index.js';
import { HttpError } from '../http/index.js';
import { boundKeyOf } from '../provider/dpop.js';
import type { AuthClient } from './client-auth.js';
import type { ActiveToken } from './inspect-token.js';
import { readTokenRequest, type TokenRequestDeps } from './token-request.js';

export interface IntrospectionDeps extends TokenRequestDeps {
  registry: ApiRegistry;
  adminClientId: string;
  onResult?(active: boolean): void;
}

/**
 * Who may learn about a token: the client it was issued to, a resource server linked to
 * one of its audiences, the admin. A resource server of another API is told `active: false`
 * (RFC 7662 §2.2), the same answer as for an unknown token, so it learns nothing.
 */
export function mayIntrospect(caller: AuthClient, token: ActiveToken, d: IntrospectionDeps): boolean {
  if (caller.clientId === token.record.client_id || caller.clientId === d.adminClientId) return true;
  return token.audiences.some((aud) => d.registry.get(aud)?.resource_server_clients.includes(caller.clientId));
}

export function introspectionResponse(token: ActiveToken, issuer: string): Record<string, unknown> {
  const r = token.record;
  const jkt = boundKeyOf(r);
  return {
    active: true,
    scope: r.scope,
    client_id: r.client_id,
    // RFC 9449 §6.2: a bound token says so, and names its key.
    token_type: jkt ? 'DPoP' : 'Bearer',
    ...(jkt ? { cnf: { jkt } } : {}),
    exp: r.exp,
    iat: r.iat,
    sub: r.client_id,
    aud: r.aud,
    iss: issuer,
    jti: token.jti,
    key_type: r.key_type,
  };
}

function isResourceServerOfAnyApi(clientId: string, d: IntrospectionDeps): boolean {
  return d.registry.list().some((api) => api.resource_server_clients.includes(clientId));
}

/**
 * A client linked to no API may introspect only its own tokens. For any other token (someone
 * else's, or one that was never issued) it gets this error rather than `active: false`, so a
 * misconfigured resource server learns why its introspections fail. Someone else's token and
 * an unknown one get the same error, so it is no existence oracle.
 */
const notAResourceServer = (clientId: string) => new HttpError(403, 'unauthorized_client',
  `client ${clientId} is not a resource server of any API, so it may introspect only its own tokens; `
  + 'link it to the API whose tokens it checks (keyforge apis link-client <api> <client_id>)');

/** RFC 7662 for both token formats. */
export function introspectionEndpoint(d: IntrospectionDeps) {
  return async function introspect(ctx: Context): Promise<void> {
    const { caller, value, token } = await readTokenRequest(ctx, d);
    const visible = token && mayIntrospect(caller, token, d) ? token : undefined;
    // An active token the caller may not see is someone else's; an inactive one may be its own.
    if (!visible && caller.clientId !== d.adminClientId && !isResourceServerOfAnyApi(caller.clientId, d)
      && (token || await d.inspector.issuedTo(value) !== caller.clientId)) {
      d.onResult?.(false);
      throw notAResourceServer(caller.clientId);
    }
    d.onResult?.(!!visible);
    ctx.body = visible ? introspectionResponse(visible, d.issuer) : { active: false };
  };
}
