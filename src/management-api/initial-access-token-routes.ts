import type Router from '@koa/router';

import { assertValid, compile, readJson } from '../http/index.js';
import { createInitialAccessTokenSchema, type CreateInitialAccessToken } from '../registration/index.js';
import type { Services } from '../services.js';

const validateCreate = compile<CreateInitialAccessToken>(createInitialAccessTokenSchema);

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
    ctx.body = { initial_access_tokens: await s.initialAccessTokens.list() };
  });

  router.delete('/initial-access-tokens/:id', async (ctx) => {
    await s.initialAccessTokens.delete(ctx.params['id']!);
    ctx.status = 204;
  });
}
