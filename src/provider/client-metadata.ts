import type { ErrorObject } from 'ajv';
import { errors } from 'oidc-provider';

import type { ApiRegistry } from '../apis/index.js';
import { SCOPE_TOKEN } from '../apis/index.js';
import { AUTH_METHODS, CLIENT_ASSERTION_ALGS, DEFAULT_ACCESS_TOKEN_TTL, NEVER_EXPIRING_TTL } from '../consts/index.js';
import { compile, describeErrors, type FieldProblem } from '../http/index.js';


/** Our own client metadata, beyond RFC 7591. */
export const EXTRA_CLIENT_METADATA = [
  'access_token_strategy',
  'access_token_ttl',
  // Set only by the management API and portal, never through dynamic registration.
  'key_type',
  'application_id',
  // Set from the initial access token at registration; bounds every RFC 7592 update.
  'registration_policy',
  // A rotated secret's hash and its end (applications/secret-rotation); never registrable.
  'previous_client_secret',
  'previous_client_secret_expires_at',
] as const;

/**
 * What dynamic registration and the management API accept. Unknown metadata is ignored, as
 * RFC 7591 §2 asks; what we do know is checked strictly.
 */
const clientMetadataSchema = {
  type: 'object',
  properties: {
    client_name: { type: 'string', maxLength: 200 },
    grant_types: {
      type: 'array',
      items: { type: 'string', enum: ['client_credentials'] },
      minItems: 1,
      uniqueItems: true,
    },
    response_types: { type: 'array', maxItems: 0 },
    redirect_uris: { type: 'array', maxItems: 0 },
    token_endpoint_auth_method: { type: 'string', enum: [...AUTH_METHODS] },
    token_endpoint_auth_signing_alg: { type: 'string', enum: [...CLIENT_ASSERTION_ALGS] },
    jwks: {
      type: 'object',
      properties: { keys: { type: 'array', items: { type: 'object' }, maxItems: 20 } },
      required: ['keys'],
    },
    scope: {
      type: 'string',
      pattern: `^${SCOPE_TOKEN.slice(1, -1)}( ${SCOPE_TOKEN.slice(1, -1)})*$`,
      maxLength: 4000,
      expects: 'scope names separated by single spaces, each 1 to 128 printable ASCII characters without quotes or backslashes',
    },
    access_token_strategy: { type: 'string', enum: ['jwt', 'opaque'] },
    // RFC 9449 §5.2: true = every token request must carry a DPoP proof.
    dpop_bound_access_tokens: { type: 'boolean' },
    access_token_ttl: {
      type: 'integer',
      not: { const: 0 },
      minimum: -1_000_000_000,
      // Anything this long is reserved to mean "never"; say -1 for that.
      maximum: NEVER_EXPIRING_TTL - 1,
    },
    contacts: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 20 },
  },
} as const;

const validateMetadata = compile<Record<string, unknown>>(clientMetadataSchema);

export interface MetadataPolicyOptions {
  registry: ApiRegistry;
  maxAccessTokenTtl: number;
  /** Scopes of system APIs (the management API's `admin`) cannot be self-registered. */
  systemScopesAllowed: boolean;
}

/** The metadata field an ajv error is about (its top-level property). */
function fieldOf(e: ErrorObject | undefined): string {
  const top = e?.instancePath.split('/')[1];
  if (top) return top;
  const named = e?.params['missingProperty'] ?? e?.params['additionalProperty'];
  return typeof named === 'string' ? named : 'metadata';
}

/** The first problem, naming its field; callers wrap it in their own error shape. */
export function checkClientMetadata(
  properties: Record<string, unknown>,
  o: MetadataPolicyOptions,
): FieldProblem | undefined {
  if (!validateMetadata(properties)) {
    return { field: fieldOf(validateMetadata.errors?.[0]), message: describeErrors(validateMetadata.errors) };
  }

  const ttl = properties['access_token_ttl'];
  if (typeof ttl === 'number' && o.maxAccessTokenTtl > 0) {
    if (ttl < 0) return { field: 'access_token_ttl', message: 'access_token_ttl: never-expiring tokens are not allowed on this server' };
    if (ttl > o.maxAccessTokenTtl) return { field: 'access_token_ttl', message: `access_token_ttl must be at most ${o.maxAccessTokenTtl}` };
  }

  if (properties['token_endpoint_auth_method'] === 'private_key_jwt' && !properties['jwks']) {
    return { field: 'jwks', message: 'jwks is required when token_endpoint_auth_method is private_key_jwt' };
  }

  const scope = properties['scope'];
  if (typeof scope === 'string') {
    for (const name of scope.split(' ')) {
      const api = o.registry.ownerOfScope(name);
      if (!api) return { field: 'scope', message: `scope: unknown scope ${name}` };
      if (api.system && !o.systemScopesAllowed) return { field: 'scope', message: `scope: ${name} cannot be requested at registration` };
    }
  }
  return undefined;
}

/**
 * oidc-provider calls this for each extra property on every client load as well as at
 * registration, so it only fills defaults and guards types; policy limits live above.
 */
export function extraClientMetadataValidator(
  _ctx: unknown,
  key: string,
  value: unknown,
  metadata: Record<string, unknown>,
): void {
  switch (key) {
    case 'access_token_strategy':
      if (value === undefined) metadata[key] = 'opaque';
      else if (value !== 'jwt' && value !== 'opaque') {
        throw new errors.InvalidClientMetadata('access_token_strategy must be "jwt" or "opaque"');
      }
      break;
    case 'access_token_ttl':
      if (value === undefined) metadata[key] = DEFAULT_ACCESS_TOKEN_TTL;
      else if (!Number.isInteger(value) || value === 0) {
        throw new errors.InvalidClientMetadata('access_token_ttl must be a non-zero integer');
      }
      break;
    case 'registration_policy':
      if (value !== undefined && (typeof value !== 'object' || value === null)) {
        throw new errors.InvalidClientMetadata('registration_policy must be an object');
      }
      break;
    case 'key_type':
      if (value !== undefined && value !== 'PRODUCTION' && value !== 'SANDBOX') {
        throw new errors.InvalidClientMetadata('key_type must be "PRODUCTION" or "SANDBOX"');
      }
      break;
    default:
      break;
  }
}

/** TTL actually applied: the client's, capped by the operator's maximum. undefined = never. */
export function effectiveTtl(clientTtl: unknown, maxAccessTokenTtl: number): number | undefined {
  const ttl = typeof clientTtl === 'number' ? clientTtl : DEFAULT_ACCESS_TOKEN_TTL;
  if (maxAccessTokenTtl > 0 && (ttl < 0 || ttl > maxAccessTokenTtl)) return maxAccessTokenTtl;
  return ttl < 0 ? undefined : ttl;
}
