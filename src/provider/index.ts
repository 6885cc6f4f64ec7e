/**
 * provider: oidc-provider configured for machine-to-machine use (configuration: the pure
 * settings; build-provider: the wiring; internals: the one file that touches oidc-provider's
 * internals; provider-responses: named middleware around its routes). Client-credentials only,
 * resource indicators resolved from scopes, per-client token format and lifetime,
 * dynamic registration guarded by our metadata schema, DPoP-bound tokens (dpop.ts: proof
 * algorithms, nonces, a replay check that holds across instances), and the holder that
 * rebuilds the provider when keys or APIs change.
 */
export { ProviderHolder } from './provider-holder.js';
export { CLIENT_METADATA_POLICY } from './configuration.js';
export {
  authenticatedClientIdOf, findProviderClient, saveInitialAccessToken, saveRegistrationAccessToken, setParsedBody, tokenRequestClientIdOf,
} from './internals.js';
export { checkClientMetadata } from './client-metadata.js';
