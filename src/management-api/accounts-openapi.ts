import { inviteSchema, sessionSchema, transferSchema } from './accounts-routes.js';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errorRef = { $ref: '#/components/schemas/Error' };
const errors = {
  400: { description: 'Invalid request', ...json(errorRef) },
  401: { description: 'Missing or invalid bearer token or session', ...json(errorRef) },
  403: { description: 'Needs an administrator (the admin scope or an admin\'s session)', ...json(errorRef) },
};
const notFound = { 404: { description: 'Not found (also: another developer\'s application)', ...json(errorRef) } };
const account = { $ref: '#/components/schemas/Account' };
const counts = {
  issued: { type: 'integer' }, introspected: { type: 'integer' },
  invalid_client: { type: 'integer' }, invalid_scope: { type: 'integer' },
};
const bucket = { type: 'object', properties: { start: { type: 'string', format: 'date-time' }, ...counts } };
const usernameParam = { name: 'username', in: 'path', required: true, schema: { type: 'string' } };
const appParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const linkBody = {
  invitation_url: { type: 'string', format: 'uri', description: 'Single-use link on which the person chooses a password; shown once' },
  invitation_expires_at: { type: 'string', format: 'date-time' },
};

/** Accounts, sessions, owners, publication and usage in the OpenAPI document. */
export const accountsOpenApi = {
  paths: {
    '/sessions': {
      post: {
        summary: 'Sign in with a portal username and password; the session token works as a bearer token here',
        security: [],
        requestBody: { required: true, ...json(sessionSchema) },
        responses: {
          201: { description: 'A session', ...json({ type: 'object', properties: { session_token: { type: 'string', description: 'kfs_…; send as Authorization: Bearer' }, username: { type: 'string' }, role: { type: 'string', enum: ['admin', 'developer'] }, expires_at: { type: 'string', format: 'date-time' } } }) },
          401: { description: 'Wrong username or password', ...json(errorRef) },
          429: { description: 'Locked after too many failures, or another check for this username is running (Retry-After)', ...json(errorRef) },
          503: { description: 'Too many password checks at once (Retry-After)', ...json(errorRef) },
        },
      },
    },
    '/sessions/current': {
      delete: { summary: 'End the session whose token is sent', responses: { 204: { description: 'Ended' }, ...errors } },
    },
    '/accounts': {
      get: { summary: 'List portal accounts', responses: { 200: { description: 'Accounts', ...json({ type: 'object', properties: { accounts: { type: 'array', items: account } } }) }, ...errors } },
      post: {
        summary: 'Invite someone: creates the account and a single-use link to choose a password',
        requestBody: { required: true, ...json(inviteSchema) },
        responses: { 201: { description: 'Invited', ...json({ allOf: [account, { type: 'object', properties: linkBody }] }) }, 409: { description: 'Username taken', ...json(errorRef) }, ...errors },
      },
    },
    '/accounts/{username}': {
      parameters: [usernameParam],
      get: { summary: 'Read an account and the applications it owns', responses: { 200: { description: 'The account', ...json(account) }, ...notFound, ...errors } },
      delete: {
        summary: 'Delete an account with every application it owns (their keys and tokens stop working)',
        responses: { 200: { description: 'Deleted', ...json({ type: 'object', properties: { deleted: { type: 'string' }, applications_deleted: { type: 'array', items: { type: 'string' } } } }) }, ...notFound, ...errors },
      },
    },
    '/accounts/{username}/disable': {
      parameters: [usernameParam],
      post: { summary: 'Disable: its sessions end at once; its applications\' keys keep working', responses: { 200: { description: 'Disabled', ...json(account) }, 409: { description: 'Your own account', ...json(errorRef) }, ...notFound, ...errors } },
    },
    '/accounts/{username}/enable': {
      parameters: [usernameParam],
      post: { summary: 'Enable a disabled account', responses: { 200: { description: 'Enabled', ...json(account) }, ...notFound, ...errors } },
    },
    '/accounts/{username}/reset-password': {
      parameters: [usernameParam],
      post: { summary: 'Reset the password: the old one stops working, sessions end, and a new single-use link is made', responses: { 200: { description: 'The link', ...json({ type: 'object', properties: linkBody }) }, ...notFound, ...errors } },
    },
    '/applications/{id}/transfer': {
      parameters: [appParam],
      post: {
        summary: 'Give the application to another account; keys and tokens are unchanged',
        requestBody: { required: true, ...json(transferSchema) },
        responses: { 200: { description: 'Transferred', ...json({ type: 'object', properties: { id: { type: 'string' }, owner: { type: 'string' } } }) }, ...notFound, ...errors },
      },
    },
    '/applications/{id}/usage': {
      parameters: [appParam],
      get: {
        summary: 'Tokens issued, introspections and failures per key set: the last 24 hours by hour, the last 30 days by day',
        responses: {
          200: {
            description: 'Usage',
            ...json({
              type: 'object',
              properties: {
                application_id: { type: 'string' },
                key_sets: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      key_type: { type: 'string', enum: ['PRODUCTION', 'SANDBOX'] },
                      last_24_hours: { type: 'object', properties: { ...counts, hours: { type: 'array', items: bucket } } },
                      last_30_days: { type: 'object', properties: { ...counts, days: { type: 'array', items: bucket } } },
                    },
                  },
                },
              },
            }),
          },
          ...notFound,
          ...errors,
        },
      },
    },
    '/apis/{id}/publish': {
      parameters: [{ name: 'id', in: 'path', required: true, description: 'URL-encoded API identifier', schema: { type: 'string' } }],
      post: { summary: 'Publish the API to developers (they see it and may subscribe)', responses: { 200: { description: 'Published' }, ...notFound, ...errors } },
      delete: { summary: 'Unpublish the API', responses: { 200: { description: 'Unpublished' }, ...notFound, ...errors } },
    },
  },
  schemas: {
    Account: {
      type: 'object',
      properties: {
        username: { type: 'string' },
        role: { type: 'string', enum: ['admin', 'developer'] },
        status: { type: 'string', enum: ['invited', 'active', 'disabled'] },
        email: { type: ['string', 'null'] },
        invited_by: { type: ['string', 'null'] },
        created_at: { type: 'string', format: 'date-time' },
        updated_at: { type: 'string', format: 'date-time' },
      },
    },
  },
};
