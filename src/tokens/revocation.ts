import type { Context } from 'koa';

import { badRequest, readForm } from '../http/index.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import type { ActiveToken, TokenInspector } from './inspect-token.js';
import type { TokenStore } from './token-store.js';

export interface RevocationDeps extends ClientAuthDeps {
  inspector: TokenInspector;
  tokens: TokenStore;
  adminClientId: string;
  endpointUrl: string;
  onRevoke?(callerId: string, token: ActiveToken, ctx: Context): void;
}

/**
 * RFC 7009 for both token formats. A JWT is revoked through its stored record, so every
 * introspection after this answers `active: false`. Unknown, foreign or already dead tokens
 * get the same 200 (§2.2), so the endpoint reveals nothing.
 */
export function revocationEndpoint(d: RevocationDeps) {
  return async function revoke(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    const params = await readForm(ctx);
    const caller = await authenticateClient(ctx, params, d, d.endpointUrl);
    const value = params.get('token');
    if (!value) throw badRequest('token is required');

    const token = await d.inspector.inspect(value);
    if (token && (token.record.client_id === caller.clientId || caller.clientId === d.adminClientId)) {
      await d.tokens.revoke(token.record._id);
      d.onRevoke?.(caller.clientId, token, ctx);
    }
    ctx.status = 200;
    ctx.body = '';
  };
}
