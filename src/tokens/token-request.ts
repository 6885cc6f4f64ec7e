import type { Context } from 'koa';

import { badRequest, readForm } from '../http/index.js';
import { authenticateClient, type AuthClient, type ClientAuthDeps } from './client-auth.js';
import type { ActiveToken, TokenInspector } from './inspect-token.js';

export interface TokenRequestDeps extends ClientAuthDeps {
  inspector: TokenInspector;
  endpointUrl: string;
}

/**
 * What introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) requests share: a form
 * body, an authenticated client, a `token` parameter, and the token looked up.
 */
export async function readTokenRequest(
  ctx: Context,
  d: TokenRequestDeps,
): Promise<{ caller: AuthClient; value: string; token: ActiveToken | undefined }> {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  const params = await readForm(ctx);
  const caller = await authenticateClient(ctx, params, d, d.endpointUrl);
  const value = params.get('token');
  if (!value) throw badRequest('token is required');
  return { caller, value, token: await d.inspector.inspect(value) };
}
