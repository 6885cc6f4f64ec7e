import { randomBytes } from 'node:crypto';

import type Router from '@koa/router';
import type { Context } from 'koa';

import { failureLogger } from '../ops/index.js';
import { clearCookie, readCookie, setCookie } from './cookies.js';
import {
  audit, formOf, portalState, renderPage, seeOther, SESSION_COOKIE, SIGNIN_COOKIE, type Portal,
} from './context.js';
import { checkPassword as checkPasswordRules } from './password-sign-in.js';

const HOME = '/portal/applications';

const LOCAL = 'http://portal.invalid';

/**
 * Only our own pages, resolved the way a browser would (`..`, backslashes, `//host`), and
 * handed back in that resolved form.
 */
export function safeNext(value: string | undefined): string {
  if (!value || !value.startsWith('/')) return HOME;
  let target: URL;
  try {
    target = new URL(value, LOCAL);
  } catch {
    return HOME;
  }
  if (target.origin !== LOCAL || !/^\/portal(\/|$)/.test(target.pathname)) return HOME;
  return target.pathname + target.search;
}

export function signInUrl(next?: string, notice?: 'expired' | 'signed-out'): string {
  const q = new URLSearchParams();
  const safe = safeNext(next);
  if (safe !== HOME) q.set('next', safe);
  if (notice) q.set('notice', notice);
  const query = q.toString();
  return `/portal/sign-in${query ? `?${query}` : ''}`;
}

const NOTICES: Record<string, string> = {
  expired: 'Your session has ended. Sign in again to continue.',
  'signed-out': 'You have signed out.',
};

function minutes(seconds: number): string {
  const m = Math.ceil(seconds / 60);
  return m <= 1 ? 'a minute' : `${m} minutes`;
}

/** The CSRF token of forms shown before a session exists lives in its own short cookie. */
export function publicFormToken(p: Portal, ctx: Context): string {
  const existing = readCookie(ctx, SIGNIN_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(ctx, SIGNIN_COOKIE, token, { maxAgeSeconds: 3600, secure: p.secureCookies });
  return token;
}

export function authPages(router: Router, p: Portal): void {
  const checkPassword = (username: string, password: string, address: string) => checkPasswordRules(p, username, password, address);

  const signInToken = (ctx: Context) => publicFormToken(p, ctx);

  function page(ctx: Context, data: { username?: string; error?: string; notice?: string; next?: string }, status = 200) {
    renderPage(p, ctx, 'sign-in', {
      title: 'Sign in',
      signInCsrf: signInToken(ctx),
      username: data.username ?? '',
      error: data.error,
      notice: data.notice,
      next: data.next ?? '',
    }, status);
  }

  router.get('/sign-in', (ctx) => {
    if (portalState(ctx).session) return seeOther(ctx, HOME);
    const notice = NOTICES[String(ctx.query['notice'] ?? '')];
    const next = typeof ctx.query['next'] === 'string' ? ctx.query['next'] : '';
    page(ctx, { ...(notice ? { notice } : {}), next: next && safeNext(next) === next ? next : '' });
  });

  router.post('/sign-in', async (ctx) => {
    const form = formOf(ctx);
    const username = form.text('username').trim();
    const password = form.text('password');
    const next = safeNext(form.text('next'));
    const keep = { username, next: form.text('next') };
    if (!username || !password) {
      return page(ctx, { ...keep, error: 'Enter your username and password.' }, 400);
    }
    p.sessions.sweep().catch(failureLogger(p.s.log, 'sweeping portal sessions failed'));
    p.throttle.sweep().catch(failureLogger(p.s.log, 'sweeping sign-in attempts failed'));
    p.s.accounts.invitations.sweep().catch(failureLogger(p.s.log, 'sweeping invitation links failed'));

    const locked = (seconds: number) => {
      ctx.set('Retry-After', String(seconds));
      return page(ctx, {
        ...keep,
        error: `Too many failed sign-ins. This account is locked for ${minutes(seconds)}; try again later.`,
      }, 429);
    };
    // Refused before anything is counted: no password was checked. Both are the callers'
    // doing (too many at once), so 429, not a 5xx that would say the server failed.
    const busy = (why: 'username' | 'server') => {
      ctx.set('Retry-After', '1');
      return why === 'username'
        ? page(ctx, { ...keep, error: 'Another sign-in to this account is in progress. Try again in a moment.' }, 429)
        : page(ctx, { ...keep, error: 'Too many sign-ins at once. Try again in a moment.' }, 429);
    };
    const outcome = await checkPassword(username, password, ctx.ip);
    if (outcome.kind === 'busy') return busy(outcome.why);
    if (outcome.kind === 'locked') return locked(outcome.retryAfter);
    const { attempt, user } = outcome;
    if (!user) {
      const nowLocked = await p.throttle.recordFailure(attempt);
      audit(p, ctx, nowLocked ? 'portal.sign_in_locked' : 'portal.sign_in_failed', undefined, undefined, username);
      if (nowLocked) return locked(p.s.config.loginLockSeconds);
      return page(ctx, { ...keep, error: 'The username or password is not correct.' }, 401);
    }

    await p.throttle.reset(attempt);
    // A fresh id at sign-in: a session id planted before it is worth nothing.
    const old = readCookie(ctx, SESSION_COOKIE);
    if (old) await p.sessions.destroy(old);
    const { sid } = await p.sessions.create(user, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    setCookie(ctx, SESSION_COOKIE, sid, { secure: p.secureCookies });
    clearCookie(ctx, SIGNIN_COOKIE, p.secureCookies);
    audit(p, ctx, 'portal.sign_in', undefined, undefined, user.username);
    seeOther(ctx, next);
  });

  router.post('/sign-out', async (ctx) => {
    const sid = readCookie(ctx, SESSION_COOKIE);
    if (sid) await p.sessions.destroy(sid);
    audit(p, ctx, 'portal.sign_out');
    clearCookie(ctx, SESSION_COOKIE, p.secureCookies);
    seeOther(ctx, signInUrl(undefined, 'signed-out'));
  });
}
