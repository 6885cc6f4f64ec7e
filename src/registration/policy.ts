import type { ApiRegistry } from '../apis/index.js';
import { DEFAULT_ACCESS_TOKEN_TTL } from '../consts/index.js';
import type { FieldProblem } from '../http/index.js';

export const TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/**
 * What an initial access token lets its holder register, copied onto every client registered
 * with it so that it keeps bounding RFC 7592 updates after the token itself is gone.
 */
export interface RegistrationPolicy {
  /** Id (hash) of the initial access token the client was registered with. */
  initial_access_token?: string;
  /** API identifiers whose scopes may be registered. */
  allowed_apis?: string[];
  /** Single scopes that may be registered. */
  allowed_scopes?: string[];
  /** Every scope of every non-system API (the operator's DCR_INITIAL_ACCESS_TOKEN). */
  all_apis?: boolean;
  token_formats: TokenFormat[];
  /** Longest access_token_ttl in seconds; absent: the server's MAX_ACCESS_TOKEN_TTL alone. */
  max_access_token_ttl?: number;
}

/** @public The shape of `registration_policy`, for documents that describe clients. */
export const registrationPolicySchema = {
  type: 'object',
  properties: {
    initial_access_token: { type: 'string', maxLength: 100 },
    allowed_apis: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 500 }, maxItems: 100, uniqueItems: true },
    allowed_scopes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 500, uniqueItems: true },
    all_apis: { type: 'boolean' },
    token_formats: { type: 'array', items: { type: 'string', enum: [...TOKEN_FORMATS] }, minItems: 1, uniqueItems: true },
    max_access_token_ttl: { type: 'integer', minimum: 1, maximum: 3_153_600_000 },
  },
  required: ['token_formats'],
  additionalProperties: false,
} as const;

/** A problem with one field, for invalid_client_metadata and form errors alike. */
export type { FieldProblem };

export function isRegistrationPolicy(value: unknown): value is RegistrationPolicy {
  return typeof value === 'object' && value !== null && Array.isArray((value as RegistrationPolicy).token_formats);
}

/** Clients registered before policies existed may keep, never widen, what they have. */
export function policyOfExistingClient(metadata: Record<string, unknown>): RegistrationPolicy {
  const scope = typeof metadata['scope'] === 'string' ? metadata['scope'].split(' ').filter(Boolean) : [];
  const format: TokenFormat = metadata['access_token_strategy'] === 'jwt' ? 'jwt' : 'opaque';
  const ttl = metadata['access_token_ttl'];
  return {
    allowed_scopes: scope,
    token_formats: [format],
    ...(typeof ttl === 'number' && ttl > 0 ? { max_access_token_ttl: ttl } : {}),
  };
}

function scopeAllowed(name: string, policy: RegistrationPolicy, registry: ApiRegistry): boolean {
  const api = registry.ownerOfScope(name);
  if (!api || api.system) return false;
  if (policy.all_apis) return true;
  if (policy.allowed_scopes?.includes(name)) return true;
  return Boolean(policy.allowed_apis?.includes(api.identifier));
}

/**
 * Checks (and where the client left a value to us, fills) metadata against the policy: the
 * default lifetime is brought inside a policy's maximum rather than refused.
 */
export function applyRegistrationPolicy(
  properties: Record<string, unknown>,
  policy: RegistrationPolicy,
  registry: ApiRegistry,
): FieldProblem | undefined {
  const scope = properties['scope'];
  if (typeof scope === 'string') {
    const outside = scope.split(' ').filter((name) => name && !scopeAllowed(name, policy, registry));
    if (outside.length) {
      return { field: 'scope', message: `scope: ${outside.join(' ')} not allowed by this client's registration policy` };
    }
  }

  const format = properties['access_token_strategy'] ?? 'opaque';
  if (!policy.token_formats.includes(format as TokenFormat)) {
    return {
      field: 'access_token_strategy',
      message: `access_token_strategy must be one of ${policy.token_formats.join(', ')} under this client's registration policy`,
    };
  }
  if (properties['access_token_strategy'] === undefined) properties['access_token_strategy'] = format;

  const max = policy.max_access_token_ttl;
  if (max !== undefined) {
    const ttl = properties['access_token_ttl'];
    if (ttl === undefined) {
      properties['access_token_ttl'] = Math.min(DEFAULT_ACCESS_TOKEN_TTL, max);
    } else if (typeof ttl === 'number' && (ttl < 0 || ttl > max)) {
      return { field: 'access_token_ttl', message: `access_token_ttl must be between 1 and ${max} under this client's registration policy` };
    }
  }
  return undefined;
}
