/**
 * apis: the resource servers (APIs) tokens are issued for, their scopes (unique across APIs,
 * so a scope names its API), their signing algorithm and the clients allowed to introspect
 * their tokens. Kept in MongoDB, served from an in-memory snapshot refreshed on change.
 */
export { ApiRegistry, type Api, type ApiSnapshot } from './api-registry.js';
export {
  createApiSchema, updateApiSchema, SCOPE_TOKEN, SCOPE_TOKEN_WORDS,
  type CreateApiInput, type UpdateApiInput, type ScopeInput,
} from './schemas.js';
