import type Router from '@koa/router';
import type { Context, Next } from 'koa';

import type { Actor, IssuedLink } from '../accounts/account-actions.js';
import { passwordProblem, present, statusOf, usernameProblem } from '../accounts/accounts.js';
import { selfSignUpProblem } from '../accounts/self-signup.js';
import { notFound } from '../http/index.js';
import { publicFormToken } from './auth-pages.js';
import { principalOf, requirePrincipal } from './access-guard.js';
import { setCookie } from './cookies.js';
import {
  audit, formOf, portalState, redirectWithFlash, renderPage, seeOther, SESSION_COOKIE, type Portal,
} from './context.js';
import { collectErrors, hasErrors, sentence, type FieldErrors } from './form-errors.js';
import { checkPassword } from './password-sign-in.js';
import { usagePages } from './usage-pages.js';

const ROLE_LABELS = { admin: 'Administrator', developer: 'Developer' } as const;
const STATUS_LABELS = { active: 'Active', invited: 'Invited', disabled: 'Disabled' } as const;

function actorOf(ctx: Context): Actor {
  const who = requirePrincipal(ctx);
  return { id: `user:${who.username ?? ''}`, ...(who.username ? { username: who.username } : {}), ip: ctx.ip };
}

async function adminOnly(ctx: Context, next: Next): Promise<void> {
  if (principalOf(ctx)?.role !== 'admin') throw notFound('not found');
  await next();
}

/** Accounts (admins), invitations and self sign-up (anyone with the link), one's own account (everyone). */
export function accountPages(router: Router, p: Portal): void {
  const s = p.s;
  const { accounts, invitations } = s.accounts;
  const actions = p.accountActions;
  usagePages(router, p);

  async function listPage(ctx: Context, o: { values?: Record<string, string>; errors?: FieldErrors; status?: number } = {}) {
    const [all, pending, apps] = await Promise.all([accounts.list(), invitations.pending(), p.apps.listAll()]);
    const owned = new Map<string, number>();
    for (const a of apps) if (a.owner) owned.set(a.owner, (owned.get(a.owner) ?? 0) + 1);
    renderPage(p, ctx, 'accounts/list', {
      title: 'Accounts',
      section: 'accounts',
      accounts: all.map((a) => ({
        ...present(a),
        id: a._id,
        applications: owned.get(a._id) ?? 0,
        invitation: pending.get(a._id),
      })),
      roleLabels: ROLE_LABELS,
      statusLabels: STATUS_LABELS,
      values: o.values ?? { username: '', email: '', role: 'developer' },
      errors: o.errors ?? {},
      selfSignup: s.config.selfSignup,
      selfSignupDomains: s.config.selfSignupDomains,
    }, o.status);
  }

  function linkPage(ctx: Context, o: { title: string; username: string; link: IssuedLink; intro: string }) {
    ctx.set('Cache-Control', 'no-store');
    renderPage(p, ctx, 'accounts/link', { ...o, section: 'accounts' });
  }

  async function detailPage(ctx: Context, username: string) {
    const account = await accounts.find(username);
    if (!account) throw notFound(`account ${username} not found`);
    const apps = await p.apps.listAll({ owner: account._id });
    const pending = (await invitations.pending()).get(account._id);
    renderPage(p, ctx, 'accounts/show', {
      title: account.username,
      section: 'accounts',
      account: { ...present(account), id: account._id },
      applications: apps,
      invitation: pending,
      roleLabels: ROLE_LABELS,
      statusLabels: STATUS_LABELS,
      self: principalOf(ctx)?.username === account._id,
    });
  }

  // The admin's home is the usage overview; a developer's, their applications.
  router.get('/', (ctx) => seeOther(ctx, principalOf(ctx)?.role === 'admin' ? '/portal/overview' : '/portal/applications'));

  router.get('/accounts', adminOnly, (ctx) => listPage(ctx));

  router.post('/accounts', adminOnly, async (ctx) => {
    const form = formOf(ctx);
    const values = { username: form.text('username').trim(), email: form.text('email').trim(), role: form.text('role') };
    const errors: FieldErrors = {};
    const problem = usernameProblem(values.username);
    if (problem) errors['username'] = problem;
    if (values.email && !/^[^@\s]{1,64}@[^@\s]{1,255}$/.test(values.email)) errors['email'] = 'Enter an e-mail address like name@example.com, or leave it empty.';
    if (values.role !== 'admin' && values.role !== 'developer') errors['role'] = 'Choose a role.';
    const invited = hasErrors(errors) ? undefined : await collectErrors(errors, () => actions.invite(actorOf(ctx), {
      username: values.username,
      role: values.role as 'admin' | 'developer',
      ...(values.email ? { email: values.email } : {}),
    }));
    if (!invited) return listPage(ctx, { values, errors, status: 400 });
    linkPage(ctx, {
      title: `${invited.account.username} is invited`,
      username: invited.account.username,
      link: invited.link,
      intro: 'Send this link to them. It works once; on it they choose their password and are signed in.',
    });
  });

  router.get('/accounts/:username', adminOnly, (ctx) => detailPage(ctx, ctx.params['username']!));

  router.post('/accounts/:username/disable', adminOnly, async (ctx) => {
    const name = ctx.params['username']!;
    await actions.disable(actorOf(ctx), name);
    await redirectWithFlash(p, ctx, `/portal/accounts/${encodeURIComponent(name)}`, {
      kind: 'success', text: `${name} is disabled and signed out everywhere. Their applications' keys keep working.`,
    });
  });

  router.post('/accounts/:username/enable', adminOnly, async (ctx) => {
    const name = ctx.params['username']!;
    await actions.enable(actorOf(ctx), name);
    await redirectWithFlash(p, ctx, `/portal/accounts/${encodeURIComponent(name)}`, { kind: 'success', text: `${name} may sign in again.` });
  });

  router.post('/accounts/:username/reset-password', adminOnly, async (ctx) => {
    const name = ctx.params['username']!;
    const link = await actions.resetPassword(actorOf(ctx), name);
    linkPage(ctx, {
      title: `New password link for ${name}`,
      username: name,
      link,
      intro: 'Their old password no longer works and their sessions have ended. Send them this link; it works once.',
    });
  });

  router.get('/accounts/:username/delete', adminOnly, async (ctx) => {
    const account = await accounts.find(ctx.params['username']!);
    if (!account) throw notFound('not found');
    renderPage(p, ctx, 'accounts/delete', {
      title: `Delete ${account.username}`,
      section: 'accounts',
      account: { ...present(account), id: account._id },
      applications: await p.apps.listAll({ owner: account._id }),
    });
  });

  router.post('/accounts/:username/delete', adminOnly, async (ctx) => {
    const name = ctx.params['username']!;
    const { applications } = await actions.remove(actorOf(ctx), name);
    await redirectWithFlash(p, ctx, '/portal/accounts', {
      kind: 'success',
      text: applications.length
        ? `${name} was deleted with ${applications.length === 1 ? 'its application' : `its ${applications.length} applications`}.`
        : `${name} was deleted.`,
    });
  });

  router.post('/applications/:id/transfer', adminOnly, async (ctx) => {
    const id = ctx.params['id']!;
    const to = formOf(ctx).text('owner').trim();
    await actions.transfer(actorOf(ctx), id, to);
    await redirectWithFlash(p, ctx, `/portal/applications/${id}`, { kind: 'success', text: `The application now belongs to ${to}.` });
  });

  router.post('/apis/publication', adminOnly, async (ctx) => {
    const form = formOf(ctx);
    const published = form.text('published') === 'true';
    await actions.publish(actorOf(ctx), form.text('id'), published);
    await redirectWithFlash(p, ctx, '/portal/apis', {
      kind: 'success',
      text: published ? 'Published: developers now see this API and may subscribe to it.' : 'Unpublished: developers no longer see this API.',
    });
  });

  // Developers see the catalogue of published APIs; admins go on to the full list.
  router.get('/apis', async (ctx, next) => {
    if (principalOf(ctx)?.role === 'admin') return next();
    const apis = await s.accounts.publications.filter(await p.apps.subscribableApis());
    renderPage(p, ctx, 'accounts/catalog', { title: 'APIs', section: 'apis', apis });
  });

  // --- One's own account ---

  async function mePage(ctx: Context, o: { errors?: FieldErrors; status?: number } = {}) {
    const who = requirePrincipal(ctx);
    const account = await accounts.get(who.username ?? '');
    const current = portalState(ctx).session?._id;
    const sessions = (await actions.sessionsOf(account._id)).map((x) => ({ ...x, current: x._id === current }));
    renderPage(p, ctx, 'accounts/me', {
      title: 'Your account',
      section: 'account',
      account: { ...present(account), id: account._id },
      roleLabels: ROLE_LABELS,
      sessions,
      errors: o.errors ?? {},
    }, o.status);
  }

  router.get('/account', (ctx) => mePage(ctx));

  router.post('/account/password', async (ctx) => {
    const who = requirePrincipal(ctx);
    const form = formOf(ctx);
    const current = form.text('current_password');
    const next = form.text('new_password');
    const errors: FieldErrors = {};
    if (!current) errors['current_password'] = 'Enter your current password.';
    const problem = passwordProblem(next, who.username ?? '');
    if (problem) errors['new_password'] = problem;
    else if (next !== form.text('confirm_password')) errors['confirm_password'] = 'The two new passwords differ.';
    if (hasErrors(errors)) return mePage(ctx, { errors, status: 400 });
    // The current password is checked under the sign-in rules: counted, throttled, locked.
    const outcome = await checkPassword(p, who.username ?? '', current, ctx.ip);
    if (outcome.kind !== 'checked') {
      ctx.set('Retry-After', String(outcome.kind === 'locked' ? outcome.retryAfter : 1));
      return mePage(ctx, { errors: { current_password: 'Too many attempts. Try again later.' }, status: 429 });
    }
    if (!outcome.user) {
      await p.throttle.recordFailure(outcome.attempt);
      return mePage(ctx, { errors: { current_password: 'That is not your current password.' }, status: 400 });
    }
    await p.throttle.reset(outcome.attempt);
    await accounts.setPassword(outcome.user._id, next);
    // Every other session ends: whoever knew the old password is out.
    const mine = portalState(ctx).session!;
    await p.sessions.collection.deleteMany({ user_id: outcome.user._id, _id: { $ne: mine._id } });
    audit(p, ctx, 'account.password_change', outcome.user._id);
    await redirectWithFlash(p, ctx, '/portal/account', { kind: 'success', text: 'Password changed. Your other sessions have ended.' });
  });

  router.post('/account/sessions/end', async (ctx) => {
    const who = requirePrincipal(ctx);
    const id = formOf(ctx).text('session');
    const ended = await actions.endSession(actorOf(ctx), who.username ?? '', id);
    if (id === portalState(ctx).session?._id) return seeOther(ctx, '/portal/sign-in?notice=signed-out');
    await redirectWithFlash(p, ctx, '/portal/account', ended
      ? { kind: 'success', text: 'That session has ended.' }
      : { kind: 'info', text: 'That session had already ended.' });
  });

  // --- Invitation links and self sign-up: no session needed ---

  async function invitationPage(ctx: Context, o: { username?: string; purpose?: string; errors?: FieldErrors; status?: number }) {
    renderPage(p, ctx, 'accounts/invitation', {
      title: o.username ? 'Choose your password' : 'This link does not work',
      formCsrf: publicFormToken(p, ctx),
      username: o.username,
      purpose: o.purpose,
      token: ctx.params['token'],
      errors: o.errors ?? {},
    }, o.status ?? (o.username ? 200 : 404));
  }

  router.get('/invitations/:token', async (ctx) => {
    ctx.set('Referrer-Policy', 'no-referrer');
    const invitation = await invitations.find(ctx.params['token']!);
    await invitationPage(ctx, invitation ? { username: invitation.username, purpose: invitation.purpose } : {});
  });

  router.post('/invitations/:token', async (ctx) => {
    const token = ctx.params['token']!;
    const invitation = await invitations.find(token);
    if (!invitation) return invitationPage(ctx, {});
    const account = await accounts.find(invitation.username);
    if (!account) return invitationPage(ctx, {});
    const form = formOf(ctx);
    const password = form.text('password');
    const errors: FieldErrors = {};
    const problem = passwordProblem(password, account.username);
    if (problem) errors['password'] = problem;
    else if (password !== form.text('confirm_password')) errors['confirm_password'] = 'The two passwords differ.';
    if (hasErrors(errors)) return invitationPage(ctx, { username: account.username, purpose: invitation.purpose, errors, status: 400 });
    // The claim: of two uses of one link, one wins.
    if (!(await invitations.consume(token))) return invitationPage(ctx, {});
    const saved = await accounts.setPassword(account._id, password);
    audit(p, ctx, 'account.invitation_accept', account._id, { purpose: invitation.purpose }, account._id);
    if (statusOf(saved) !== 'active') {
      return seeOther(ctx, '/portal/sign-in');
    }
    await p.sessions.destroyForUser(account._id);
    const { sid } = await p.sessions.create(saved, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    setCookie(ctx, SESSION_COOKIE, sid, { secure: p.secureCookies });
    audit(p, ctx, 'portal.sign_in', undefined, undefined, account._id);
    seeOther(ctx, '/portal/applications');
  });

  function signUpPage(ctx: Context, o: { values?: Record<string, string>; errors?: FieldErrors; status?: number } = {}) {
    renderPage(p, ctx, 'accounts/sign-up', {
      title: 'Create your account',
      formCsrf: publicFormToken(p, ctx),
      values: o.values ?? { email: '' },
      errors: o.errors ?? {},
      domains: s.config.selfSignupDomains,
    }, o.status);
  }

  router.get('/sign-up', (ctx) => {
    if (!s.config.selfSignup) throw notFound('not found');
    signUpPage(ctx);
  });

  router.post('/sign-up', async (ctx) => {
    if (!s.config.selfSignup) throw notFound('not found');
    const form = formOf(ctx);
    const email = form.text('email').trim();
    const password = form.text('password');
    const errors: FieldErrors = {};
    const problem = selfSignUpProblem(email, s.config.selfSignupDomains)
      ?? (usernameProblem(email) ? 'Use an address made of letters, digits and . _ @ + - only.' : undefined);
    if (problem) errors['email'] = problem;
    const pwProblem = passwordProblem(password, email);
    if (pwProblem) errors['password'] = pwProblem;
    const created = hasErrors(errors) ? undefined : await collectErrors(errors, () => accounts.createActive({ username: email, email, password }));
    if (!created) {
      // The same words whether the address is taken or not would hide nothing here: it is a sign-up form.
      if (errors['_form']) errors['_form'] = sentence('An account with this address already exists. Sign in instead');
      return signUpPage(ctx, { values: { email }, errors, status: 400 });
    }
    void s.audit.record({ actor: `user:${created._id}`, action: 'account.sign_up', target: created._id, ip: ctx.ip });
    const { sid } = await p.sessions.create(created, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    setCookie(ctx, SESSION_COOKIE, sid, { secure: p.secureCookies });
    seeOther(ctx, '/portal/applications');
  });
}
