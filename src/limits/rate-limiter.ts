import type { Collection } from 'mongodb';

const FLUSH_CONCURRENCY = 4;

interface CounterDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the current window ends. */
  retryAfter: number;
}

/**
 * Fixed-window counters shared by every instance through MongoDB. Each instance counts
 * locally and adds its counts to the shared documents every `flushMs` (one findOneAndUpdate
 * per key, which returns the new total), and decides with the last known total plus what it
 * has not flushed yet. So the limit holds across instances to within one flush interval's
 * worth of traffic, without a database round trip on the request path. No `$in` reads:
 * FerretDB v1 would scan the whole collection for them.
 */
export class RateLimiter {
  readonly #coll: Collection<CounterDoc>;
  readonly #windowMs: number;
  readonly #pending = new Map<string, number>();
  readonly #known = new Map<string, { total: number; until: number }>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> | undefined;
  #failing = false;
  readonly #onError: (err: unknown) => void;

  constructor(coll: Collection<CounterDoc>, o: { windowSeconds: number; flushMs?: number; onError: (err: unknown) => void }) {
    this.#coll = coll;
    this.#windowMs = o.windowSeconds * 1000;
    this.#onError = o.onError;
    this.#timer = setInterval(() => void this.flush(), o.flushMs ?? 1000);
    this.#timer.unref();
  }

  #window(now: number): { start: number; end: number } {
    const start = Math.floor(now / this.#windowMs) * this.#windowMs;
    return { start, end: start + this.#windowMs };
  }

  /** Counts one event for `key` and says whether it is within `limit` (0 = unlimited). */
  hit(key: string, limit: number, now = Date.now()): RateDecision {
    if (limit <= 0) return { allowed: true, retryAfter: 0 };
    const { start, end } = this.#window(now);
    const id = `${key}:${start}`;
    const pending = (this.#pending.get(id) ?? 0) + 1;
    this.#pending.set(id, pending);
    const known = this.#known.get(id)?.total ?? 0;
    return { allowed: known + pending <= limit, retryAfter: Math.max(1, Math.ceil((end - now) / 1000)) };
  }

  /** Would one more event for `key` exceed `limit`? Counts nothing. */
  exceeded(key: string, limit: number, now = Date.now()): RateDecision {
    if (limit <= 0) return { allowed: true, retryAfter: 0 };
    const { start, end } = this.#window(now);
    const id = `${key}:${start}`;
    const total = (this.#known.get(id)?.total ?? 0) + (this.#pending.get(id) ?? 0);
    return { allowed: total < limit, retryAfter: Math.max(1, Math.ceil((end - now) / 1000)) };
  }

  flush(): Promise<void> {
    this.#flushing ??= this.#flush()
      .then(() => {
        this.#failing = false;
      }, (err: unknown) => {
        // Report the first failure of a run, not one line every flush while the database is away.
        if (!this.#failing) this.#onError(err);
        this.#failing = true;
      })
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const now = Date.now();
    for (const [id, v] of this.#known) if (v.until < now) this.#known.delete(id);
    if (!this.#pending.size) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    const failed: [string, number][] = [];
    let firstError: unknown;
    const work = batch.slice();
    // A few at a time: the counters must not crowd token writes out of the connection pool.
    await Promise.all(Array.from({ length: Math.min(FLUSH_CONCURRENCY, work.length) }, async () => {
      for (let next = work.shift(); next; next = work.shift()) {
        const [id, n] = next;
        const start = Number(id.slice(id.lastIndexOf(':') + 1));
        try {
          const doc = await this.#coll.findOneAndUpdate(
            { _id: id },
            { $inc: { count: n }, $setOnInsert: { expiresAt: new Date(start + 2 * this.#windowMs) } },
            { upsert: true, returnDocument: 'after' },
          );
          if (doc) this.#known.set(id, { total: doc.count, until: doc.expiresAt.getTime() });
        } catch (err) {
          failed.push(next);
          firstError ??= err;
        }
      }
    }));
    if (failed.length) {
      // Keep the counts for the next try rather than forgetting traffic.
      for (const [id, n] of failed) this.#pending.set(id, (this.#pending.get(id) ?? 0) + n);
      throw firstError;
    }
  }

  /** Stops the timer and lets a flush under way finish, so closing the store interrupts nothing. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flushing;
  }
}
