import { SIGNING_ALGS } from '../consts/index.js';

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
export const SCOPE_TOKEN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$';
export const SCOPE_TOKEN_WORDS = 'a scope name: 1 to 128 printable ASCII characters, no spaces, quotes or backslashes';

const scope = {
  type: 'object',
  properties: {
    name: { type: 'string', pattern: SCOPE_TOKEN, expects: SCOPE_TOKEN_WORDS },
    description: { type: 'string', maxLength: 500 },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

const scopes = { type: 'array', items: scope, maxItems: 500, uniqueItems: true } as const;
const clientIds = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 200 },
  maxItems: 200,
  uniqueItems: true,
} as const;

export interface ScopeInput {
  name: string;
  description?: string;
}

export interface CreateApiInput {
  identifier: string;
  name: string;
  scopes?: ScopeInput[];
  signing_alg?: (typeof SIGNING_ALGS)[number];
  resource_server_clients?: string[];
}

export type UpdateApiInput = Partial<Omit<CreateApiInput, 'identifier'>>;

export const createApiSchema = {
  type: 'object',
  properties: {
    // RFC 8707 §2: an absolute URI without a fragment.
    identifier: { type: 'string', format: 'uri', pattern: '^[A-Za-z][A-Za-z0-9+.-]*:[^#]*$', maxLength: 500, expects: 'an absolute URI without a fragment, at most 500 characters' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    scopes,
    signing_alg: { type: 'string', enum: [...SIGNING_ALGS] },
    resource_server_clients: clientIds,
  },
  required: ['identifier', 'name'],
  additionalProperties: false,
} as const;

export const updateApiSchema = {
  type: 'object',
  properties: {
    name: createApiSchema.properties.name,
    scopes,
    signing_alg: createApiSchema.properties.signing_alg,
    resource_server_clients: clientIds,
  },
  additionalProperties: false,
  minProperties: 1,
} as const;
