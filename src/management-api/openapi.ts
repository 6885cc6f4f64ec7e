import { createApiSchema, updateApiSchema } from '../apis/index.js';
import { SIGNING_ALGS } from '../consts/index.js';
import { createInitialAccessTokenSchema, MAX_PAGE, TOKEN_FORMATS } from '../registration/index.js';
import { accountsOpenApi } from './accounts-openapi.js';
import { applicationsOpenApi } from './applications-openapi.js';
import { auditOpenApi } from './audit-routes.js';
import { listInitialAccessTokensOpenApi } from './initial-access-token-routes.js';
import { exportOpenApi } from './export-routes.js';
import { rotateSecretSchema } from './applications-routes.js';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = { $ref: '#/components/schemas/Error' };
const errors = {
  400: { description: 'Invalid request', ...json(error) },
  401: { description: 'Missing or invalid bearer token', ...json(error) },
  403: { description: 'The token lacks the admin scope', ...json(error) },
};
const idParam = {
  name: 'id', in: 'path', required: true, description: 'URL-encoded API identifier', schema: { type: 'string' },
};

// ---------- Dynamic registration governance: initial access tokens and every client ----------

const pathId = (description: string) => ({ name: 'id', in: 'path', required: true, description, schema: { type: 'string' } });
const clientRef = { $ref: '#/components/schemas/Client' };
const iatRef = { $ref: '#/components/schemas/InitialAccessToken' };
const clientNotFound = { 404: { description: 'No such client', ...json(error) } };

const registrationOpenApi = {
  paths: {
    '/initial-access-tokens': {
      get: {
        summary: 'List live initial access tokens (ids and policies; values are not kept)',
        responses: { 200: { description: 'Tokens', ...json({ type: 'object', properties: { initial_access_tokens: { type: 'array', items: iatRef } } }) }, ...errors },
      },
      post: {
        summary: 'Create an initial access token for dynamic registration, with its policy (value shown once)',
        description: 'Name what its clients may have with allowed_apis and/or allowed_scopes. Without expires_in it lasts a day; without max_uses it registers one client (null: unlimited). The policy is recorded on every client it registers and bounds its later RFC 7592 updates.',
        requestBody: { required: true, ...json(createInitialAccessTokenSchema) },
        responses: {
          201: { description: 'Created; initial_access_token is the value, shown only now', ...json({ allOf: [iatRef, { type: 'object', properties: { initial_access_token: { type: 'string' } }, required: ['initial_access_token'] }] }) },
          ...errors,
        },
      },
    },
    '/initial-access-tokens/{id}': {
      parameters: [pathId('Token id (a hash of its value)')],
      delete: { summary: 'Revoke an initial access token', responses: { 204: { description: 'Revoked' }, 404: { description: 'Not found', ...json(error) }, ...errors } },
    },
    '/clients': {
      get: {
        summary: 'List clients in client id order, a page at a time',
        description: 'A Link header with rel="next" (and the next cursor in the body) leads to the following page.',
        parameters: [
          { name: 'source', in: 'query', required: false, description: 'Only clients of this origin', schema: { type: 'string', enum: ['registration', 'application', 'system'] } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50 } },
          { name: 'after', in: 'query', required: false, description: 'The next cursor of the previous page', schema: { type: 'string' } },
        ],
        responses: {
          200: {
            description: 'A page of clients',
            ...json({ type: 'object', properties: { clients: { type: 'array', items: clientRef }, next: { type: ['string', 'null'], description: 'Cursor for the next page; null on the last one' } }, required: ['clients', 'next'] }),
          },
          ...errors,
        },
      },
    },
    '/clients/{id}': {
      parameters: [pathId('Client id')],
      get: { summary: 'Read a client', responses: { 200: { description: 'The client', ...json(clientRef) }, ...clientNotFound, ...errors } },
      delete: {
        summary: 'Delete a client: its tokens are revoked and its registration access tokens removed',
        responses: { 204: { description: 'Deleted' }, ...clientNotFound, ...errors },
      },
    },
    '/clients/{id}/disable': {
      parameters: [pathId('Client id')],
      post: {
        summary: 'Disable a client: it can no longer authenticate (invalid_client) and its tokens are revoked',
        responses: { 200: { description: 'The client, disabled', ...json(clientRef) }, ...clientNotFound, ...errors },
      },
    },
    '/clients/{id}/enable': {
      parameters: [pathId('Client id')],
      post: { summary: 'Enable a disabled client; tokens revoked on disabling stay revoked', responses: { 200: { description: 'The client, enabled', ...json(clientRef) }, ...clientNotFound, ...errors } },
    },
    '/clients/{id}/rotate-secret': {
      parameters: [pathId('Client id')],
      post: {
        summary: 'Rotate the client secret without downtime: the new secret works at once, the current one until grace_seconds (default 24 h) end',
        requestBody: { required: false, ...json(rotateSecretSchema) },
        responses: {
          200: {
            description: 'The new secret, shown once, and when the previous one stops working',
            ...json({ type: 'object', properties: { client_id: { type: 'string' }, client_secret: { type: 'string' }, previous_secret_expires_at: { type: 'string', format: 'date-time' } }, required: ['client_id', 'client_secret', 'previous_secret_expires_at'] }),
          },
          ...clientNotFound,
          ...errors,
        },
      },
    },
    '/clients/{id}/end-previous-secret': {
      parameters: [pathId('Client id')],
      post: { summary: 'End a rotation\'s grace period now: the previous secret stops working', responses: { 200: { description: 'The client', ...json(clientRef) }, ...clientNotFound, ...errors } },
    },
    '/clients/{id}/registration-access-token': {
      parameters: [pathId('Client id')],
      post: {
        summary: 'Rotate the RFC 7592 registration access token: earlier ones stop working, the new value is shown once',
        responses: {
          201: {
            description: 'The new registration access token',
            ...json({ type: 'object', properties: { client_id: { type: 'string' }, registration_access_token: { type: 'string' }, registration_client_uri: { type: 'string', format: 'uri' } }, required: ['client_id', 'registration_access_token', 'registration_client_uri'] }),
          },
          ...clientNotFound,
          ...errors,
        },
      },
      delete: {
        summary: 'Revoke the client\'s registration access tokens: it can no longer read, change or delete its registration',
        responses: { 204: { description: 'Revoked' }, ...clientNotFound, ...errors },
      },
    },
  },
  schemas: {
    RegistrationPolicy: {
      type: 'object',
      description: 'What an initial access token lets its clients have; copied onto every client it registers',
      properties: {
        initial_access_token: { type: 'string', description: 'Id of the initial access token the client was registered with' },
        allowed_apis: { type: 'array', items: { type: 'string' }, description: 'API identifiers whose scopes may be registered' },
        allowed_scopes: { type: 'array', items: { type: 'string' }, description: 'Single scopes that may be registered' },
        all_apis: { type: 'boolean', description: 'Every scope of every non-system API (DCR_INITIAL_ACCESS_TOKEN)' },
        token_formats: { type: 'array', items: { type: 'string', enum: [...TOKEN_FORMATS] } },
        max_access_token_ttl: { type: 'integer', description: 'Longest access_token_ttl in seconds' },
      },
      required: ['token_formats'],
    },
    InitialAccessToken: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        description: { type: 'string' },
        expires_at: { type: ['string', 'null'], format: 'date-time' },
        from_env: { type: 'boolean', description: 'The operator\'s DCR_INITIAL_ACCESS_TOKEN' },
        max_uses: { type: ['integer', 'null'], description: 'Registrations it allows; null: unlimited' },
        remaining_uses: { type: ['integer', 'null'], description: 'Registrations left; null: unlimited' },
        allowed_apis: { type: 'array', items: { type: 'string' } },
        allowed_scopes: { type: 'array', items: { type: 'string' } },
        all_apis: { type: 'boolean' },
        token_formats: { type: 'array', items: { type: 'string', enum: [...TOKEN_FORMATS] } },
        max_access_token_ttl: { type: 'integer' },
        created_at: { type: 'string', format: 'date-time' },
      },
      required: ['id', 'expires_at', 'from_env', 'max_uses', 'remaining_uses', 'token_formats'],
    },
    Client: {
      type: 'object',
      properties: {
        client_id: { type: 'string' },
        client_name: { type: 'string' },
        source: { type: 'string', enum: ['registration', 'application', 'system'], description: 'registration: RFC 7591; application: a key set of an application; system: the admin client' },
        disabled: { type: 'boolean' },
        scope: { type: 'string' },
        access_token_strategy: { type: 'string', enum: [...TOKEN_FORMATS] },
        access_token_ttl: { type: 'integer' },
        token_endpoint_auth_method: { type: 'string' },
        application_id: { type: 'string' },
        key_type: { type: 'string' },
        registration_policy: { $ref: '#/components/schemas/RegistrationPolicy' },
        created_at: { type: 'string', format: 'date-time' },
        updated_at: { type: 'string', format: 'date-time' },
      },
      required: ['client_id', 'source', 'disabled'],
    },
  },
};

/** OpenAPI 3.1 description of the management API; request schemas are the ones we validate with. */
export function openApiDocument(issuer: string) {
  const api = { $ref: '#/components/schemas/Api' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'keyforge management API',
      version: '1',
      description: `Send an access token from ${issuer}/token with scope "admin" (resource ${issuer}/api).`,
    },
    servers: [{ url: `${issuer}/api` }],
    security: [{ bearer: [] }],
    paths: {
      '/apis': {
        get: { summary: 'List APIs', responses: { 200: { description: 'APIs', ...json({ type: 'object', properties: { apis: { type: 'array', items: api } } }) }, ...errors } },
        post: {
          summary: 'Create an API',
          requestBody: { required: true, ...json(createApiSchema) },
          responses: { 201: { description: 'Created', ...json(api) }, 409: { description: 'Identifier or scope taken', ...json(error) }, ...errors },
        },
      },
      '/apis/{id}': {
        parameters: [idParam],
        get: { summary: 'Read an API', responses: { 200: { description: 'The API', ...json(api) }, 404: { description: 'Not found', ...json(error) }, ...errors } },
        patch: {
          summary: 'Update an API (scopes replace the whole list)',
          requestBody: { required: true, ...json(updateApiSchema) },
          responses: { 200: { description: 'Updated', ...json(api) }, 404: { description: 'Not found', ...json(error) }, 409: { description: 'Scope taken', ...json(error) }, ...errors },
        },
        delete: { summary: 'Delete an API', responses: { 204: { description: 'Deleted' }, 404: { description: 'Not found', ...json(error) }, ...errors } },
      },
      '/apis/{id}/resource-servers': {
        parameters: [idParam],
        post: {
          summary: 'Link a client as resource server of the API (it may then introspect its tokens)',
          requestBody: { required: true, ...json({ type: 'object', properties: { client_id: { type: 'string' } }, required: ['client_id'] }) },
          responses: { 200: { description: 'Linked', ...json(api) }, 404: { description: 'API or client not found', ...json(error) }, ...errors },
        },
      },
      '/apis/{id}/resource-servers/{clientId}': {
        parameters: [idParam, { name: 'clientId', in: 'path', required: true, schema: { type: 'string' } }],
        delete: { summary: 'Unlink a resource-server client', responses: { 200: { description: 'Unlinked', ...json(api) }, ...errors } },
      },
      ...registrationOpenApi.paths,
      '/initial-access-tokens': {
        ...registrationOpenApi.paths['/initial-access-tokens'],
        get: { ...listInitialAccessTokensOpenApi, responses: { ...listInitialAccessTokensOpenApi.responses, ...errors } },
      },
      '/keys': {
        get: {
          summary: 'List signing keys (public halves); imported ones carry imported_at',
          responses: { 200: { description: 'Keys', ...json({ type: 'object', properties: { keys: { type: 'array', items: { $ref: '#/components/schemas/SigningKey' } } } }) }, ...errors },
        },
      },
      '/keys/rotate': {
        post: {
          summary: 'Rotate signing keys; old keys stay published as retired',
          requestBody: { required: false, ...json({ type: 'object', properties: { algs: { type: 'array', items: { type: 'string', enum: [...SIGNING_ALGS] } } } }) },
          responses: { 200: { description: 'New key ids', ...json({ type: 'object', properties: { rotated: { type: 'array', items: { type: 'string' } } } }) }, ...errors },
        },
      },
      '/keys/{kid}': {
        parameters: [{ name: 'kid', in: 'path', required: true, schema: { type: 'string' } }],
        delete: { summary: 'Remove a retired key (tokens it signed stop verifying)', responses: { 204: { description: 'Removed' }, 404: { description: 'Not found', ...json(error) }, ...errors } },
      },
      ...applicationsOpenApi.paths,
      ...exportOpenApi.paths,
      ...auditOpenApi.paths,
      ...accountsOpenApi.paths,
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...applicationsOpenApi.schemas,
        ...exportOpenApi.schemas,
        ...auditOpenApi.schemas,
        ...accountsOpenApi.schemas,
        SigningKey: {
          type: 'object',
          properties: {
            kid: { type: 'string' },
            alg: { type: 'string', enum: [...SIGNING_ALGS] },
            status: { type: 'string', enum: ['active', 'retired'] },
            created_at: { type: 'string', format: 'date-time' },
            retired_at: { type: 'string', format: 'date-time' },
            imported_at: { type: 'string', format: 'date-time', description: 'Present on keys that came from another server\'s export' },
            imported_from: { type: 'string', description: 'The issuer named in that export' },
            removed_after: { type: ['string', 'null'], format: 'date-time', description: 'Retired keys: removed automatically after this time (no unexpired token it signed can remain); null: kept for ever, see kept_because' },
            kept_because: { type: 'string', description: 'Why a retired key is never removed automatically' },
            public_jwk: { type: 'object' },
          },
        },
        ...registrationOpenApi.schemas,
        Error: {
          type: 'object',
          properties: { error: { type: 'string' }, error_description: { type: 'string' } },
          required: ['error'],
        },
        Api: {
          type: 'object',
          properties: {
            identifier: { type: 'string', format: 'uri' },
            name: { type: 'string' },
            scopes: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, description: { type: 'string' } } } },
            signing_alg: { type: 'string', enum: [...SIGNING_ALGS] },
            resource_server_clients: { type: 'array', items: { type: 'string' } },
            system: { type: 'boolean' },
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  };
}
