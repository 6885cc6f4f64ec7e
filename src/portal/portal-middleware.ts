import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';

import { HttpError } from '../http/index.js';
import type { Services } from '../services.js';
import { checkSessionAccount, guardRoute, isPublicPath } from './access-guard.js';
import { accountPages } from './account-pages.js';
import { apiPages } from './api-pages.js';
import { applicationPages } from './application-pages.js';
import { authPages, signInUrl } from './auth-pages.js';
import { clientPages } from './client-pages.js';
import { clearCookie, readCookie } from './cookies.js';
import {
  portalOf, portalState, renderPage, seeOther, SESSION_COOKIE, SIGNIN_COOKIE, type Portal,
} from './context.js';
import { readFormFields, sameToken } from './form.js';
import { sentence } from './form-errors.js';
import { registrationPages } from './registration-pages.js';

const PREFIX = '/portal';
const ASSETS = `${PREFIX}/assets/`;

// Everything is served by us; no inline script or style, no framing, forms post only here.
const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

const ERROR_TITLES: Record<number, string> = {
  400: 'That did not work',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Not allowed here',
  409: 'That could not be done',
  413: 'Too much data',
};

function serveAsset(p: Portal, ctx: Context): boolean {
  if (!ctx.path.startsWith(ASSETS) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return false;
  const asset = p.views.assets.get(ctx.path.slice(ASSETS.length));
  if (!asset) return false;
  ctx.type = asset.type;
  // URLs carry the content hash (?v=), so a changed file is a new URL.
  ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
  ctx.body = asset.body;
  return true;
}

function errorPage(p: Portal, ctx: Context, status: number, message: string): void {
  renderPage(p, ctx, 'error', {
    title: ERROR_TITLES[status] ?? 'Something went wrong',
    status,
    message,
  }, status);
}

const PORTAL_METHODS = ['GET', 'HEAD', 'POST'];

async function dispatch(p: Portal, ctx: Context, routes: Middleware): Promise<void> {
  const st = portalState(ctx);
  const sid = readCookie(ctx, SESSION_COOKIE);
  if (sid) {
    st.session = await p.sessions.find(sid);
    if (!st.session) {
      st.sessionEnded = true;
      clearCookie(ctx, SESSION_COOKIE, p.secureCookies);
    }
  }
  await checkSessionAccount(p, ctx);

  if (!isPublicPath(ctx.path) && !st.session) {
    const back = ctx.method === 'GET' && ctx.path !== PREFIX && ctx.path !== `${PREFIX}/` ? ctx.originalUrl : undefined;
    return seeOther(ctx, signInUrl(back, st.sessionEnded ? 'expired' : undefined));
  }

  if (ctx.method === 'POST') {
    st.form = await readFormFields(ctx);
    const expected = isPublicPath(ctx.path) ? readCookie(ctx, SIGNIN_COOKIE) : st.session?.csrf;
    if (!sameToken(st.form.text('_csrf'), expected ?? '')) {
      return errorPage(p, ctx, 403,
        'This form could not be accepted because its security token was missing or out of date. Go back, reload the page and try again.');
    }
  }

  await guardRoute(p, ctx);

  if (ctx.method === 'GET' && st.session?.flash) {
    st.flash = st.session.flash;
    await p.sessions.clearFlash(st.session);
  }

  await routes(ctx, async () => undefined);
  if (ctx.status === 404 && ctx.body === undefined) errorPage(p, ctx, 404, 'There is nothing at this address. It may have been deleted.');
}

/**
 * The developer portal under /portal: server-rendered pages, sessions in MongoDB, CSRF
 * tokens on every form. `/` leads here.
 */
export function portalMiddleware(s: Services): Middleware {
  const p = portalOf(s);
  const router = new Router({ prefix: PREFIX });
  authPages(router, p);
  accountPages(router, p);
  applicationPages(router, p);
  apiPages(router, p);
  clientPages(router, p);
  registrationPages(router, p);
  const routes = router.routes() as unknown as Middleware;

  return async function portal(ctx: Context, next: Next): Promise<void> {
    if (ctx.path === '/' && (ctx.method === 'GET' || ctx.method === 'HEAD')) return ctx.redirect(PREFIX);
    if (ctx.path !== PREFIX && !ctx.path.startsWith(`${PREFIX}/`)) return next();

    ctx.set('Content-Security-Policy', CSP);
    // Pages are read and forms posted; any other method is the client's mistake, said as such.
    if (!PORTAL_METHODS.includes(ctx.method)) {
      ctx.set('Allow', PORTAL_METHODS.join(', '));
      return errorPage(p, ctx, 405, `${ctx.method} is not used here.`);
    }
    if (serveAsset(p, ctx)) return;
    ctx.set('Cache-Control', 'no-store');
    try {
      await dispatch(p, ctx, routes);
    } catch (err) {
      if (err instanceof HttpError && err.status < 500) {
        errorPage(p, ctx, err.status, sentence(err.message));
        return;
      }
      s.log.error({ err, path: ctx.path }, 'portal request failed');
      errorPage(p, ctx, 500, 'Something went wrong on our side. Try again in a moment.');
    }
  };
}
