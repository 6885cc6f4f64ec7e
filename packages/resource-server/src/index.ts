/**
 * resource-server: the kit other people's APIs import (`@keyforge/resource-server`) to accept
 * only tokens this server issued for them. It runs inside those APIs, so it depends on `jose`
 * and node built-ins only, never on the server's own modules.
 *
 *   const orders = { issuer, audience: 'https://orders.example.com', clientId, clientSecret };
 *   router.get('/orders', requireToken({ ...orders, scopes: ['orders:read'] }), list);
 *
 * JWTs are verified locally: signature against the server's JWKS (found through RFC 8414
 * discovery, cached, fetched again for an unknown kid at most once per cooldown), `typ`
 * at+jwt, `iss`, `aud`, `exp`, `nbf`, and an allow-list of asymmetric algorithms (so `none`
 * and HS256-keyed-with-the-public-key are refused before any key is looked at).
 *
 * Revoked JWTs: the kit keeps a list of revoked jtis for its audience, pulled from the
 * server's revocation feed (GET /token/revocations?since=<cursor>, authenticated as the API's
 * resource-server client). A JWT is accepted only while the list is younger than
 * `revocationCheckSeconds`; past half of it a request refreshes the list in the background,
 * past all of it a request waits for a refresh, and if the feed cannot be read the JWT is
 * refused with 503. So a revoked JWT is refused at most `revocationCheckSeconds` after its
 * revocation, and an unreachable server never turns into a pass.
 * Why a feed rather than introspecting JWTs with a short cache: the cost of the feed is one
 * small request per API process per interval, whatever the traffic and however many distinct
 * tokens are in use, whereas an introspection cache costs one call per distinct token per
 * interval, which with many clients is most of the load that self-contained JWTs exist to
 * avoid. Revocations are rare, so the list stays small (entries leave once the token expires).
 *
 * Opaque tokens carry nothing to verify locally: they are introspected (RFC 7662) with the
 * API's own client credentials, and the answer is reused for at most
 * `introspectionCacheSeconds` (default: revocationCheckSeconds) and never past the token's exp,
 * which bounds revocation delay for them the same way.
 *
 * DPoP-bound tokens (RFC 9449, `cnf.jkt` in the JWT or the introspection answer) are accepted
 * only as `Authorization: DPoP <token>` with a `DPoP` proof for this request (typ, asymmetric
 * alg, public jwk, htm, htu, iat within `dpopProofWindowSeconds`, ath) signed by the bound
 * key; a proof's jti is refused a second time within the window (a bounded cache per process).
 * A bound token sent as Bearer is refused. Those refusals carry a `DPoP` challenge (§7.1):
 * `invalid_dpop_proof` for a bad proof, `invalid_token` for a bad or mis-sent token.
 *
 * Refusals follow RFC 6750 §3: 401 with a bare `Bearer realm` challenge when no bearer token
 * was sent, 400 invalid_request for a malformed header, 401 invalid_token, 403
 * insufficient_scope naming the needed `scope`; 503 when the server cannot be asked. The reason
 * for a 503 is logged by default (console.warn), once per distinct reason and then at most once a
 * minute, so a wrong secret or issuer does not go unnoticed.
 */
export {
  requireToken, createResourceServer, bearerMiddleware,
  type TokenState, type RequireTokenOptions, type ResourceServerHandle,
} from './middleware.js';
export { ResourceServer, type VerifiedToken } from './resource-server.js';
export type { ResourceServerOptions } from './options.js';
export type { Logger } from './problem-log.js';
export { DEFAULT_ALGORITHMS } from './options.js';
export { DEFAULT_DPOP_ALGORITHMS, DpopVerifier, type DpopRequest } from './dpop.js';
export {
  BearerError, AuthorizationServerUnavailable, bearerChallenge, type BearerErrorCode,
} from './errors.js';
