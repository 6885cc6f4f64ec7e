/**
 * store: everything that touches MongoDB's shape. Connection and indexes (mongo), record types
 * (collections), the oidc-provider adapter, hashing of secrets and tokens, the expiry sweeper,
 * and the embedded local server used when no MONGODB_URI is given.
 */
export { connectStore, type Store } from './mongo.js';
export { isLive, NEVER_EXPIRING_TTL, type Collections, type TokenRecord, type ClientRecord, type ModelRecord } from './collections.js';
export { createAdapterFactory } from './oidc-adapter.js';
export { hashToken, SecretHasher } from './hashing.js';
export { startSweeper, sweepExpired } from './sweeper.js';
export { pruneClientScopes } from './client-scopes.js';
export { revokeTokens, startRevocationSync, type RevocationEvent } from './revocations.js';
export { TokenCache, type RevocationTarget } from './token-cache.js';
