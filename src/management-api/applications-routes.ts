import type Router from '@koa/router';
import type { Context } from 'koa';

import { assertSubscribable, principalOfApi } from '../accounts/api-access.js';
import { ownerFor } from '../accounts/principal.js';
import { SCOPE_TOKEN, SCOPE_TOKEN_WORDS } from '../apis/index.js';
import {
  DEFAULT_GRACE_SECONDS, isKeyType, KEY_TYPES, MAX_GRACE_SECONDS, TOKEN_TYPES, type ApplicationInput, type KeySetInput, type KeyType,
} from '../applications/index.js';
import { assertValid, compile, notFound, readJson } from '../http/index.js';
import type { Services } from '../services.js';
import { listApplications } from './applications-list.js';
import { presentApplication, presentCredentials, presentKeySet } from './applications-presenters.js';

export const applicationProperties = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  description: { type: 'string', maxLength: 1000 },
  token_type: { type: 'string', enum: [...TOKEN_TYPES], description: 'JWT, or OAuth for opaque tokens' },
  access_token_ttl: {
    type: 'integer',
    description: 'Seconds; negative means tokens never expire (where the server allows it)',
  },
  subscriptions: {
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 500 },
    maxItems: 100,
    uniqueItems: true,
    description: 'Identifiers of the APIs the application subscribes to',
  },
  require_dpop: {
    type: 'boolean',
    description: 'Key sets get DPoP-bound tokens only (RFC 9449): a token request without a DPoP proof is refused',
  },
} as const;

const scopes = {
  type: 'array',
  items: { type: 'string', pattern: SCOPE_TOKEN, expects: SCOPE_TOKEN_WORDS },
  maxItems: 500,
  uniqueItems: true,
} as const;

export const createApplicationSchema = {
  type: 'object',
  properties: applicationProperties,
  required: ['name', 'token_type'],
  additionalProperties: false,
} as const;

export const updateApplicationSchema = {
  type: 'object',
  properties: applicationProperties,
  additionalProperties: false,
  minProperties: 1,
} as const;

export const generateKeysSchema = {
  type: 'object',
  properties: {
    scopes: { ...scopes, minItems: 1, description: 'Scopes of subscribed APIs' },
    access_token_ttl: { ...applicationProperties.access_token_ttl, description: 'Defaults to the application\'s' },
  },
  required: ['scopes'],
  additionalProperties: false,
} as const;

export const updateKeySetSchema = {
  type: 'object',
  properties: generateKeysSchema.properties,
  additionalProperties: false,
  minProperties: 1,
} as const;

export const newTokenSchema = {
  type: 'object',
  properties: {
    client_secret: { type: 'string', minLength: 1, maxLength: 500, description: 'The consumer secret of the key set' },
    scopes: { ...scopes, minItems: 1, description: 'Defaults to all scopes of the key set' },
  },
  required: ['client_secret'],
  additionalProperties: false,
} as const;

const validateCreate = compile<ApplicationInput>(createApplicationSchema);
const validateUpdate = compile<Partial<ApplicationInput>>(updateApplicationSchema);
const validateGenerate = compile<KeySetInput>(generateKeysSchema);
const validateKeySetPatch = compile<Partial<KeySetInput>>(updateKeySetSchema);
export const rotateSecretSchema = {
  type: 'object',
  properties: {
    grace_seconds: {
      type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS,
      description: `How long the current secret keeps working beside the new one (default ${DEFAULT_GRACE_SECONDS}: 24 h)`,
    },
  },
  additionalProperties: false,
} as const;
export const validateRotateSecret = compile<{ grace_seconds?: number }>(rotateSecretSchema);

const validateNewToken = compile<{ client_secret: string; scopes?: string[] }>(newTokenSchema);

function keyTypeOf(ctx: Context): KeyType {
  const value = ctx.params['keyType'] ?? '';
  if (!isKeyType(value)) throw notFound(`unknown key type ${value}; use ${KEY_TYPES.join(' or ')}`);
  return value;
}

/** Secrets and tokens in a response must not outlive it in any cache. */
function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
}

/** Applications and their production/sandbox key sets. */
export function applicationRoutes(router: Router, s: Services): void {
  const apps = s.applications;
  const base = `${s.config.issuer}/api/applications`;

  router.get('/applications', async (ctx) => {
    const who = principalOfApi(ctx);
    const mine = who && who.role !== 'admin' ? { owner: who.username ?? '' } : {};
    await listApplications(ctx, apps, base, presentApplication, mine);
  });

  router.post('/applications', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateCreate, body);
    const who = principalOfApi(ctx);
    await assertSubscribable(s.accounts.publications, who, body.subscriptions);
    const owner = who && ownerFor(who);
    const app = await apps.create({ ...body, ...(owner ? { owner } : {}) });
    ctx.status = 201;
    ctx.set('Location', `${base}/${app.id}`);
    ctx.body = presentApplication(app);
  });

  router.get('/applications/:id', async (ctx) => {
    ctx.body = presentApplication(await apps.get(ctx.params['id']!));
  });

  router.patch('/applications/:id', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateUpdate, body);
    const current = await apps.get(ctx.params['id']!);
    await assertSubscribable(s.accounts.publications, principalOfApi(ctx), body.subscriptions, current.subscriptions);
    ctx.body = presentApplication(await apps.update(ctx.params['id']!, body));
  });

  router.delete('/applications/:id', async (ctx) => {
    await apps.remove(ctx.params['id']!);
    ctx.status = 204;
  });

  router.post('/applications/:id/keys/:keyType', async (ctx) => {
    const type = keyTypeOf(ctx);
    const body = await readJson(ctx);
    assertValid(validateGenerate, body);
    const issued = await apps.generateKeys(ctx.params['id']!, type, body);
    noStore(ctx);
    ctx.status = 201;
    ctx.set('Location', `${base}/${ctx.params['id']!}/keys/${type}`);
    ctx.body = presentCredentials(issued);
  });

  router.get('/applications/:id/keys/:keyType', async (ctx) => {
    const type = keyTypeOf(ctx);
    const keySet = (await apps.get(ctx.params['id']!)).keys[type];
    if (!keySet) throw notFound(`the application has no ${type} keys`);
    ctx.body = presentKeySet(keySet);
  });

  router.patch('/applications/:id/keys/:keyType', async (ctx) => {
    const type = keyTypeOf(ctx);
    const body = await readJson(ctx);
    assertValid(validateKeySetPatch, body);
    ctx.body = presentKeySet(await apps.updateKeySet(ctx.params['id']!, type, body));
  });

  router.delete('/applications/:id/keys/:keyType', async (ctx) => {
    await apps.removeKeySet(ctx.params['id']!, keyTypeOf(ctx));
    ctx.status = 204;
  });

  router.post('/applications/:id/keys/:keyType/regenerate-secret', async (ctx) => {
    const issued = await apps.regenerateSecret(ctx.params['id']!, keyTypeOf(ctx));
    noStore(ctx);
    ctx.body = presentCredentials(issued);
  });

  router.post('/applications/:id/keys/:keyType/rotate-secret', async (ctx) => {
    const body = ctx.request.length ? await readJson(ctx) : {};
    assertValid(validateRotateSecret, body);
    const issued = await apps.rotateSecret(ctx.params['id']!, keyTypeOf(ctx), body.grace_seconds);
    noStore(ctx);
    ctx.body = presentCredentials(issued);
  });

  router.post('/applications/:id/keys/:keyType/end-previous-secret', async (ctx) => {
    ctx.body = presentKeySet(await apps.endPreviousSecret(ctx.params['id']!, keyTypeOf(ctx)));
  });

  router.post('/applications/:id/keys/:keyType/token', async (ctx) => {
    const type = keyTypeOf(ctx);
    const body = await readJson(ctx);
    assertValid(validateNewToken, body);
    const tokens = await apps.issueToken(ctx.params['id']!, type, body.client_secret, body.scopes);
    noStore(ctx);
    ctx.body = { tokens };
  });

  router.post('/applications/:id/keys/:keyType/revoke', async (ctx) => {
    const revoked = await apps.revokeTokens(ctx.params['id']!, keyTypeOf(ctx));
    ctx.body = { revoked };
  });
}
