import type { RevocationTarget, TokenRecord } from './records.js';

/** After a revocation, reads of what it names skip the cache this long (see `evict`). */
const BYPASS_MS = 5000;

/**
 * Active token records kept in memory, so introspection of a token seen before costs no
 * database round trip. Revocations made here evict at once; revocations made by other
 * instances arrive through RevocationSync, and the cache answers only while that sync is
 * current (`staleAfterMs`), so a revoked token is reported inactive everywhere within that
 * bound. Expiry is always checked by the reader against the record itself.
 */
export class TokenCache {
  readonly #max: number;
  readonly #maxAgeMs: number;
  readonly #entries = new Map<string, { record: TokenRecord; at: number }>();
  readonly #byClient = new Map<string, Set<string>>();
  readonly #bypass = new Map<string, number>();
  #syncedAt = 0;
  #staleAfterMs = Infinity;

  constructor(maxEntries: number, maxAgeMs = 60_000) {
    this.#max = maxEntries;
    this.#maxAgeMs = maxAgeMs;
    // Until a sync loop vouches for it, a single process is its own source of revocations.
    this.#syncedAt = Number.MAX_SAFE_INTEGER;
  }

  /** Called by the sync loop: the cache serves only while the last good sync is this recent. */
  vouch(syncedAt: number, staleAfterMs: number): void {
    this.#syncedAt = syncedAt;
    this.#staleAfterMs = staleAfterMs;
  }

  /** Whether changes made by other instances have been read recently enough to trust a cache. */
  current(now = Date.now()): boolean {
    return now - this.#syncedAt < this.#staleAfterMs;
  }

  #usable(now: number): boolean {
    return this.#max > 0 && this.current(now);
  }

  #bypassed(key: string, now: number): boolean {
    const until = this.#bypass.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#bypass.delete(key);
    return false;
  }

  get(id: string, now = Date.now()): TokenRecord | undefined {
    if (!this.#usable(now)) return undefined;
    const hit = this.#entries.get(id);
    if (!hit) return undefined;
    if (now - hit.at > this.#maxAgeMs || this.#bypassed(id, now) || this.#bypassed(`client:${hit.record.client_id}`, now)) {
      this.#delete(id);
      return undefined;
    }
    return hit.record;
  }

  set(record: TokenRecord, now = Date.now()): void {
    if (this.#max <= 0 || record.revoked) return;
    // A read that started before a revocation must not put the old state back.
    if (this.#bypassed(record._id, now) || this.#bypassed(`client:${record.client_id}`, now)) return;
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#delete(oldest);
    }
    // Introspection reads the denormalised fields; oidc-provider's own payload stays on disk.
    const { payload: _payload, ...slim } = record;
    this.#entries.set(record._id, { record: slim, at: now });
    let ids = this.#byClient.get(record.client_id);
    if (!ids) this.#byClient.set(record.client_id, (ids = new Set()));
    ids.add(record._id);
  }

  /** Forget what a revocation names, and keep forgetting it while the database catches up. */
  evict(target: RevocationTarget, now = Date.now()): void {
    if ('token' in target) {
      this.#delete(target.token);
      this.#bypass.set(target.token, now + BYPASS_MS);
      return;
    }
    for (const id of [...(this.#byClient.get(target.client) ?? [])]) {
      const aud = this.#entries.get(id)?.record.aud;
      const audiences = aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];
      if (!target.aud || audiences.some((a) => target.aud!.includes(a))) this.#delete(id);
    }
    this.#bypass.set(`client:${target.client}`, now + BYPASS_MS);
  }

  clear(): void {
    this.#entries.clear();
    this.#byClient.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #delete(id: string): void {
    const hit = this.#entries.get(id);
    if (!hit) return;
    this.#entries.delete(id);
    const ids = this.#byClient.get(hit.record.client_id);
    ids?.delete(id);
    if (ids && !ids.size) this.#byClient.delete(hit.record.client_id);
  }
}
