/**
 * store: everything that touches MongoDB's shape. Connection and indexes (mongo), record types
 * and their ids (records: types only), collections, jti replay claims, the oidc-provider adapter, hashing of
 * secrets, the expiry sweeper, and the embedded local server used when no MONGODB_URI is given.
 */
export { connectStore, type Store } from './mongo.js';
export { isLive, type Collections } from './collections.js';
export {
  hashToken, jwtRecordId, type TokenRecord, type ClientRecord, type ModelRecord, type RevocationEvent, type RevocationTarget,
} from './records.js';
export { createAdapterFactory } from './oidc-adapter.js';
export { SecretHasher } from './hashing.js';
export { startSweeper, sweepExpired } from './sweeper.js';
export { pruneClientScopes } from './client-scopes.js';
export { revokeTokens, startRevocationSync } from './revocations.js';
export { claimReplay } from './replay-claims.js';
export { isDuplicateKey, upsertRacing } from './duplicate-key.js';
export { randomId } from './random-id.js';
