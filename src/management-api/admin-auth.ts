import type { Context, Next } from 'koa';

import { sessionPrincipal, SESSION_TOKEN_PREFIX } from '../accounts/api-access.js';
import type { Principal } from '../accounts/principal.js';
import { HttpError } from '../http/index.js';
import type { Services } from '../services.js';
import type { ActiveToken } from '../tokens/index.js';

const challenge = (error: string, description: string, scope?: string) =>
  `Bearer realm="api", error="${error}", error_description="${description}"${scope ? `, scope="${scope}"` : ''}`;

export interface AdminState {
  token: ActiveToken;
}

/**
 * The management API is a resource server of this very server: it accepts our access tokens
 * whose audience is `<issuer>/api` and that carry the `admin` scope (RFC 6750 errors).
 */
export function requireAdmin(s: Services, audience: string) {
  return async function adminOnly(ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('authorization');
    if (!header) {
      throw new HttpError(401, 'invalid_token', 'a bearer token is required', {
        'WWW-Authenticate': 'Bearer realm="api"',
      });
    }
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (!match) {
      throw new HttpError(400, 'invalid_request', 'malformed Authorization header', {
        'WWW-Authenticate': challenge('invalid_request', 'malformed Authorization header'),
      });
    }
    if (match[1]!.startsWith(SESSION_TOKEN_PREFIX)) {
      // A person's session (POST /api/sessions): their role decides what they reach.
      const principal = await sessionPrincipal(s.accounts.accounts, s.portal.sessions, match[1]!);
      if (!principal) {
        throw new HttpError(401, 'invalid_token', 'the session has ended', {
          'WWW-Authenticate': challenge('invalid_token', 'the session has ended'),
        });
      }
      (ctx.state as { principal?: Principal }).principal = principal;
      return next();
    }
    const token = await s.inspector.inspect(match[1]!);
    if (!token || !token.audiences.includes(audience)) {
      throw new HttpError(401, 'invalid_token', 'the access token is not valid for this API', {
        'WWW-Authenticate': challenge('invalid_token', 'the access token is not valid for this API'),
      });
    }
    if (!token.scopes.has('admin')) {
      throw new HttpError(403, 'insufficient_scope', 'the admin scope is required', {
        'WWW-Authenticate': challenge('insufficient_scope', 'the admin scope is required', 'admin'),
      });
    }
    (ctx.state as AdminState).token = token;
    await next();
  };
}
