import type Router from '@koa/router';

import { assertValid, badRequest, compile, conflict, notFound, readJson } from '../http/index.js';
import { SIGNING_ALGS, type SigningAlg } from '../consts/index.js';
import { KeyError, KeyStillSigning, RotationSchedule } from '../keys/index.js';
import { keyScheduleOptions } from '../key-schedule.js';
import type { Services } from '../services.js';

const validateRotate = compile<{ algs?: SigningAlg[] }>({
  type: 'object',
  properties: {
    algs: { type: 'array', items: { type: 'string', enum: [...SIGNING_ALGS] }, minItems: 1, uniqueItems: true },
  },
  additionalProperties: false,
});

/** Signing keys: list (public halves), rotate, remove retired ones. */
export function keyRoutes(router: Router, s: Services): void {
  router.get('/keys', async (ctx) => {
    const keys = await s.signingKeys.list();
    const plans = new Map((await new RotationSchedule(keyScheduleOptions(s)).removalPlan()).map((p) => [p.kid, p]));
    ctx.body = {
      keys: keys.map((k) => ({
        kid: k._id, alg: k.alg, status: k.status, created_at: k.created_at, retired_at: k.retired_at,
        imported_at: k.imported_at, imported_from: k.imported_from,
        ...(k.status === 'retired' && !k.imported_at ? removalOf(plans.get(k._id)?.removeAfter) : {}),
        public_jwk: k.public_jwk,
      })),
      rotation_days: s.config.keyRotationDays || null,
    };
  });

  router.post('/keys/rotate', async (ctx) => {
    const body = ctx.request.length ? await readJson(ctx) : {};
    assertValid(validateRotate, body);
    const kids = await s.signingKeys.rotate(body.algs ?? SIGNING_ALGS, s.config.keyActivationDelaySeconds);
    await s.holder.refresh();
    ctx.body = {
      rotated: kids,
      signs_from: new Date(Date.now() + s.config.keyActivationDelaySeconds * 1000),
    };
  });

  router.delete('/keys/:kid', async (ctx) => {
    try {
      if (!(await s.signingKeys.remove(ctx.params['kid']!))) throw notFound('key not found');
    } catch (err) {
      if (err instanceof KeyStillSigning) throw conflict(err.message);
      if (err instanceof KeyError) throw badRequest(err.message);
      throw err;
    }
    await s.holder.refresh();
    ctx.status = 204;
  });
}

/** How a retired key's automatic removal is shown: a time, or why it stays. */
function removalOf(after: Date | undefined): Record<string, unknown> {
  return after
    ? { removed_after: after }
    : { removed_after: null, kept_because: 'a client gets JWTs that never expire: keys that signed them are kept for ever' };
}
