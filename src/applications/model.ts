/** Key sets as they appear in URLs and forms; the token claim spells them in capitals. */
export const KEY_TYPES = ['production', 'sandbox'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const KEY_TYPE_CLAIM = { production: 'PRODUCTION', sandbox: 'SANDBOX' } as const satisfies Record<KeyType, string>;

export const isKeyType = (value: string): value is KeyType => (KEY_TYPES as readonly string[]).includes(value);

/** "OAuth" is the API store's name for opaque (reference) tokens. */
export const TOKEN_TYPES = ['JWT', 'OAuth'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];
export const ACCESS_TOKEN_STRATEGY = { JWT: 'jwt', OAuth: 'opaque' } as const satisfies Record<TokenType, string>;

export const NAME_MAX = 100;
export const DESCRIPTION_MAX = 1000;

export interface ApplicationInput {
  name: string;
  description?: string;
  token_type: TokenType;
  access_token_ttl?: number;
  subscriptions?: string[];
  /** The portal account the application belongs to (its creator unless transferred). */
  owner?: string;
  /** RFC 9449: the key sets get DPoP-bound tokens only (their clients' dpop_bound_access_tokens). */
  require_dpop?: boolean;
}

export interface KeySetInput {
  scopes: string[];
  access_token_ttl?: number;
}

/** What the application record keeps about a key set; scopes and TTL live on its client. */
export interface KeySetRef {
  client_id: string;
  created_at: Date;
  secret_updated_at: Date;
}

export interface ApplicationDoc {
  _id: string;
  name: string;
  /** Lower-cased name under a unique index: two applications cannot share a name. */
  name_key: string;
  description: string;
  token_type: TokenType;
  access_token_ttl: number;
  /** API identifiers; their scopes bound what the key sets may be given. */
  subscriptions: string[];
  /** Absent on records from before DPoP: false. */
  require_dpop?: boolean;
  keys: Partial<Record<KeyType, KeySetRef>>;
  /** Username (lower case) of the owning portal account; none for applications made by the admin client. */
  owner?: string;
  /** Set before the clients are destroyed, so an interrupted delete can be finished. */
  deleting?: boolean;
  created_at: Date;
  updated_at: Date;
}
