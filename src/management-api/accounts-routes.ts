import type Router from '@koa/router';
import type { Context } from 'koa';

import type { Actor } from '../accounts/account-actions.js';
import { principalOfApi, SESSION_TOKEN_PREFIX } from '../accounts/api-access.js';
import { present } from '../accounts/accounts.js';
import { KEY_TYPE_CLAIM, KEY_TYPES } from '../applications/index.js';
import { assertValid, compile, HttpError, notFound, readJson } from '../http/index.js';
import { checkPassword } from '../portal/password-sign-in.js';
import type { Services } from '../services.js';
import type { AdminState } from './admin-auth.js';

export const inviteSchema = {
  type: 'object',
  properties: {
    username: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$', expects: 'up to 100 letters, digits and . _ @ + -, starting with a letter or digit', description: 'Unique regardless of case' },
    role: { type: 'string', enum: ['admin', 'developer'], default: 'developer' },
    email: { type: 'string', format: 'email', maxLength: 320 },
  },
  required: ['username'],
  additionalProperties: false,
} as const;

export const sessionSchema = {
  type: 'object',
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 100 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
  required: ['username', 'password'],
  additionalProperties: false,
} as const;

export const transferSchema = {
  type: 'object',
  properties: { owner: { type: 'string', minLength: 1, maxLength: 100, description: 'Username of the new owner' } },
  required: ['owner'],
  additionalProperties: false,
} as const;

const validateInvite = compile<{ username: string; role?: 'admin' | 'developer'; email?: string }>(inviteSchema);
const validateSession = compile<{ username: string; password: string }>(sessionSchema);
const validateTransfer = compile<{ owner: string }>(transferSchema);

function actorOf(ctx: Context): Actor {
  const who = principalOfApi(ctx);
  if (who?.username) return { id: `user:${who.username}`, username: who.username, ip: ctx.ip };
  const token = (ctx.state as Partial<AdminState>).token;
  return { id: token ? `client:${token.record.client_id}` : 'unknown', ip: ctx.ip };
}

/** POST /api/sessions: a person's password for a session token, under the portal's sign-in rules. */
export function sessionRoutes(router: Router, s: Services): void {
  const p = s.portal;
  router.post('/sessions', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateSession, body);
    const outcome = await checkPassword(p, body.username, body.password, ctx.ip);
    if (outcome.kind === 'busy') {
      throw new HttpError(429, 'too_many_requests', 'too many sign-ins at once; try again in a moment', { 'Retry-After': '1' });
    }
    if (outcome.kind === 'locked') {
      throw new HttpError(429, 'too_many_attempts', 'too many failed sign-ins; this account is locked for now', { 'Retry-After': String(outcome.retryAfter) });
    }
    if (!outcome.user) {
      const locked = await p.throttle.recordFailure(outcome.attempt);
      void s.audit.record({ actor: `user:${body.username.toLowerCase()}`, action: locked ? 'portal.sign_in_locked' : 'portal.sign_in_failed', ip: ctx.ip, details: { via: 'api' } });
      throw new HttpError(401, 'invalid_grant', 'the username or password is not correct');
    }
    await p.throttle.reset(outcome.attempt);
    const { sid, session } = await p.sessions.create(outcome.user, { ip: ctx.ip, userAgent: ctx.get('user-agent'), kind: 'api' });
    void s.audit.record({ actor: `user:${outcome.user._id}`, action: 'portal.sign_in', ip: ctx.ip, details: { via: 'api' } });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = {
      session_token: SESSION_TOKEN_PREFIX + sid,
      username: outcome.user.username,
      role: outcome.user.role,
      expires_at: session.expiresAt,
    };
  });
}

/** Accounts (admins), the end of one's own session, application owners and usage. */
export function accountRoutes(router: Router, s: Services): void {
  const actions = s.portal.accountActions;
  const { accounts, invitations } = s.accounts;
  const apps = s.applications;
  const admin = (ctx: Context) => {
    const who = principalOfApi(ctx);
    if (who && who.role !== 'admin') throw new HttpError(403, 'forbidden', 'this needs an administrator');
  };

  router.delete('/sessions/current', async (ctx) => {
    const header = /^Bearer (\S+)$/i.exec(ctx.get('authorization'))?.[1] ?? '';
    if (!header.startsWith(SESSION_TOKEN_PREFIX)) throw new HttpError(400, 'invalid_request', 'only a session token can be ended here');
    await s.portal.sessions.destroy(header.slice(SESSION_TOKEN_PREFIX.length));
    ctx.status = 204;
  });

  router.get('/accounts', async (ctx) => {
    admin(ctx);
    const [all, pending] = await Promise.all([accounts.list(), invitations.pending()]);
    ctx.body = {
      accounts: all.map((a) => ({ ...present(a), invitation_expires_at: pending.get(a._id)?.expiresAt ?? null })),
    };
  });

  router.post('/accounts', async (ctx) => {
    admin(ctx);
    const body = await readJson(ctx);
    assertValid(validateInvite, body);
    const { account, link } = await actions.invite(actorOf(ctx), {
      username: body.username, role: body.role ?? 'developer', ...(body.email ? { email: body.email } : {}),
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = { ...present(account), invitation_url: link.url, invitation_expires_at: link.expires_at };
  });

  router.get('/accounts/:username', async (ctx) => {
    admin(ctx);
    const account = await accounts.find(ctx.params['username']!);
    if (!account) throw notFound(`account ${ctx.params['username']!} not found`);
    const owned = await apps.listAll({ owner: account._id });
    ctx.body = { ...present(account), applications: owned.map((a) => ({ id: a.id, name: a.name })) };
  });

  router.post('/accounts/:username/disable', async (ctx) => {
    admin(ctx);
    await actions.disable(actorOf(ctx), ctx.params['username']!);
    ctx.body = present(await accounts.get(ctx.params['username']!));
  });

  router.post('/accounts/:username/enable', async (ctx) => {
    admin(ctx);
    await actions.enable(actorOf(ctx), ctx.params['username']!);
    ctx.body = present(await accounts.get(ctx.params['username']!));
  });

  router.post('/accounts/:username/reset-password', async (ctx) => {
    admin(ctx);
    const link = await actions.resetPassword(actorOf(ctx), ctx.params['username']!);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { invitation_url: link.url, invitation_expires_at: link.expires_at };
  });

  router.delete('/accounts/:username', async (ctx) => {
    admin(ctx);
    const { applications } = await actions.remove(actorOf(ctx), ctx.params['username']!);
    ctx.body = { deleted: ctx.params['username']!.toLowerCase(), applications_deleted: applications };
  });

  router.post('/applications/:id/transfer', async (ctx) => {
    admin(ctx);
    const body = await readJson(ctx);
    assertValid(validateTransfer, body);
    await actions.transfer(actorOf(ctx), ctx.params['id']!, body.owner);
    ctx.body = { id: ctx.params['id']!, owner: body.owner.toLowerCase() };
  });

  router.post('/apis/:id/publish', async (ctx) => {
    admin(ctx);
    await actions.publish(actorOf(ctx), ctx.params['id']!, true);
    ctx.body = { identifier: ctx.params['id']!, published: true };
  });

  router.delete('/apis/:id/publish', async (ctx) => {
    admin(ctx);
    await actions.publish(actorOf(ctx), ctx.params['id']!, false);
    ctx.body = { identifier: ctx.params['id']!, published: false };
  });

  router.get('/applications/:id/usage', async (ctx) => {
    const app = await apps.get(ctx.params['id']!);
    const usage = s.usage;
    await usage.counters.flushNow();
    const series = await usage.report.forApplication(app.id);
    ctx.body = {
      application_id: app.id,
      key_sets: KEY_TYPES.map((type) => ({
        key_type: KEY_TYPE_CLAIM[type],
        last_24_hours: { ...series[type].totals.day, hours: series[type].day },
        last_30_days: { ...series[type].totals.month, days: series[type].month },
      })),
    };
  });
}
