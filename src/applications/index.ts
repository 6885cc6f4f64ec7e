/**
 * applications: what a developer registers to call APIs. An application (name, token type,
 * validity period, subscribed APIs) owns two independent key sets, production and sandbox,
 * each an OAuth client of this server whose tokens carry `key_type`. Kept in MongoDB
 * (`applications`); the key sets' clients live with every other client in `clients`.
 * A secret is replaced by regenerating it (the old one stops) or rotating it (the old one
 * keeps working for a grace period: secret-rotation.ts, also used for registered clients);
 * an application may require DPoP-bound tokens for its key sets.
 */
export {
  Applications, type ApplicationsDeps,
  type ApplicationSummary, type ApplicationDetail, type KeySet, type IssuedCredentials,
} from './applications.js';
export type { ApplicationListQuery } from './list-query.js';
export { describeSeconds } from './validation.js';
export type { IssuedToken, TokenIssue } from './token-issuer.js';
export {
  KEY_TYPES, KEY_TYPE_CLAIM, TOKEN_TYPES, NAME_MAX, DESCRIPTION_MAX, isKeyType,
  type KeyType, type TokenType, type ApplicationInput, type KeySetInput, type ApplicationDoc,
} from './model.js';
export {
  ClientSecretCheck, DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS,
} from './secret-rotation.js';
