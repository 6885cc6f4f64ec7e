/**
 * keys: the server's signing keys. Generated on first start, stored in MongoDB with the
 * private half wrapped (AES-256-GCM) under KEY_ENCRYPTION_SECRET, rotated without
 * unpublishing the keys that signed tokens still in circulation.
 */
export { SigningKeys, KeyError, KeyStillSigning, type SigningKeySet } from './signing-keys.js';
export type { WrappedSecret } from './key-wrap.js';
