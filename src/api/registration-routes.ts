import type Router from '@koa/router';

import { assertValid, compile, notFound, readJson } from '../http/index.js';
import type { Services } from '../services.js';
import { hashToken } from '../store/index.js';

const validateCreate = compile<{ expires_in?: number; description?: string }>({
  type: 'object',
  properties: {
    expires_in: { type: 'integer', minimum: 60, maximum: 31_536_000 },
    description: { type: 'string', maxLength: 200 },
  },
  additionalProperties: false,
});

/** Initial access tokens for dynamic client registration (RFC 7591 §3). */
export function initialAccessTokenRoutes(router: Router, s: Services): void {
  const coll = s.store.collections.model('InitialAccessToken');

  router.post('/initial-access-tokens', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateCreate, body);
    const token = await s.createInitialAccessToken(body.expires_in);
    const id = hashToken(token);
    if (body.description) await coll.updateOne({ _id: id }, { $set: { description: body.description } as Record<string, unknown> });
    const doc = await coll.findOne({ _id: id });
    ctx.status = 201;
    // The value is shown once; afterwards only its id (a hash) is known.
    ctx.body = {
      id,
      initial_access_token: token,
      expires_at: doc?.expiresAt ?? null,
      description: body.description,
    };
  });

  router.get('/initial-access-tokens', async (ctx) => {
    const docs = await coll.find({}).toArray();
    const now = Date.now();
    ctx.body = {
      initial_access_tokens: docs
        .filter((d) => !d.expiresAt || d.expiresAt.getTime() > now)
        .map((d) => ({
          id: d._id,
          expires_at: d.expiresAt,
          from_env: Boolean((d as Record<string, unknown>)['from_env']),
          description: (d as Record<string, unknown>)['description'],
        })),
    };
  });

  router.delete('/initial-access-tokens/:id', async (ctx) => {
    const r = await coll.deleteOne({ _id: ctx.params['id']! });
    if (!r.deletedCount) throw notFound('initial access token not found');
    ctx.status = 204;
  });
}
