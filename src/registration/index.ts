/**
 * registration: governance of dynamic client registration (RFC 7591/7592). Initial access
 * tokens with their policies (APIs or scopes, token formats, lifetimes, expiry, uses), the
 * policy recorded on each registered client, and the administrator's levers on clients.
 */
export {
  InitialAccessTokens, createInitialAccessTokenSchema, type CreateInitialAccessToken, type InitialAccessTokenView,
} from './initial-access-tokens.js';
export { RegisteredClients, type ClientSource, type ClientView, type ClientPage, MAX_PAGE } from './registered-clients.js';
export { type RegistrationPolicy, type FieldProblem } from './policy.js';
