import type { Context } from 'koa';

import type { Principal } from '../accounts/principal.js';
import type { Api } from '../apis/index.js';
import { HttpError, notFound } from '../http/index.js';
import { clearCookie } from './cookies.js';
import { portalState, SESSION_COOKIE, type Portal } from './context.js';

const PREFIX = '/portal';

/** Pages anyone may open, signed in or not. */
export function isPublicPath(path: string): boolean {
  return path === `${PREFIX}/sign-in` || path === `${PREFIX}/sign-up` || /^\/portal\/invitations\/[^/]+$/.test(path);
}

/**
 * What a developer may open; everything else is an admin's and answers 404, like anything
 * that is not there. New admin pages are therefore closed to developers without a word here.
 */
const DEVELOPER_PATHS: RegExp[] = [
  /^\/portal\/?$/,
  /^\/portal\/applications(\/.*)?$/,
  /^\/portal\/account(\/.*)?$/,
  /^\/portal\/sign-out$/,
];
const DEVELOPER_GET_PATHS: RegExp[] = [/^\/portal\/apis$/];

const APPLICATION_PATH = /^\/portal\/applications\/([^/]+)(\/|$)/;

export const principalOf = (ctx: Context): Principal | undefined => (ctx.state as { principal?: Principal }).principal;

export function requirePrincipal(ctx: Context): Principal {
  const p = principalOf(ctx);
  if (!p) throw new HttpError(401, 'unauthorized', 'sign in first');
  return p;
}

/**
 * The session's account is read on every request: a disabled or deleted account is signed out
 * at once, even in a session opened a moment before it was disabled, and its role is the one
 * stored now rather than at sign-in.
 */
export async function checkSessionAccount(p: Portal, ctx: Context): Promise<void> {
  const st = portalState(ctx);
  if (!st.session) return;
  const account = await p.s.accounts.accounts.find(st.session.user_id);
  if (!account || (account.status ?? 'active') !== 'active') {
    await p.sessions.collection.deleteOne({ _id: st.session._id });
    delete st.session;
    st.sessionEnded = true;
    clearCookie(ctx, SESSION_COOKIE, p.secureCookies);
    return;
  }
  st.session.role = account.role;
  (ctx.state as { principal?: Principal }).principal = { username: account._id, role: account.role };
}

/** Developers reach only their own applications, and everything an admin's is a 404 to them. */
export async function guardRoute(p: Portal, ctx: Context): Promise<void> {
  const who = principalOf(ctx);
  if (!who || who.role === 'admin' || isPublicPath(ctx.path)) return;
  const allowed = DEVELOPER_PATHS.some((r) => r.test(ctx.path))
    || ((ctx.method === 'GET' || ctx.method === 'HEAD') && DEVELOPER_GET_PATHS.some((r) => r.test(ctx.path)));
  if (!allowed) throw notFound('not found');
  const id = APPLICATION_PATH.exec(ctx.path)?.[1];
  if (id && id !== 'new') await assertOwnApplication(p, who, decodeURIComponent(id));
  if (ctx.method === 'POST' && (ctx.path === `${PREFIX}/applications` || (id && ctx.path === `${PREFIX}/applications/${id}`))) {
    await assertPublishedSubscriptions(p, id, portalState(ctx).form?.all('subscriptions') ?? []);
  }
}

/** Another developer's application is not there at all: same 404, same words, no name. */
export async function assertOwnApplication(p: Portal, who: Principal, id: string): Promise<void> {
  if (who.role === 'admin') return;
  const app = await p.apps.ownership(id);
  if (!app || !who.username || app.owner !== who.username) throw notFound(`application ${id} not found`);
}

/** A developer subscribes only to published APIs (keeping, on an edit, what the application already has). */
async function assertPublishedSubscriptions(p: Portal, id: string | undefined, wanted: string[]): Promise<void> {
  if (!wanted.length) return;
  const published = await p.s.accounts.publications.published();
  const current = id ? (await p.apps.ownership(id))?.subscriptions ?? [] : [];
  const refused = wanted.find((api) => !published.has(api) && !current.includes(api));
  if (refused) throw new HttpError(400, 'invalid_request', 'One of the chosen APIs is not open for subscription.');
}

/** The APIs a person may choose from: all for an admin, the published ones for a developer. */
export async function subscribableFor(p: Portal, ctx: Context, apis: Api[]): Promise<Api[]> {
  const who = principalOf(ctx);
  if (!who || who.role === 'admin') return apis;
  return p.s.accounts.publications.filter(apis);
}
