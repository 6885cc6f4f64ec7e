import type Router from '@koa/router';

import { assertValid, compile, readJson } from '../http/index.js';
import { nextCursorSchema, numericQuery, pageQueryParameters, pageQueryProperties, setNextLink } from '../http/paging.js';
import { createInitialAccessTokenSchema, type CreateInitialAccessToken } from '../registration/index.js';
import type { Services } from '../services.js';

const validateCreate = compile<CreateInitialAccessToken>(createInitialAccessTokenSchema);
const validateList = compile<{ limit?: number; after?: string }>({
  type: 'object', properties: pageQueryProperties(), additionalProperties: false,
});

/** The list's OpenAPI operation. */
export const listInitialAccessTokensOpenApi = {
  summary: 'List initial access tokens that can still register (ids and policies, never values), a page at a time',
  parameters: pageQueryParameters(),
  responses: {
    200: {
      description: 'A page of tokens; Link: <…>; rel="next" when there is more',
      content: { 'application/json': { schema: { type: 'object', properties: { initial_access_tokens: { type: 'array', items: { type: 'object' } }, next: nextCursorSchema } } } },
    },
  },
};

/** Initial access tokens for dynamic client registration (RFC 7591 §3), each with its policy. */
export function initialAccessTokenRoutes(router: Router, s: Services): void {
  router.post('/initial-access-tokens', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateCreate, body);
    const { value, view } = await s.initialAccessTokens.create(body);
    ctx.status = 201;
    // The value is shown once; afterwards only its id (a hash) is known.
    ctx.body = { ...view, initial_access_token: value };
  });

  router.get('/initial-access-tokens', async (ctx) => {
    const query = numericQuery(ctx.query);
    assertValid(validateList, query);
    const page = await s.initialAccessTokens.list(query);
    setNextLink(ctx, `${s.config.issuer}/api/initial-access-tokens`, { ...query }, page.next);
    ctx.body = { initial_access_tokens: page.rows, next: page.next };
  });

  router.delete('/initial-access-tokens/:id', async (ctx) => {
    await s.initialAccessTokens.delete(ctx.params['id']!);
    ctx.status = 204;
  });
}
