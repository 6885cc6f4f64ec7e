/**
 * tokens: what happens to an access token after it is issued. The record store shared by
 * both formats, the inspector that decides "active", our RFC 7662 introspection and RFC 7009
 * revocation endpoints (which, unlike oidc-provider's, accept JWTs), and their client auth.
 */
export { TokenStore, type JwtIssue } from './token-store.js';
export { TokenInspector, publicJwks, type ActiveToken } from './inspect-token.js';
export { introspectionEndpoint } from './introspection.js';
export { revocationEndpoint } from './revocation.js';
export { type AuthClient, type ClientAuthDeps } from './client-auth.js';
export { longestJwtLifetime, unexpiredJwtIssuedBy } from './token-lifetimes.js';
