import type { Context, Next } from 'koa';

import { notFound } from '../http/index.js';
import { requireAdminRole } from './context.js';

/**
 * Pages only administrators may see answer 404 to everyone else, as if they did not exist:
 * a developer learns nothing about registered clients or registration tokens.
 */
export async function adminPagesOnly(ctx: Context, next: Next): Promise<void> {
  if (!requireAdminRole(ctx)) throw notFound('There is nothing at this address. It may have been deleted.');
  await next();
}

/** The one-time value (a token) must not stay in any cache or history store. */
export function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
}
