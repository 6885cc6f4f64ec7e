import type { Context, Next } from 'koa';

import { authenticatedClientIdOf } from '../provider/index.js';
import { tooManyRequests } from './endpoint-rate-limit.js';
import type { RateLimiter } from './rate-limiter.js';

export interface TokenLimits {
  perClient: number;
  perAddress: number;
}

const tooMany = (retryAfter: number, what: string) => tooManyRequests(retryAfter, what, 'token');

/** The client id a token request names, before it is authenticated (Basic or body). */
function presentedClientId(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Token endpoint limits per source address (every request) and per client (requests that
 * authenticated, so nobody can use up another client's budget by sending its id with a bad
 * secret). A client's requests still under way on this instance count against it too, so a
 * parallel burst cannot pass the check before any of it is counted. Answered with 429 and
 * Retry-After.
 */
export function tokenRateLimit(limiter: RateLimiter, limits: () => TokenLimits) {
  const underWay = new Map<string, number>();
  return async function limitTokenRequests(ctx: Context, next: Next): Promise<void> {
    if (ctx.path !== '/token' || ctx.method !== 'POST') return next();
    const l = limits();
    const byAddress = limiter.hit(`addr:${ctx.ip}`, l.perAddress);
    if (!byAddress.allowed) throw tooMany(byAddress.retryAfter, 'address');
    const clientId = presentedClientId(ctx);
    if (!clientId || l.perClient <= 0) return countAfter(ctx, next, limiter, l.perClient);
    const pending = underWay.get(clientId) ?? 0;
    const byClient = limiter.exceeded(`client:${clientId}`, l.perClient, Date.now(), pending);
    if (!byClient.allowed) throw tooMany(byClient.retryAfter, 'client');
    underWay.set(clientId, pending + 1);
    try {
      await countAfter(ctx, next, limiter, l.perClient);
    } finally {
      const left = (underWay.get(clientId) ?? 1) - 1;
      if (left > 0) underWay.set(clientId, left);
      else underWay.delete(clientId);
    }
  };
}

/** Counts the request against the client that authenticated; a refused secret counts for nobody. */
async function countAfter(ctx: Context, next: Next, limiter: RateLimiter, perClient: number): Promise<void> {
  await next();
  const authenticated = authenticatedClientIdOf(ctx);
  if (authenticated && ctx.status !== 401) limiter.hit(`client:${authenticated}`, perClient);
}
