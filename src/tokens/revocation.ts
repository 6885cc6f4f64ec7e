import type { Context } from 'koa';

import type { ActiveToken } from './inspect-token.js';
import { readTokenRequest, type TokenRequestDeps } from './token-request.js';
import type { TokenStore } from './token-store.js';

export interface RevocationDeps extends TokenRequestDeps {
  tokens: TokenStore;
  adminClientId: string;
  onRevoke?(callerId: string, token: ActiveToken, ctx: Context): void;
}

/**
 * RFC 7009 for both token formats. A JWT is revoked through its stored record, so every
 * introspection after this answers `active: false`. Unknown, foreign or already dead tokens
 * get the same 200 (§2.2), so the endpoint reveals nothing.
 */
export function revocationEndpoint(d: RevocationDeps) {
  return async function revoke(ctx: Context): Promise<void> {
    const { caller, token } = await readTokenRequest(ctx, d);
    if (token && (token.record.client_id === caller.clientId || caller.clientId === d.adminClientId)) {
      await d.tokens.revoke(token.record._id);
      d.onRevoke?.(caller.clientId, token, ctx);
    }
    ctx.status = 200;
    ctx.body = '';
  };
}
