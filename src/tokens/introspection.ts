import type { Context } from 'koa';

import type { ApiRegistry } from '../apis/index.js';
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
 * one of its audiences, the admin. Anyone else is told `active: false` (RFC 7662 §4).
 */
export function mayIntrospect(caller: AuthClient, token: ActiveToken, d: IntrospectionDeps): boolean {
  if (caller.clientId === token.record.client_id || caller.clientId === d.adminClientId) return true;
  return token.audiences.some((aud) => d.registry.get(aud)?.resource_server_clients.includes(caller.clientId));
}

export function introspectionResponse(token: ActiveToken, issuer: string): Record<string, unknown> {
  const r = token.record;
  return {
    active: true,
    scope: r.scope,
    client_id: r.client_id,
    token_type: 'Bearer',
    exp: r.exp,
    iat: r.iat,
    sub: r.client_id,
    aud: r.aud,
    iss: issuer,
    jti: token.jti,
    key_type: r.key_type,
  };
}

/** RFC 7662 for both token formats. */
export function introspectionEndpoint(d: IntrospectionDeps) {
  return async function introspect(ctx: Context): Promise<void> {
    const { caller, token } = await readTokenRequest(ctx, d);
    const visible = token && mayIntrospect(caller, token, d) ? token : undefined;
    d.onResult?.(!!visible);
    ctx.body = visible ? introspectionResponse(visible, d.issuer) : { active: false };
  };
}
