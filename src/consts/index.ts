/**
 * consts: protocol constants shared across domains. A leaf module: it imports nothing, so any
 * folder (the CLI too) may use it without creating a cycle.
 */

/** JWS algorithms keyforge signs access tokens with, and accepts when it reads them back. */
export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** How clients may authenticate at the token, introspection and revocation endpoints. */
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
/** JWS algorithms accepted on private_key_jwt client assertions. */
export const CLIENT_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** Lifetime of an access token when a client names none, in seconds. */
export const DEFAULT_ACCESS_TOKEN_TTL = 3600;

/**
 * Lifetime handed to oidc-provider for never-expiring tokens, as it insists on a positive
 * TTL: 100 years. JWTs keep it as their `exp` (RFC 9068 requires one); for opaque tokens the
 * store and the token response read a lifetime this long as "no expiry". Client metadata
 * cannot ask for it directly (negative values mean never).
 */
export const NEVER_EXPIRING_TTL = 100 * 365 * 24 * 3600;

/** Endpoints keyforge serves itself beside oidc-provider's, relative to the issuer. */
export const INTROSPECTION_PATH = '/token/introspection';
export const REVOCATION_PATH = '/token/revocation';
export const REVOCATION_FEED_PATH = '/token/revocations';
/** RFC 8414 metadata, answered from oidc-provider's discovery document. */
export const RFC8414_PATH = '/.well-known/oauth-authorization-server';
export const OIDC_DISCOVERY_PATH = '/.well-known/openid-configuration';
/** The management API (src/management-api), also the audience of its admin tokens. */
export const MANAGEMENT_API_PATH = '/api';
