import { randomBytes } from 'node:crypto';

import type { Collection } from 'mongodb';

import { SingleFlush } from '../store/single-flush.js';

/** One instance's counts for one window. */
export interface CounterDoc {
  _id: string;
  window: number;
  /**
   * Every count of the window as one JSON string of `[key, count]` pairs. One string, not a
   * subdocument per key: the document is rewritten and read every second, and FerretDB v1
   * converts, stores and parses each field with its type, so a window with 4,000 keys as
   * subdocuments kept FerretDB busy for hundreds of milliseconds each second (the latency
   * spikes in docs/bench/tails.md). As a string it is one value to store, on MongoDB too.
   */
  packed?: string;
  /** The earlier form, still read from instances not yet upgraded, and written empty for them. */
  counts: { k: string; n: number }[];
  expiresAt: Date;
}

function pack(counts: Map<string, number>): string {
  return JSON.stringify([...counts]);
}

/** Counts of another instance's document, in either form; anything unreadable counts nothing. */
export function countsOf(doc: Pick<CounterDoc, 'packed' | 'counts'>): [string, number][] {
  if (typeof doc.packed === 'string') {
    try {
      const pairs: unknown = JSON.parse(doc.packed);
      if (Array.isArray(pairs)) {
        return pairs.filter((p): p is [string, number] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number');
      }
    } catch {
      // written by something else than this class: no counts
    }
    return [];
  }
  return Array.isArray(doc.counts) ? doc.counts.map(({ k, n }) => [k, n]) : [];
}

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the current window ends. */
  retryAfter: number;
}

/**
 * Fixed-window counters shared by every instance through MongoDB. Each instance counts
 * locally and, every `flushMs`, writes all its counts for the window as one document and reads
 * the other instances' documents back: a constant two operations per interval however many
 * clients and addresses are counted (one operation per key would swamp the database). A
 * decision uses this instance's own count plus the others' as last read, so the limit holds
 * across instances to within one interval's worth of their traffic, with no database round
 * trip on the request path.
 */
export class RateLimiter {
  readonly #coll: Collection<CounterDoc>;
  readonly #windowMs: number;
  readonly #instance = randomBytes(8).toString('hex');
  readonly #timer: NodeJS.Timeout;
  readonly #flusher: SingleFlush;
  #window = 0;
  #local = new Map<string, number>();
  #others = new Map<string, number>();
  #dirty = false;

  constructor(coll: Collection<CounterDoc>, o: { windowSeconds: number; flushMs?: number; onError: (err: unknown) => void }) {
    this.#coll = coll;
    this.#windowMs = o.windowSeconds * 1000;
    this.#flusher = new SingleFlush(() => this.#flush(), o.onError);
    this.#timer = setInterval(() => void this.flush(), o.flushMs ?? 1000);
    this.#timer.unref();
  }

  #roll(now: number): number {
    const start = Math.floor(now / this.#windowMs) * this.#windowMs;
    if (start !== this.#window) {
      this.#window = start;
      this.#local = new Map();
      this.#others = new Map();
    }
    return start;
  }

  #retryAfter(start: number, now: number): number {
    return Math.max(1, Math.ceil((start + this.#windowMs - now) / 1000));
  }

  /** Counts one event for `key` and says whether it is within `limit` (0 = unlimited). */
  hit(key: string, limit: number, now = Date.now()): RateDecision {
    if (limit <= 0) return { allowed: true, retryAfter: 0 };
    const start = this.#roll(now);
    const mine = (this.#local.get(key) ?? 0) + 1;
    this.#local.set(key, mine);
    this.#dirty = true;
    return { allowed: mine + (this.#others.get(key) ?? 0) <= limit, retryAfter: this.#retryAfter(start, now) };
  }

  /**
   * Would one more event for `key` exceed `limit`, with `pending` more already under way here
   * (requests that may still be counted)? Counts nothing.
   */
  exceeded(key: string, limit: number, now = Date.now(), pending = 0): RateDecision {
    if (limit <= 0) return { allowed: true, retryAfter: 0 };
    const start = this.#roll(now);
    const total = (this.#local.get(key) ?? 0) + (this.#others.get(key) ?? 0) + pending;
    return { allowed: total < limit, retryAfter: this.#retryAfter(start, now) };
  }

  flush(): Promise<void> {
    return this.#flusher.flush();
  }

  async #flush(): Promise<void> {
    const start = this.#roll(Date.now());
    if (this.#dirty) {
      this.#dirty = false;
      try {
        await this.#coll.replaceOne(
          { _id: this.#docId(start) },
          { window: start, packed: pack(this.#local), counts: [], expiresAt: new Date(start + 2 * this.#windowMs) },
          { upsert: true },
        );
      } catch (err) {
        this.#dirty = true;
        throw err;
      }
    }
    const docs = await this.#coll.find({ window: start, _id: { $ne: this.#docId(start) } }).toArray();
    if (start !== this.#window) return;
    const others = new Map<string, number>();
    for (const d of docs) {
      for (const [k, n] of countsOf(d)) others.set(k, (others.get(k) ?? 0) + n);
    }
    this.#others = others;
  }

  #docId(start: number): string {
    return `${this.#instance}:${start}`;
  }

  /** Stops the timer and lets a flush under way finish, so closing the store interrupts nothing. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flusher.settled();
  }
}
