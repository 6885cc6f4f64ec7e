/**
 * limits: rate limits shared across instances through MongoDB, per client and per source
 * address, for every endpoint that authenticates a client (token, introspection, revocation,
 * the revocation feed); the portal's sign-in throttle lives with the portal.
 */
export { RateLimiter, type RateDecision } from './rate-limiter.js';
export { tokenRateLimit, type TokenLimits } from './token-rate-limit.js';
export { authenticatedEndpointLimits, type EndpointLimits } from './endpoint-rate-limit.js';
