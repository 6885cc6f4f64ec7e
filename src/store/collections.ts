import type { Collection, Db, Document } from 'mongodb';

import { BatchInserter, SharedFinder } from './batching.js';
import type { RevocationEvent } from './revocations.js';
import { TokenCache } from './token-cache.js';

/** Shape of an issued access token, opaque or JWT; the one source of truth for introspection. */
export interface TokenRecord {
  /** sha256(token) for opaque tokens; `jwt:<jti>` for JWTs, which no opaque lookup can reach. */
  _id: string;
  format: 'opaque' | 'jwt';
  jti?: string;
  client_id: string;
  scope?: string;
  aud?: string | string[];
  key_type?: string;
  /** DPoP-bound JWTs: the key thumbprint (cnf.jkt); opaque tokens keep it in their payload. */
  jkt?: string;
  iat: number;
  /** Seconds since epoch; absent for never-expiring opaque tokens. */
  exp?: number;
  /** Mirror of exp as a Date, for the sweeper and the TTL index where the server has one. */
  expiresAt: Date | null;
  revoked: boolean;
  revoked_at?: Date;
  /** oidc-provider's own payload for opaque tokens, minus the value itself. */
  payload?: Document;
}

export interface ClientRecord {
  _id: string;
  metadata: Document;
  created_at: Date;
  updated_at: Date;
}

export interface ModelRecord {
  _id: string;
  payload: Document;
  expiresAt: Date | null;
  consumed?: number;
  uid?: string;
  userCode?: string;
  grantId?: string;
}

export interface Collections {
  clients: Collection<ClientRecord>;
  tokens: Collection<TokenRecord>;
  /** Group-committed inserts of new token records (the hot write path). */
  tokenInserts: BatchInserter<TokenRecord>;
  /** Lookups of token records by _id (the hot read path), shared between concurrent askers. */
  tokenLookups: SharedFinder<TokenRecord>;
  model(name: string): Collection<ModelRecord>;
  /** Shared rate-limit counters (see limits/), swept like everything that expires. */
  rateLimits: Collection<{ _id: string; window: number; counts: { k: string; n: number }[]; expiresAt: Date }>;
  /** Revocations as events, so other instances can drop what they cached (see revocations). */
  revocationEvents: Collection<RevocationEvent>;
  /** Active token records this process has seen (see token-cache). */
  tokenCache: TokenCache;
}

const MODEL_PREFIX = 'oidc_';

export function collectionsOf(db: Db, o: { tokenCacheSize?: number } = {}): Collections {
  const cache = new Map<string, Collection<ModelRecord>>();
  const tokens = db.collection<TokenRecord>('tokens');
  return {
    clients: db.collection<ClientRecord>('clients'),
    tokens,
    tokenInserts: new BatchInserter(tokens),
    tokenLookups: new SharedFinder(tokens),
    rateLimits: db.collection('rate_limits'),
    revocationEvents: db.collection<RevocationEvent>('revocation_events'),
    tokenCache: new TokenCache(o.tokenCacheSize ?? 20_000),
    model(name) {
      let c = cache.get(name);
      if (!c) {
        c = db.collection<ModelRecord>(MODEL_PREFIX + name.toLowerCase());
        cache.set(name, c);
      }
      return c;
    },
  };
}

/** oidc-provider models this server persists (no interactive flows, so no sessions or codes). */
export const PERSISTED_MODELS = [
  'InitialAccessToken',
  // Not an oidc-provider model: one record per registration an initial access token made.
  'InitialAccessTokenUse',
  'RegistrationAccessToken',
  'ReplayDetection',
] as const;

/**
 * Lifetime handed to oidc-provider for never-expiring tokens, as it insists on a positive
 * TTL: 100 years. JWTs keep it as their `exp` (RFC 9068 requires one); for opaque tokens the
 * store and the token response read a lifetime this long as "no expiry". Client metadata
 * cannot ask for it directly (negative values mean never).
 */
export { NEVER_EXPIRING_TTL } from '../consts/index.js';

export function isLive(expiresAt: Date | null | undefined, now = Date.now()): boolean {
  return expiresAt == null || expiresAt.getTime() > now;
}
