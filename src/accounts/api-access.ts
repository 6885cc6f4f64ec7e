import type { Context, Next } from 'koa';

import type { Applications } from '../applications/index.js';
import { HttpError, notFound } from '../http/index.js';
import type { PortalSessions } from '../portal/sessions.js';
import type { Accounts } from './accounts.js';
import type { Principal } from './principal.js';
import type { ApiPublications } from './publications.js';

/** Management API session tokens carry this prefix, so they are never taken for access tokens. */
export const SESSION_TOKEN_PREFIX = 'kfs_';

export const principalOfApi = (ctx: Context): Principal | undefined => (ctx.state as { principal?: Principal }).principal;

/**
 * A person's session token (from POST /api/sessions) as the management API's bearer token. The
 * account is read on every request: a disabled or deleted account's tokens stop at once.
 */
export async function sessionPrincipal(accounts: Accounts, sessions: PortalSessions, bearer: string): Promise<Principal | undefined> {
  const session = await sessions.find(bearer.slice(SESSION_TOKEN_PREFIX.length));
  if (!session) return undefined;
  const account = await accounts.find(session.user_id);
  if (!account || (account.status ?? 'active') !== 'active') {
    await sessions.collection.deleteOne({ _id: session._id });
    return undefined;
  }
  return { username: account._id, role: account.role };
}

/** What a developer's session may call; everything else is an admin's. */
const DEVELOPER_ROUTES: [string, RegExp][] = [
  ['GET', /^\/api\/applications$/],
  ['POST', /^\/api\/applications$/],
  ['*', /^\/api\/applications\/[^/]+(\/.*)?$/],
  ['DELETE', /^\/api\/sessions\/current$/],
];

/**
 * Developers reach only their own applications; another's is a 404 like one that does not
 * exist, and an admin-only route a 403.
 */
export function developerLimits(applications: Pick<Applications, 'ownership'>) {
  return async function limitDevelopers(ctx: Context, next: Next): Promise<void> {
    const who = principalOfApi(ctx);
    if (!who || who.role === 'admin') return next();
    const allowed = DEVELOPER_ROUTES.some(([method, path]) => (method === '*' || method === ctx.method) && path.test(ctx.path));
    if (!allowed) throw new HttpError(403, 'forbidden', 'this needs an administrator');
    const id = /^\/api\/applications\/([^/]+)/.exec(ctx.path)?.[1];
    if (id) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(id);
      } catch {
        throw notFound('application not found');
      }
      const app = await applications.ownership(decoded);
      if (!app || app.owner !== who.username) throw notFound(`application ${decoded} not found`);
    }
    await next();
  };
}

/** A developer may subscribe only to published APIs (and keep those an application already has). */
export async function assertSubscribable(
  publications: Pick<ApiPublications, 'published'>, who: Principal | undefined, wanted: string[] | undefined, current: string[] = [],
): Promise<void> {
  if (!who || who.role === 'admin' || !wanted?.length) return;
  const published = await publications.published();
  const refused = wanted.find((api) => !published.has(api) && !current.includes(api));
  if (refused) throw new HttpError(400, 'invalid_request', `subscriptions: ${refused} is not open for subscription`);
}
