/**
 * consts: protocol constants shared across domains. A leaf module: it imports nothing, so any
 * folder may use it without creating a cycle.
 */

/** Lifetime of an access token when a client names none, in seconds. */
export const DEFAULT_ACCESS_TOKEN_TTL = 3600;

/** A lifetime of 100 years or more means "never expires" (oidc-provider needs some number). */
export const NEVER_EXPIRING_TTL = 100 * 365 * 24 * 3600;
