/**
 * provider: oidc-provider configured for machine-to-machine use. Client-credentials only,
 * resource indicators resolved from scopes, per-client token format and lifetime,
 * dynamic registration guarded by our metadata schema, DPoP-bound tokens (dpop.ts: proof
 * algorithms, nonces, a replay check that holds across instances), and the holder that
 * rebuilds the provider when keys or APIs change.
 */
export { ProviderHolder } from './provider-holder.js';
export { buildProvider, CLIENT_METADATA_POLICY } from './build-provider.js';
export { INTROSPECTION_PATH, REVOCATION_PATH } from './provider-responses.js';
export {
  checkClientMetadata, effectiveTtl, AUTH_METHODS, DEFAULT_ACCESS_TOKEN_TTL,
  NEVER_EXPIRING_TTL,
} from './client-metadata.js';
export { boundKeyOf, DPOP_PROOF_ALGS } from './dpop.js';
