import type { AuditAction } from '../audit/index.js';
import type { Context } from 'koa';

import { AccountActions } from '../accounts/account-actions.js';

import type { Applications } from '../applications/index.js';
import type { Services } from '../services.js';
import { LoginThrottle } from './login-throttle.js';
import type { FormFields } from './form.js';
import { PasswordCheckGate } from './password-check-gate.js';
import { PortalSessions, type Flash, type PortalSession } from './sessions.js';
import { PortalUsers } from './users.js';
import { Views } from './views.js';

export const SESSION_COOKIE = 'kf_session';
/** Carries the CSRF token of the sign-in form, before there is a session to hold it. */
export const SIGNIN_COOKIE = 'kf_signin';

/** What the portal reads: every service but itself. */
export type PortalServices = Omit<Services, 'portal'>;

/** Everything the portal's pages share, built once in createServices. */
export interface Portal {
  s: PortalServices;
  users: PortalUsers;
  sessions: PortalSessions;
  throttle: LoginThrottle;
  passwordChecks: PasswordCheckGate;
  views: Views;
  apps: Applications;
  /** What admins do to accounts, shared with the management API. */
  accountActions: AccountActions;
  /** The browser sees the issuer, so cookies are Secure exactly when it is https. */
  secureCookies: boolean;
}

export function createPortal(s: PortalServices): Portal {
  const sessions = new PortalSessions(s.store.db, s.config.portalSessionSeconds);
  return {
    s,
    users: new PortalUsers(s.store.db),
    sessions,
    throttle: new LoginThrottle(s.store.db, {
      maxAttempts: s.config.loginMaxAttempts,
      lockSeconds: s.config.loginLockSeconds,
    }),
    passwordChecks: new PasswordCheckGate(s.config.loginConcurrentChecks),
    views: new Views(),
    apps: s.applications,
    accountActions: new AccountActions({
      issuer: s.config.issuer,
      accounts: s.accounts,
      sessions,
      applications: s.applications,
      registry: s.registry,
      audit: s.audit,
    }),
    secureCookies: s.config.issuer.startsWith('https:'),
  };
}

/** The portal of these services (built by createServices). */
export function portalOf(s: Services): Portal {
  return s.portal;
}

export interface PortalState {
  session?: PortalSession;
  /** A session cookie came with the request but its session is gone or expired. */
  sessionEnded?: boolean;
  form?: FormFields;
  flash?: Flash;
}

export const portalState = (ctx: Context) => ctx.state as PortalState;

/** The submitted form; the portal middleware has read it (and checked CSRF) for every POST. */
export function formOf(ctx: Context): FormFields {
  const form = portalState(ctx).form;
  if (!form) throw new Error('form not read');
  return form;
}

export type Section = 'applications' | 'apis' | 'clients' | 'registration' | 'accounts' | 'account' | 'overview' | undefined;

export function renderPage(
  p: Portal,
  ctx: Context,
  template: string,
  data: Record<string, unknown> & { title: string; section?: Section },
  status = 200,
): void {
  const st = portalState(ctx);
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = p.views.render(template, {
    section: undefined,
    ...data,
    user: st.session ? { username: st.session.username, role: st.session.role } : undefined,
    csrf: st.session?.csrf ?? '',
    flash: st.flash,
    issuer: p.s.config.issuer,
  });
}

/** POST-redirect-GET. */
export function seeOther(ctx: Context, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}

export async function redirectWithFlash(p: Portal, ctx: Context, url: string, flash: Flash): Promise<void> {
  const session = portalState(ctx).session;
  if (session) await p.sessions.setFlash(session, flash);
  seeOther(ctx, url);
}

/** A change made through the portal goes to the audit log under the person who made it. */
export function audit(
  p: Portal,
  ctx: Context,
  action: AuditAction,
  target?: string,
  details?: Record<string, unknown>,
  actor?: string,
): void {
  const username = actor ?? portalState(ctx).session?.username;
  void p.s.audit.record({
    actor: username ? `user:${username}` : 'unknown',
    action,
    ...(target ? { target } : {}),
    ip: ctx.ip,
    ...(details ? { details } : {}),
  });
}

export function requireAdminRole(ctx: Context): boolean {
  return portalState(ctx).session?.role === 'admin';
}
