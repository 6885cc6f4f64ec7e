import type Router from '@koa/router';
import type { Context, Next } from 'koa';

import { createApiSchema, SCOPE_TOKEN, type Api, type ScopeInput } from '../apis/index.js';
import { compile, HttpError, notFound } from '../http/index.js';
import { SIGNING_ALGS, type SigningAlg } from '../consts/index.js';
import { audit, formOf, redirectWithFlash, renderPage, requireAdminRole, type Portal } from './context.js';
import type { FormFields } from './form.js';
import { collectErrors, hasErrors, type FieldErrors } from './form-errors.js';

interface ApiValues {
  identifier: string;
  name: string;
  signing_alg: string;
  scopes: { name: string; description: string }[];
}

const validIdentifier = compile<string>(createApiSchema.properties.identifier);
const scopeToken = new RegExp(SCOPE_TOKEN);
/** Blank rows offered for new scopes when the page works without JavaScript. */
const SPARE_ROWS = 2;

function valuesFrom(form: FormFields): ApiValues {
  const names = form.all('scope_name');
  const descriptions = form.all('scope_description');
  const scopes = names.map((name, i) => ({ name: name.trim(), description: (descriptions[i] ?? '').trim() }))
    .filter((s) => s.name || s.description);
  return {
    identifier: form.text('identifier').trim(),
    name: form.text('name').trim(),
    signing_alg: form.text('signing_alg'),
    scopes,
  };
}

function valuesOf(api: Api): ApiValues {
  return {
    identifier: api.identifier,
    name: api.name,
    signing_alg: api.signing_alg,
    scopes: api.scopes.map((s) => ({ name: s.name, description: s.description })),
  };
}

function checkValues(v: ApiValues, creating: boolean, errors: FieldErrors): ScopeInput[] {
  if (creating) {
    if (!v.identifier) errors['identifier'] = 'Enter an identifier, e.g. https://api.example.com/orders.';
    else if (!validIdentifier(v.identifier)) {
      errors['identifier'] = 'Use an absolute URI such as https://api.example.com/orders, without a #fragment.';
    }
  }
  if (!v.name) errors['name'] = 'Enter a name.';
  else if (v.name.length > 200) errors['name'] = 'Use at most 200 characters.';
  if (!(SIGNING_ALGS as readonly string[]).includes(v.signing_alg)) errors['signing_alg'] = 'Choose a signing algorithm.';
  const seen = new Set<string>();
  for (const s of v.scopes) {
    if (!s.name) errors['scopes'] = 'Give every scope a name, or clear its description.';
    else if (!scopeToken.test(s.name)) errors['scopes'] = `“${s.name}” cannot be a scope name: no spaces, quotes or backslashes.`;
    else if (seen.has(s.name)) errors['scopes'] = `${s.name} is listed twice.`;
    else if (s.description.length > 500) errors['scopes'] = `The description of ${s.name} is longer than 500 characters.`;
    if (errors['scopes']) break;
    seen.add(s.name);
  }
  return v.scopes.map((s) => ({ name: s.name, ...(s.description ? { description: s.description } : {}) }));
}

export function apiPages(router: Router, p: Portal): void {
  const { registry } = p.s;

  async function adminOnly(ctx: Context, next: Next) {
    if (!requireAdminRole(ctx)) throw new HttpError(403, 'forbidden', 'Only administrators can create or change APIs.');
    await next();
  }

  async function editable(ctx: Context): Promise<Api> {
    await registry.refresh();
    const id = typeof ctx.query['id'] === 'string' ? ctx.query['id'] : '';
    const api = registry.get(id);
    if (!api) throw notFound('There is no such API.');
    if (api.system) throw new HttpError(403, 'forbidden', 'The management API is built in and cannot be changed here.');
    return api;
  }

  function formPage(ctx: Context, o: { api?: Api; values: ApiValues; errors: FieldErrors; status?: number }) {
    renderPage(p, ctx, 'apis/form', {
      title: o.api ? `Edit ${o.api.name}` : 'Create API',
      section: 'apis',
      api: o.api,
      values: o.values,
      rows: [...o.values.scopes, ...Array.from({ length: SPARE_ROWS }, () => ({ name: '', description: '' }))],
      errors: o.errors,
      algs: SIGNING_ALGS,
      action: o.api ? `/portal/apis/edit?id=${encodeURIComponent(o.api.identifier)}` : '/portal/apis',
    }, o.status);
  }

  router.get('/apis', async (ctx) => {
    await registry.refresh();
    renderPage(p, ctx, 'apis/list', {
      title: 'APIs',
      section: 'apis',
      apis: registry.list(),
      isAdmin: requireAdminRole(ctx),
      published: await p.s.accounts.publications.published(),
    });
  });

  router.get('/apis/new', adminOnly, (ctx) => {
    formPage(ctx, { values: { identifier: '', name: '', signing_alg: p.s.config.defaultSigningAlg, scopes: [] }, errors: {} });
  });

  router.post('/apis', adminOnly, async (ctx) => {
    const values = valuesFrom(formOf(ctx));
    const errors: FieldErrors = {};
    const scopes = checkValues(values, true, errors);
    const api = hasErrors(errors) ? undefined : await collectErrors(errors, () => registry.create({
      identifier: values.identifier,
      name: values.name,
      signing_alg: values.signing_alg as SigningAlg,
      scopes,
    }));
    if (!api) {
      return formPage(ctx, { values, errors, status: 400 });
    }
    await p.s.holder.refresh();
    audit(p, ctx, 'api.create', api.identifier, { scopes: api.scopes.map((s) => s.name) });
    await redirectWithFlash(p, ctx, '/portal/apis', { kind: 'success', text: `${api.name} was created.` });
  });

  router.get('/apis/edit', adminOnly, async (ctx) => {
    const api = await editable(ctx);
    formPage(ctx, { api, values: valuesOf(api), errors: {} });
  });

  router.post('/apis/edit', adminOnly, async (ctx) => {
    const api = await editable(ctx);
    const values = { ...valuesFrom(formOf(ctx)), identifier: api.identifier };
    const errors: FieldErrors = {};
    const scopes = checkValues(values, false, errors);
    const saved = hasErrors(errors) ? undefined : await collectErrors(errors, () => registry.update(api.identifier, {
      name: values.name,
      signing_alg: values.signing_alg as SigningAlg,
      scopes,
    }));
    if (!saved) {
      return formPage(ctx, { api, values, errors, status: 400 });
    }
    await p.s.holder.refresh();
    audit(p, ctx, 'api.update', saved.identifier, { scopes: saved.scopes.map((s) => s.name) });
    await redirectWithFlash(p, ctx, '/portal/apis', { kind: 'success', text: `${saved.name} was saved.` });
  });
}
