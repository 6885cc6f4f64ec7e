import type { Collection, Db } from 'mongodb';

import { BatchInserter, SharedFinder } from './batching.js';
import type { ClientRecord, ModelRecord, RevocationEvent, TokenRecord } from './records.js';
import { TokenCache } from './token-cache.js';

export interface Collections {
  clients: Collection<ClientRecord>;
  tokens: Collection<TokenRecord>;
  /** Group-committed inserts of new token records (the hot write path). */
  tokenInserts: BatchInserter<TokenRecord>;
  /** Lookups of token records by _id (the hot read path), shared between concurrent askers. */
  tokenLookups: SharedFinder<TokenRecord>;
  model(name: string): Collection<ModelRecord>;
  /** Shared rate-limit counters (see limits/), swept like everything that expires. */
  rateLimits: Collection<{ _id: string; window: number; packed?: string; counts: { k: string; n: number }[]; expiresAt: Date }>;
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

export function isLive(expiresAt: Date | null | undefined, now = Date.now()): boolean {
  return expiresAt == null || expiresAt.getTime() > now;
}
