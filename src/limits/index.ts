/**
 * limits: rate limits shared across instances through MongoDB (token endpoint per client and
 * per source address; the portal's sign-in throttle lives with the portal).
 */
export { RateLimiter, type RateDecision } from './rate-limiter.js';
export { tokenRateLimit, type TokenLimits } from './token-rate-limit.js';
