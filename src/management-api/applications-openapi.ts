import { KEY_TYPES } from '../applications/index.js';
import { listApplicationsOpenApi } from './applications-list.js';
import {
  applicationProperties, createApplicationSchema, generateKeysSchema, newTokenSchema, rotateSecretSchema, updateApplicationSchema,
  updateKeySetSchema,
} from './applications-routes.js';

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

/** The applications part of /api/openapi.json, beside the routes it describes. */
export const applicationsOpenApi = {
  paths: {
    '/applications': {
      get: listApplicationsOpenApi(ref('Application'), errors),
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
        owner: { type: ['string', 'null'], description: 'Username of the owning portal account; null when made with the admin client' },
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
