import type Router from '@koa/router';
import type { Context } from 'koa';

import { assertValid, compile } from '../http/index.js';
import {
  createInitialAccessTokenSchema, TOKEN_FORMATS, type CreateInitialAccessToken, type InitialAccessTokenView,
} from '../registration/index.js';
import { adminPagesOnly, noStore } from './admin-only.js';
import { audit, formOf, redirectWithFlash, renderPage, type Portal } from './context.js';
import type { FormFields } from './form.js';
import { collectErrors, hasErrors, type FieldErrors } from './form-errors.js';
import { policyView } from './policy-view.js';

const validateCreate = compile<CreateInitialAccessToken>(createInitialAccessTokenSchema);

/** Lifetimes offered; a select rather than free seconds keeps the form short and the choice clear. */
const EXPIRY_CHOICES = [
  { seconds: 3_600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 604_800, label: '7 days' },
  { seconds: 2_592_000, label: '30 days' },
  { seconds: 31_536_000, label: '1 year' },
];
const DEFAULT_EXPIRY = '86400';
const MAX_USES = 1_000_000;
const MAX_TTL = createInitialAccessTokenSchema.properties.max_access_token_ttl.maximum;

const FORMAT_INFO: Record<string, { title: string; text: string }> = {
  jwt: { title: 'JWT', text: 'Signed RFC 9068 tokens, verifiable with the published keys.' },
  opaque: { title: 'Opaque', text: 'Random reference tokens, checked by introspection.' },
};

interface IatValues {
  allowed_apis: string[];
  allowed_scopes: string[];
  token_formats: string[];
  max_access_token_ttl: string;
  max_uses: string;
  unlimited: boolean;
  expires_in: string;
  description: string;
}

const blankValues = (): IatValues => ({
  allowed_apis: [], allowed_scopes: [], token_formats: [...TOKEN_FORMATS], max_access_token_ttl: '',
  max_uses: '1', unlimited: false, expires_in: DEFAULT_EXPIRY, description: '',
});

function valuesFrom(form: FormFields): IatValues {
  return {
    allowed_apis: form.all('allowed_apis'),
    allowed_scopes: form.all('allowed_scopes'),
    token_formats: form.all('token_formats'),
    max_access_token_ttl: form.text('max_access_token_ttl').trim(),
    max_uses: form.text('max_uses').trim(),
    unlimited: form.has('unlimited'),
    expires_in: form.text('expires_in'),
    description: form.text('description').trim(),
  };
}

/** The form as the management API's body; what is wrong lands next to its field. */
function inputFrom(v: IatValues, errors: FieldErrors): CreateInitialAccessToken | undefined {
  if (!v.allowed_apis.length && !v.allowed_scopes.length) errors['allowed'] = 'Choose at least one API or scope.';
  if (!v.token_formats.length) errors['token_formats'] = 'Choose at least one token format.';
  let ttl: number | undefined;
  if (v.max_access_token_ttl) {
    ttl = /^\d{1,10}$/.test(v.max_access_token_ttl) ? Number(v.max_access_token_ttl) : NaN;
    if (!(ttl >= 1 && ttl <= MAX_TTL)) errors['max_access_token_ttl'] = 'Enter a whole number of seconds, e.g. 3600, or leave it empty.';
  }
  let uses: number | null = null;
  if (!v.unlimited) {
    uses = /^\d{1,7}$/.test(v.max_uses) ? Number(v.max_uses) : NaN;
    if (!(uses >= 1 && uses <= MAX_USES)) errors['max_uses'] = `Enter a number of registrations from 1 to ${MAX_USES}, or choose unlimited.`;
  }
  const expiry = EXPIRY_CHOICES.find((c) => String(c.seconds) === v.expires_in);
  if (!expiry) errors['expires_in'] = 'Choose how long the token stays valid.';
  if (v.description.length > 200) errors['description'] = 'Use at most 200 characters.';
  if (hasErrors(errors)) return undefined;
  const body = {
    ...(v.allowed_apis.length ? { allowed_apis: v.allowed_apis } : {}),
    ...(v.allowed_scopes.length ? { allowed_scopes: v.allowed_scopes } : {}),
    token_formats: v.token_formats,
    ...(ttl ? { max_access_token_ttl: ttl } : {}),
    max_uses: uses,
    expires_in: expiry!.seconds,
    ...(v.description ? { description: v.description } : {}),
  };
  // The same schema the management API validates with; unknown formats and the like stop here.
  assertValid(validateCreate, body);
  return body;
}

export function registrationPages(router: Router, p: Portal): void {
  const iats = p.s.initialAccessTokens;

  async function page(
    ctx: Context,
    o: { values?: IatValues; errors?: FieldErrors; created?: { value: string; view: InitialAccessTokenView }; status?: number } = {},
  ) {
    await p.s.registry.refresh();
    const tokens = (await iats.list({ limit: 500 })).rows.sort((a, b) => (b.created_at?.getTime() ?? 0) - (a.created_at?.getTime() ?? 0));
    const apis = p.s.registry.list().filter((a) => !a.system);
    renderPage(p, ctx, 'registration/list', {
      title: 'Registration',
      section: 'registration',
      tokens: tokens.map((t) => ({ ...t, policy: policyView(t, p.s.registry) })),
      apis,
      formats: TOKEN_FORMATS.map((f) => ({ value: f, ...FORMAT_INFO[f]! })),
      expiries: EXPIRY_CHOICES,
      values: o.values ?? blankValues(),
      errors: o.errors ?? {},
      created: o.created ? {
        value: o.created.value,
        view: o.created.view,
        // A scope the token allows, for the ready-to-run registration line.
        exampleScope: o.created.view.allowed_scopes?.[0]
          ?? apis.find((a) => o.created!.view.allowed_apis?.includes(a.identifier))?.scopes[0]?.name ?? 'SCOPE',
      } : undefined,
      registrationEndpoint: `${p.s.config.issuer}/reg`,
    }, o.status);
  }

  router.get('/initial-access-tokens', adminPagesOnly, async (ctx) => {
    await page(ctx);
  });

  router.post('/initial-access-tokens', adminPagesOnly, async (ctx) => {
    const values = valuesFrom(formOf(ctx));
    const errors: FieldErrors = {};
    const input = await collectErrors(errors, async () => inputFrom(values, errors));
    const created = input && (await collectErrors(errors, () => iats.create(input)));
    if (!created) return page(ctx, { values, errors, status: 400 });
    audit(p, ctx, 'initial_access_token.create', created.view.id, {
      ...(input.allowed_apis ? { allowed_apis: input.allowed_apis } : {}),
      ...(input.allowed_scopes ? { allowed_scopes: input.allowed_scopes } : {}),
      token_formats: input.token_formats,
      max_uses: input.max_uses,
      expires_in: input.expires_in,
    });
    noStore(ctx);
    await page(ctx, { created });
  });

  router.post('/initial-access-tokens/:id/delete', adminPagesOnly, async (ctx) => {
    const id = ctx.params['id']!;
    await iats.delete(id);
    audit(p, ctx, 'initial_access_token.delete', id);
    await redirectWithFlash(p, ctx, '/portal/initial-access-tokens', {
      kind: 'success',
      text: 'The initial access token was deleted. Clients it registered keep working.',
    });
  });
}
