import type Router from '@koa/router';
import type { Context } from 'koa';

import { SCOPE_TOKEN, SCOPE_TOKEN_WORDS } from '../apis/index.js';
import {
  applicationsOf, isKeyType, KEY_TYPE_CLAIM, KEY_TYPES, TOKEN_TYPES,
  type ApplicationDetail, type ApplicationInput, type ApplicationSummary, type IssuedCredentials,
  type KeySet, type KeySetInput, type KeyType,
} from '../applications/index.js';
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS } from '../applications/secret-rotation.js';
import { assertValid, compile, notFound, readJson } from '../http/index.js';
import type { Services } from '../services.js';

const applicationProperties = {
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

export function presentKeySet(k: KeySet) {
  return {
    key_type: KEY_TYPE_CLAIM[k.key_type],
    consumer_key: k.consumer_key,
    scopes: k.scopes,
    access_token_ttl: k.access_token_ttl,
    created_at: k.created_at,
    secret_updated_at: k.secret_updated_at,
    ...(k.previous_secret_expires_at ? { previous_secret_expires_at: k.previous_secret_expires_at } : {}),
    dpop_bound: k.dpop_bound,
  };
}

export function presentApplication(a: ApplicationSummary | ApplicationDetail) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    token_type: a.token_type,
    access_token_ttl: a.access_token_ttl,
    subscriptions: a.subscriptions,
    require_dpop: a.require_dpop,
    key_sets: a.key_sets.map((k) => KEY_TYPE_CLAIM[k]),
    ...(a.deleting ? { deleting: true } : {}),
    ...('keys' in a
      ? {
          keys: {
            production: a.keys.production && presentKeySet(a.keys.production),
            sandbox: a.keys.sandbox && presentKeySet(a.keys.sandbox),
          },
        }
      : {}),
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

function presentCredentials(c: IssuedCredentials) {
  return {
    ...presentKeySet(c.key_set),
    consumer_secret: c.consumer_secret,
    tokens: c.tokens,
    ...(c.token_error ? { token_error: c.token_error } : {}),
  };
}

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
  const apps = applicationsOf(s);
  const base = `${s.config.issuer}/api/applications`;

  router.get('/applications', async (ctx) => {
    ctx.body = { applications: (await apps.list()).map(presentApplication) };
  });

  router.post('/applications', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateCreate, body);
    const app = await apps.create(body);
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

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = ref('Error');
const errors = {
  400: { description: 'Invalid request; the description names the field', ...json(error) },
  401: { description: 'Missing or invalid bearer token', ...json(error) },
  403: { description: 'The token lacks the admin scope', ...json(error) },
  404: { description: 'No such application or key set', ...json(error) },
};
const conflictResponse = { 409: { description: 'Conflict (name taken, keys already generated, being deleted)', ...json(error) } };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const keyTypeParam = {
  name: 'keyType', in: 'path', required: true, schema: { type: 'string', enum: [...KEY_TYPES] },
};
const keyDate = { type: 'string', format: 'date-time' };

export const applicationsOpenApi = {
  paths: {
    '/applications': {
      get: {
        summary: 'List applications',
        responses: { 200: { description: 'Applications (without key details)', ...json({ type: 'object', properties: { applications: { type: 'array', items: ref('Application') } } }) }, ...errors },
      },
      post: {
        summary: 'Create an application',
        requestBody: { required: true, ...json(createApplicationSchema) },
        responses: { 201: { description: 'Created', ...json(ref('Application')) }, ...conflictResponse, ...errors },
      },
    },
    '/applications/{id}': {
      parameters: [idParam],
      get: { summary: 'Read an application with its key sets', responses: { 200: { description: 'The application', ...json(ref('Application')) }, ...errors } },
      patch: {
        summary: 'Update an application; token type, validity period and subscriptions apply to its key sets\' new tokens, and tokens for an unsubscribed API are revoked',
        requestBody: { required: true, ...json(updateApplicationSchema) },
        responses: { 200: { description: 'Updated', ...json(ref('Application')) }, ...conflictResponse, ...errors },
      },
      delete: { summary: 'Delete an application, its key sets and (revoked) tokens', responses: { 204: { description: 'Deleted' }, ...errors } },
    },
    '/applications/{id}/keys/{keyType}': {
      parameters: [idParam, keyTypeParam],
      post: {
        summary: 'Generate keys: a new OAuth client for this key type and a first access token (one per API). The secret is shown only here.',
        requestBody: { required: true, ...json(generateKeysSchema) },
        responses: { 201: { description: 'Keys and token', ...json(ref('Credentials')) }, ...conflictResponse, ...errors },
      },
      get: { summary: 'Read a key set', responses: { 200: { description: 'The key set', ...json(ref('KeySet')) }, ...errors } },
      patch: {
        summary: 'Change the scopes or validity period of a key set (its secret and tokens stay)',
        requestBody: { required: true, ...json(updateKeySetSchema) },
        responses: { 200: { description: 'Updated', ...json(ref('KeySet')) }, ...errors },
      },
      delete: { summary: 'Remove a key set: its client is deleted and its tokens revoked', responses: { 204: { description: 'Removed' }, ...errors } },
    },
    '/applications/{id}/keys/{keyType}/regenerate-secret': {
      parameters: [idParam, keyTypeParam],
      post: {
        summary: 'Regenerate the consumer secret: the old one stops working and every token of the key set is revoked; returns a first token',
        responses: { 200: { description: 'New secret and token', ...json(ref('Credentials')) }, ...errors },
      },
    },
    '/applications/{id}/keys/{keyType}/rotate-secret': {
      parameters: [idParam, keyTypeParam],
      post: {
        summary: 'Rotate the consumer secret without downtime: a new secret works at once, the current one keeps working until grace_seconds (default 24 h) end; issued tokens stay valid; returns a first token',
        requestBody: { required: false, ...json(rotateSecretSchema) },
        responses: { 200: { description: 'New secret and token; previous_secret_expires_at says when the old one stops', ...json(ref('Credentials')) }, ...errors },
      },
    },
    '/applications/{id}/keys/{keyType}/end-previous-secret': {
      parameters: [idParam, keyTypeParam],
      post: {
        summary: 'End a rotation\'s grace period now: the previous secret stops working',
        responses: { 200: { description: 'The key set', ...json(ref('KeySet')) }, ...errors },
      },
    },
    '/applications/{id}/keys/{keyType}/token': {
      parameters: [idParam, keyTypeParam],
      post: {
        summary: 'Issue an access token through the token endpoint with the key set\'s credentials (the secret is not stored, so it is sent here); one token per API',
        requestBody: { required: true, ...json(newTokenSchema) },
        responses: { 200: { description: 'Tokens', ...json({ type: 'object', properties: { tokens: { type: 'array', items: ref('IssuedToken') } } }) }, ...errors },
      },
    },
    '/applications/{id}/keys/{keyType}/revoke': {
      parameters: [idParam, keyTypeParam],
      post: {
        summary: 'Revoke every token of the key set',
        responses: { 200: { description: 'How many tokens were revoked', ...json({ type: 'object', properties: { revoked: { type: 'integer' } } }) }, ...errors },
      },
    },
  },
  schemas: {
    Application: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        ...applicationProperties,
        key_sets: { type: 'array', items: { type: 'string', enum: ['PRODUCTION', 'SANDBOX'] } },
        deleting: { type: 'boolean', description: 'Present when a delete was interrupted' },
        keys: {
          type: 'object',
          description: 'Only when reading one application',
          properties: { production: { oneOf: [ref('KeySet'), { type: 'null' }] }, sandbox: { oneOf: [ref('KeySet'), { type: 'null' }] } },
        },
        created_at: keyDate,
        updated_at: keyDate,
      },
    },
    KeySet: {
      type: 'object',
      properties: {
        key_type: { type: 'string', enum: ['PRODUCTION', 'SANDBOX'] },
        consumer_key: { type: 'string', description: 'The OAuth client_id' },
        scopes: { type: 'array', items: { type: 'string' } },
        access_token_ttl: { type: 'integer' },
        created_at: keyDate,
        secret_updated_at: keyDate,
        previous_secret_expires_at: { ...keyDate, description: 'During a secret rotation: when the previous secret stops working' },
        dpop_bound: { type: 'boolean', description: 'Tokens are DPoP-bound (RFC 9449): requests need a DPoP proof' },
      },
    },
    IssuedToken: {
      type: 'object',
      properties: {
        api: { type: 'string', description: 'The API identifier: the token\'s audience' },
        api_name: { type: 'string' },
        access_token: { type: 'string' },
        token_type: { type: 'string' },
        expires_in: { type: 'integer', description: 'Absent when the token never expires' },
        scope: { type: 'string' },
      },
    },
    Credentials: {
      allOf: [
        ref('KeySet'),
        {
          type: 'object',
          properties: {
            consumer_secret: { type: 'string', description: 'Shown only in this response' },
            tokens: { type: 'array', items: ref('IssuedToken') },
            token_error: { type: 'object', properties: { code: { type: 'string' }, description: { type: 'string' } } },
          },
        },
      ],
    },
  },
};
