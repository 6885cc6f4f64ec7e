import type Router from '@koa/router';
import type { Context } from 'koa';

import type { Api } from '../apis/index.js';
import {
  isKeyType, KEY_TYPE_CLAIM, KEY_TYPES, MAX_GRACE_SECONDS, TOKEN_TYPES,
  type ApplicationDetail, type ApplicationInput, type IssuedCredentials, type IssuedToken, type KeyType, type TokenType,
} from '../applications/index.js';
import { HttpError, notFound } from '../http/index.js';
import { ownerFor } from '../accounts/principal.js';
import { requirePrincipal, subscribableFor } from './access-guard.js';
import { listPageHref, listPageQuery } from './application-list-query.js';
import { audit, formOf, redirectWithFlash, renderPage, seeOther, type Portal } from './context.js';
import type { FormFields } from './form.js';
import { applicationExtras } from './application-extras.js';
import { collectErrors, hasErrors, parseSeconds, sentence, type FieldErrors } from './form-errors.js';

interface AppValues {
  name: string;
  description: string;
  token_type: string;
  access_token_ttl: string;
  subscriptions: string[];
  require_dpop: boolean;
}

interface KeyFormValues {
  access_token_ttl: string;
  scopes: string[];
}

interface PanelForms {
  generate?: { values: KeyFormValues; errors: FieldErrors };
  token?: { values: { scopes: string[] }; errors: FieldErrors };
  settings?: { values: KeyFormValues; errors: FieldErrors };
}

/** What is shown once, right after it was created: the secret (if new) and the tokens. */
interface OneTimeResult {
  kind: 'generated' | 'regenerated' | 'rotated' | 'token';
  consumerKey: string;
  /** After a rotation: when the previous secret stops working. */
  previousUntil?: Date;
  consumerSecret?: string;
  tokens: IssuedToken[];
  tokenError?: string;
}

interface ShowOptions {
  tab?: KeyType;
  forms?: Partial<Record<KeyType, PanelForms>>;
  result?: { type: KeyType } & OneTimeResult;
  status?: number;
}

const KEY_LABELS: Record<KeyType, string> = { production: 'Production', sandbox: 'Sandbox' };

const TOKEN_TYPE_INFO: Record<TokenType, { title: string; text: string }> = {
  JWT: { title: 'JWT', text: 'Signed, self-contained tokens. APIs can verify them with the published keys (JWKS) or by introspection.' },
  OAuth: { title: 'OAuth (opaque)', text: 'Random reference tokens with no readable content. APIs check them by introspection.' },
};

function appValuesFrom(form: FormFields): AppValues {
  return {
    name: form.text('name'),
    description: form.text('description'),
    token_type: form.text('token_type'),
    access_token_ttl: form.text('access_token_ttl'),
    subscriptions: form.all('subscriptions'),
    require_dpop: form.text('require_dpop') === 'true',
  };
}

function appValuesOf(app: ApplicationDetail): AppValues {
  return {
    name: app.name,
    description: app.description,
    token_type: app.token_type,
    access_token_ttl: String(app.access_token_ttl),
    subscriptions: app.subscriptions,
    require_dpop: app.require_dpop,
  };
}

function appInputFrom(values: AppValues, errors: FieldErrors): ApplicationInput | undefined {
  if (!values.name.trim()) errors['name'] = 'Enter a name.';
  if (!(TOKEN_TYPES as readonly string[]).includes(values.token_type)) errors['token_type'] = 'Choose JWT or OAuth.';
  const ttl = parseSeconds(values.access_token_ttl, 'access_token_ttl', errors);
  if (hasErrors(errors) || ttl === undefined) return undefined;
  return {
    name: values.name,
    description: values.description,
    token_type: values.token_type as TokenType,
    access_token_ttl: ttl,
    subscriptions: values.subscriptions,
    require_dpop: values.require_dpop,
  };
}

function keyTypeParam(ctx: Context): KeyType {
  const value = ctx.params['keyType'] ?? '';
  if (!isKeyType(value)) throw notFound('There is no such key type.');
  return value;
}

/** New credentials as the page shows them once: key, secret, first tokens (or why none). */
function oneTimeResult(
  type: KeyType,
  kind: 'generated' | 'regenerated' | 'rotated',
  issued: IssuedCredentials,
): { type: KeyType } & OneTimeResult {
  return {
    type,
    kind,
    consumerKey: issued.key_set.consumer_key,
    consumerSecret: issued.consumer_secret,
    tokens: issued.tokens,
    ...(issued.key_set.previous_secret_expires_at ? { previousUntil: issued.key_set.previous_secret_expires_at } : {}),
    ...(issued.token_error ? { tokenError: sentence(issued.token_error.description) } : {}),
  };
}

/** A key set's validity period and scopes as submitted, with what is wrong with them. */
function keySetForm(form: FormFields): { values: KeyFormValues; errors: FieldErrors; ttl: number | undefined } {
  const values = { access_token_ttl: form.text('access_token_ttl'), scopes: form.all('scopes') };
  const errors: FieldErrors = {};
  const ttl = parseSeconds(values.access_token_ttl, 'access_token_ttl', errors);
  if (!values.scopes.length) errors['scopes'] = 'Choose at least one scope.';
  return { values, errors, ttl };
}

/** The one-time secret must not stay in any cache or history store. */
function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
}

export function applicationPages(router: Router, p: Portal): void {
  const { apps } = p;

  const ttlHint = () => {
    const max = apps.maxAccessTokenTtl;
    return max > 0
      ? `Seconds, at most ${max} on this server.`
      : 'Seconds. Use -1 for tokens that never expire.';
  };

  async function formPage(ctx: Context, o: { app?: ApplicationDetail; values: AppValues; errors: FieldErrors; status?: number }) {
    const apis = await subscribableFor(p, ctx, await apps.subscribableApis());
    renderPage(p, ctx, 'applications/form', {
      title: o.app ? `Edit ${o.app.name}` : 'Create application',
      section: 'applications',
      app: o.app,
      values: o.values,
      errors: o.errors,
      apis,
      tokenTypes: TOKEN_TYPES.map((t) => ({ value: t, ...TOKEN_TYPE_INFO[t] })),
      ttlHint: ttlHint(),
    }, o.status);
  }

  async function showPage(ctx: Context, app: ApplicationDetail, o: ShowOptions = {}) {
    const subscribable = await apps.subscribableApis();
    const byId = new Map(subscribable.map((a) => [a.identifier, a]));
    const subscribed: Api[] = app.subscriptions.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    const missing = app.subscriptions.filter((id) => !byId.has(id));
    const requestedTab = typeof ctx.query['tab'] === 'string' && isKeyType(ctx.query['tab']) ? ctx.query['tab'] : undefined;
    const tab = o.tab ?? requestedTab ?? 'production';

    const panels = KEY_TYPES.map((type) => {
      const keySet = app.keys[type];
      const given = o.forms?.[type] ?? {};
      return {
        type,
        label: KEY_LABELS[type],
        claim: KEY_TYPE_CLAIM[type],
        keySet,
        // Only scopes of APIs still subscribed can be chosen; the rest is listed as such.
        scopeGroups: subscribed.filter((api) => api.scopes.length),
        generate: given.generate ?? { values: { access_token_ttl: String(app.access_token_ttl), scopes: [] }, errors: {} },
        token: given.token ?? { values: { scopes: keySet?.scopes ?? [] }, errors: {} },
        settings: given.settings ?? {
          values: { access_token_ttl: String(keySet?.access_token_ttl ?? app.access_token_ttl), scopes: keySet?.scopes ?? [] },
          errors: {},
        },
        result: o.result?.type === type ? o.result : undefined,
        // A refusal for a form this panel no longer shows (keys appeared or vanished meanwhile).
        notice: keySet ? given.generate?.errors['_form'] : (given.token ?? given.settings)?.errors['_form'],
      };
    });

    renderPage(p, ctx, 'applications/show', {
      title: app.name,
      section: 'applications',
      app,
      tab,
      subscribed,
      missing,
      panels,
      tokenType: TOKEN_TYPE_INFO[app.token_type],
      ttlHint: ttlHint(),
      tokenEndpoint: `${p.s.config.issuer}/token`,
      ...(await applicationExtras(p, ctx, app)),
    }, o.status);
  }

  router.get('/', (ctx) => seeOther(ctx, '/portal/applications'));

  router.get('/applications', async (ctx) => {
    const who = requirePrincipal(ctx);
    const q = listPageQuery(ctx.query);
    // A developer's list pages through their own applications only.
    const page = await apps.list(who.role === 'admin' ? q : { ...q, owner: who.username ?? '' });
    renderPage(p, ctx, 'applications/list', {
      title: 'Applications',
      section: 'applications',
      applications: page.rows,
      search: q.search ?? '',
      paged: q.after !== undefined,
      nextHref: page.next ? listPageHref(q.search, page.next) : null,
      firstHref: listPageHref(q.search),
      keyLabels: KEY_LABELS,
    });
  });

  router.get('/applications/new', async (ctx) => {
    await formPage(ctx, {
      values: { name: '', description: '', token_type: 'JWT', access_token_ttl: '3600', subscriptions: [], require_dpop: false },
      errors: {},
    });
  });

  router.post('/applications', async (ctx) => {
    const values = appValuesFrom(formOf(ctx));
    const errors: FieldErrors = {};
    const input = appInputFrom(values, errors);
    const owner = ownerFor(requirePrincipal(ctx));
    const app = input && (await collectErrors(errors, () => apps.create({ ...input, ...(owner ? { owner } : {}) })));
    if (!app) return formPage(ctx, { values, errors, status: 400 });
    audit(p, ctx, 'application.create', app.id, { name: app.name, format: app.token_type });
    await redirectWithFlash(p, ctx, `/portal/applications/${app.id}`, {
      kind: 'success',
      text: `${app.name} is ready. Generate production or sandbox keys below.`,
    });
  });

  router.get('/applications/:id', async (ctx) => {
    await showPage(ctx, await apps.get(ctx.params['id']!));
  });

  router.get('/applications/:id/edit', async (ctx) => {
    const app = await apps.get(ctx.params['id']!);
    await formPage(ctx, { app, values: appValuesOf(app), errors: {} });
  });

  router.post('/applications/:id', async (ctx) => {
    const app = await apps.get(ctx.params['id']!);
    const values = appValuesFrom(formOf(ctx));
    const errors: FieldErrors = {};
    const input = appInputFrom(values, errors);
    const saved = input && (await collectErrors(errors, () => apps.update(app.id, input)));
    if (!saved) return formPage(ctx, { app, values, errors, status: 400 });
    audit(p, ctx, 'application.update', app.id, { format: saved.token_type, subscriptions: saved.subscriptions });
    await redirectWithFlash(p, ctx, `/portal/applications/${app.id}`, {
      kind: 'success',
      text: 'Changes saved. New tokens of both key sets follow them.',
    });
  });

  router.get('/applications/:id/delete', async (ctx) => {
    const app = await apps.get(ctx.params['id']!);
    renderPage(p, ctx, 'applications/delete', { title: `Delete ${app.name}`, section: 'applications', app, keyLabels: KEY_LABELS });
  });

  router.post('/applications/:id/delete', async (ctx) => {
    const app = await apps.get(ctx.params['id']!);
    await apps.remove(app.id);
    audit(p, ctx, 'application.delete', app.id, { name: app.name });
    await redirectWithFlash(p, ctx, '/portal/applications', {
      kind: 'success',
      text: `${app.name} was deleted. Its keys and every token issued to them no longer work.`,
    });
  });

  router.post('/applications/:id/keys/:keyType', async (ctx) => {
    const type = keyTypeParam(ctx);
    const app = await apps.get(ctx.params['id']!);
    const { values, errors, ttl } = keySetForm(formOf(ctx));
    const issued = !hasErrors(errors) && ttl !== undefined
      ? await collectErrors(errors, () => apps.generateKeys(app.id, type, { scopes: values.scopes, access_token_ttl: ttl }))
      : undefined;
    if (!issued) return showPage(ctx, await apps.get(app.id), { tab: type, forms: { [type]: { generate: { values, errors } } }, status: 400 });
    audit(p, ctx, 'keys.generate', app.id, { key_type: type, client_id: issued.key_set.consumer_key, scopes: issued.key_set.scopes });
    noStore(ctx);
    await showPage(ctx, await apps.get(app.id), { tab: type, result: oneTimeResult(type, 'generated', issued) });
  });

  router.post('/applications/:id/keys/:keyType/token', async (ctx) => {
    const type = keyTypeParam(ctx);
    const app = await apps.get(ctx.params['id']!);
    const form = formOf(ctx);
    const values = { scopes: form.all('scopes') };
    const secret = form.text('client_secret').trim();
    const errors: FieldErrors = {};
    if (!secret) errors['client_secret'] = 'Enter the consumer secret of these keys.';
    if (!values.scopes.length) errors['scopes'] = 'Choose at least one scope.';
    const tokens = hasErrors(errors) ? undefined : await collectErrors(errors, () => apps.issueToken(app.id, type, secret, values.scopes));
    if (!tokens) return showPage(ctx, await apps.get(app.id), { tab: type, forms: { [type]: { token: { values, errors } } }, status: 400 });
    audit(p, ctx, 'keys.issue_token', app.id, { key_type: type, scopes: values.scopes });
    noStore(ctx);
    await showPage(ctx, app, {
      tab: type,
      result: { type, kind: 'token', consumerKey: app.keys[type]?.consumer_key ?? '', tokens },
    });
  });

  router.post('/applications/:id/keys/:keyType/secret', async (ctx) => {
    const type = keyTypeParam(ctx);
    const issued = await apps.regenerateSecret(ctx.params['id']!, type);
    audit(p, ctx, 'keys.regenerate_secret', ctx.params['id'], { key_type: type, client_id: issued.key_set.consumer_key });
    noStore(ctx);
    await showPage(ctx, await apps.get(ctx.params['id']!), { tab: type, result: oneTimeResult(type, 'regenerated', issued) });
  });

  router.post('/applications/:id/keys/:keyType/rotate-secret', async (ctx) => {
    const type = keyTypeParam(ctx);
    const hours = formOf(ctx).text('grace_hours').trim() || '24';
    if (!/^\d{1,3}$/.test(hours) || Number(hours) > MAX_GRACE_SECONDS / 3600) {
      throw new HttpError(400, 'invalid_request', `The grace period is a whole number of hours from 0 to ${MAX_GRACE_SECONDS / 3600}.`);
    }
    const issued = await apps.rotateSecret(ctx.params['id']!, type, Number(hours) * 3600);
    audit(p, ctx, 'keys.rotate_secret', ctx.params['id'], { key_type: type, client_id: issued.key_set.consumer_key, grace_seconds: Number(hours) * 3600 });
    noStore(ctx);
    await showPage(ctx, await apps.get(ctx.params['id']!), { tab: type, result: oneTimeResult(type, 'rotated', issued) });
  });

  router.post('/applications/:id/keys/:keyType/end-previous-secret', async (ctx) => {
    const type = keyTypeParam(ctx);
    const keySet = await apps.endPreviousSecret(ctx.params['id']!, type);
    audit(p, ctx, 'keys.end_previous_secret', ctx.params['id'], { key_type: type, client_id: keySet.consumer_key });
    await showPage(ctx, await apps.get(ctx.params['id']!), { tab: type });
  });

  router.post('/applications/:id/keys/:keyType/settings', async (ctx) => {
    const type = keyTypeParam(ctx);
    const app = await apps.get(ctx.params['id']!);
    const { values, errors, ttl } = keySetForm(formOf(ctx));
    const saved = !hasErrors(errors) && ttl !== undefined
      ? await collectErrors(errors, () => apps.updateKeySet(app.id, type, { scopes: values.scopes, access_token_ttl: ttl }))
      : undefined;
    if (!saved) return showPage(ctx, await apps.get(app.id), { tab: type, forms: { [type]: { settings: { values, errors } } }, status: 400 });
    audit(p, ctx, 'keys.update', app.id, { key_type: type, scopes: saved.scopes, validity_seconds: saved.access_token_ttl });
    await redirectWithFlash(p, ctx, `/portal/applications/${app.id}?tab=${type}`, {
      kind: 'success',
      text: `${KEY_LABELS[type]} scopes and validity period saved. New tokens use them.`,
    });
  });

  router.post('/applications/:id/keys/:keyType/revoke', async (ctx) => {
    const type = keyTypeParam(ctx);
    const id = ctx.params['id']!;
    const revoked = await apps.revokeTokens(id, type);
    audit(p, ctx, 'keys.revoke_tokens', id, { key_type: type, revoked });
    await redirectWithFlash(p, ctx, `/portal/applications/${id}?tab=${type}`, {
      kind: 'success',
      text: revoked === 1
        ? `1 ${type} token was revoked.`
        : `${revoked} ${type} tokens were revoked.`,
    });
  });

  router.post('/applications/:id/keys/:keyType/remove', async (ctx) => {
    const type = keyTypeParam(ctx);
    const id = ctx.params['id']!;
    await apps.removeKeySet(id, type);
    audit(p, ctx, 'keys.remove', id, { key_type: type });
    await redirectWithFlash(p, ctx, `/portal/applications/${id}?tab=${type}`, {
      kind: 'success',
      text: `The ${type} keys were removed and their tokens revoked.`,
    });
  });
}
