/**
 * provider: oidc-provider configured for machine-to-machine use. Client-credentials only,
 * resource indicators resolved from scopes, per-client token format and lifetime,
 * dynamic registration guarded by our metadata schema, and the holder that rebuilds the
 * provider when keys or APIs change.
 */
export { ProviderHolder } from './provider-holder.js';
export { buildProvider, CLIENT_METADATA_POLICY } from './build-provider.js';
export { checkClientMetadata, effectiveTtl } from './client-metadata.js';
