import type Router from '@koa/router';

import { assertValid, compile, readJson } from '../http/index.js';
import { numericQuery, pageQueryProperties, setNextLink } from '../http/paging.js';
import { DEFAULT_PAGE, MAX_PAGE, type ClientSource } from '../registration/index.js';
import { validateRotateSecret } from './applications-routes.js';
import type { Services } from '../services.js';

interface ListQuery {
  limit?: number;
  after?: string;
  source?: ClientSource;
}

const validateList = compile<ListQuery>({
  type: 'object',
  properties: {
    ...pageQueryProperties(DEFAULT_PAGE, MAX_PAGE),
    source: { type: 'string', enum: ['registration', 'application', 'system'] },
  },
  additionalProperties: false,
});

/**
 * Every client, dynamically registered or not: list, read, disable, enable, delete, and
 * revoke or rotate a client's RFC 7592 registration access token.
 */
export function clientRoutes(router: Router, s: Services): void {
  const clients = s.registeredClients;

  router.get('/clients', async (ctx) => {
    const query = numericQuery(ctx.query);
    assertValid(validateList, query);
    const page = await clients.list(query);
    setNextLink(ctx, `${s.config.issuer}/api/clients`, { ...query }, page.next);
    ctx.body = page;
  });

  router.get('/clients/:id', async (ctx) => {
    ctx.body = await clients.get(ctx.params['id']!);
  });

  router.post('/clients/:id/disable', async (ctx) => {
    ctx.body = await clients.setDisabled(ctx.params['id']!, true);
  });

  router.post('/clients/:id/enable', async (ctx) => {
    ctx.body = await clients.setDisabled(ctx.params['id']!, false);
  });

  router.delete('/clients/:id', async (ctx) => {
    await clients.delete(ctx.params['id']!);
    ctx.status = 204;
  });

  router.post('/clients/:id/rotate-secret', async (ctx) => {
    const body = ctx.request.length ? await readJson(ctx) : {};
    assertValid(validateRotateSecret, body);
    const id = ctx.params['id']!;
    const rotated = await clients.rotateSecret(id, body.grace_seconds);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { client_id: id, ...rotated };
  });

  router.post('/clients/:id/end-previous-secret', async (ctx) => {
    ctx.body = await clients.endPreviousSecret(ctx.params['id']!);
  });

  router.post('/clients/:id/registration-access-token', async (ctx) => {
    const id = ctx.params['id']!;
    const token = await clients.rotateRegistrationAccessToken(id);
    ctx.status = 201;
    // Shown once, like a registration's own answer.
    ctx.body = {
      client_id: id,
      registration_access_token: token,
      registration_client_uri: `${s.config.issuer}/reg/${encodeURIComponent(id)}`,
    };
  });

  router.delete('/clients/:id/registration-access-token', async (ctx) => {
    await clients.get(ctx.params['id']!);
    await clients.revokeRegistrationAccessTokens(ctx.params['id']!);
    ctx.status = 204;
  });
}
