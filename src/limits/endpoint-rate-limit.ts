import type { Context, Next } from 'koa';

import { HttpError } from '../http/index.js';
import type { RateLimiter } from './rate-limiter.js';

/** Requests per window; 0 turns a limit off. */
export interface EndpointLimits {
  perClient: number;
  perAddress: number;
}

export function tooManyRequests(retryAfter: number, what: string, endpoint: string): HttpError {
  return new HttpError(429, 'too_many_requests', `too many ${endpoint} requests from this ${what}; retry after ${retryAfter} s`, {
    'Retry-After': String(retryAfter),
  });
}

/**
 * Limits for an endpoint that authenticates its caller (introspection, revocation, the
 * revocation feed). Per source address: every request, counted before any work. Per client:
 * counted once the client has authenticated, so nobody can use up another client's budget
 * by sending its id with a wrong secret, whichever authentication method it uses.
 */
export function authenticatedEndpointLimits(limiter: RateLimiter, endpoint: string, limits: () => EndpointLimits) {
  return {
    byAddress: async function limitByAddress(ctx: Context, next: Next): Promise<void> {
      const decision = limiter.hit(`${endpoint}:addr:${ctx.ip}`, limits().perAddress);
      if (!decision.allowed) throw tooManyRequests(decision.retryAfter, 'address', endpoint);
      await next();
    },
    /** Throws the 429 when the authenticated client is over its limit. */
    byClient(clientId: string): void {
      const decision = limiter.hit(`${endpoint}:client:${clientId}`, limits().perClient);
      if (!decision.allowed) throw tooManyRequests(decision.retryAfter, 'client', endpoint);
    },
  };
}
