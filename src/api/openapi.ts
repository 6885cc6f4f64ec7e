import { createApiSchema, updateApiSchema } from '../apis/index.js';
import { SIGNING_ALGS } from '../keys/index.js';
import { applicationsOpenApi } from './applications-routes.js';
import { auditOpenApi } from './audit-routes.js';
import { exportOpenApi } from './export-routes.js';

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
      '/initial-access-tokens': {
        get: { summary: 'List initial access tokens (ids only)', responses: { 200: { description: 'Tokens' }, ...errors } },
        post: {
          summary: 'Create an initial access token for dynamic registration (value shown once)',
          requestBody: { required: true, ...json({ type: 'object', properties: { expires_in: { type: 'integer', minimum: 60 }, description: { type: 'string' } } }) },
          responses: { 201: { description: 'Created', ...json({ type: 'object', properties: { id: { type: 'string' }, initial_access_token: { type: 'string' }, expires_at: { type: ['string', 'null'] } } }) }, ...errors },
        },
      },
      '/initial-access-tokens/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        delete: { summary: 'Revoke an initial access token', responses: { 204: { description: 'Revoked' }, 404: { description: 'Not found', ...json(error) }, ...errors } },
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
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...applicationsOpenApi.schemas,
        ...exportOpenApi.schemas,
        ...auditOpenApi.schemas,
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
