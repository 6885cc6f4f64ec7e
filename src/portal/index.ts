/**
 * portal: the server-rendered developer portal under /portal (issue 3).
 */
import type { Middleware } from 'koa';

import type { Services } from '../services.js';

export function portalMiddleware(_s: Services): Middleware {
  return (_ctx, next) => next();
}
