import { randomBytes } from 'node:crypto';

import type { Collection, Filter } from 'mongodb';

import type { Collections } from './collections.js';
import type { RevocationEvent, RevocationTarget, TokenRecord } from './records.js';
import type { TokenCache } from './token-cache.js';

/** Long enough for every instance to have read an event; then the sweeper takes it. */
const EVENT_RETENTION_MS = 10 * 60_000;
/** Events are read from this far before the last read: writers' clocks and commits lag. */
const OVERLAP_MS = 2000;

/**
 * Revokes tokens. The event goes first, the records second: if we stop in between nothing
 * was revoked and nothing claims otherwise, while the event has only made caches forget.
 */
export async function revokeTokens(c: Collections, target: RevocationTarget): Promise<number> {
  const at = new Date();
  await c.revocationEvents.insertOne({
    _id: `${at.getTime().toString(36)}-${randomBytes(6).toString('hex')}`,
    at,
    expiresAt: new Date(at.getTime() + EVENT_RETENTION_MS),
    ...target,
  });
  c.tokenCache.evict(target);
  const filter: Filter<TokenRecord> = 'token' in target
    ? { _id: target.token, revoked: false }
    : { client_id: target.client, revoked: false, ...(target.aud ? { aud: { $in: target.aud } } : {}) };
  const r = await c.tokens.updateMany(filter, { $set: { revoked: true, revoked_at: at } });
  return r.modifiedCount;
}

/**
 * Tells every instance that a client's record changed (through the same events the revocation
 * sync reads), so cached copies go within REVOCATION_SYNC_MS rather than a cache lifetime.
 */
export async function announceClientChange(c: Collections, clientId: string): Promise<void> {
  const at = new Date();
  await c.revocationEvents.insertOne({
    _id: `${at.getTime().toString(36)}-${randomBytes(6).toString('hex')}`,
    at,
    expiresAt: new Date(at.getTime() + EVENT_RETENTION_MS),
    client_changed: clientId,
  });
}

/**
 * Brings revocations made by other instances into this one's token cache, every `intervalMs`.
 * The cache answers only while the last successful read is recent (two intervals), so when
 * the database cannot be read the cache steps aside instead of serving stale answers.
 */
export function startRevocationSync(
  events: Collection<RevocationEvent>,
  cache: TokenCache,
  intervalMs: number,
  onError: (err: unknown) => void,
  onClientChanged: (clientId: string) => void = () => undefined,
): () => void {
  let cursor = Date.now();
  const seen = new Map<string, number>();
  let failing = false;
  let running = false;
  const staleAfter = 2 * intervalMs + 250;
  cache.vouch(Date.now(), staleAfter);

  const tick = async () => {
    if (running) return;
    running = true;
    const started = Date.now();
    try {
      // One batch: no server cursor held open between polls (see tokens/revocation-feed).
      const fresh = await events.find({ at: { $gt: new Date(cursor - OVERLAP_MS) } }, { batchSize: 10_000 }).toArray();
      for (const e of fresh) {
        if (seen.has(e._id)) continue;
        seen.set(e._id, e.at.getTime());
        if (e.client_changed) onClientChanged(e.client_changed);
        else if (e.token) cache.evict({ token: e.token });
        else if (e.client) cache.evict(e.aud ? { client: e.client, aud: e.aud } : { client: e.client });
      }
      for (const [id, at] of seen) if (at < started - 2 * OVERLAP_MS) seen.delete(id);
      cursor = started;
      cache.vouch(started, staleAfter);
      failing = false;
    } catch (err) {
      if (!failing) onError(err);
      failing = true;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
