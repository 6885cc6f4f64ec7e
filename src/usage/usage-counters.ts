import { randomBytes } from 'node:crypto';

import type { Collection } from 'mongodb';

import { SingleFlush } from '../store/single-flush.js';

import type { KeyType } from '../applications/index.js';
import { emptyCounts, HOUR_MS, RETENTION_MS, USAGE_EVENTS, type UsageCounts, type UsageEvent, type UsageHourDoc } from './model.js';

interface Pending {
  application_id: string;
  key_type: KeyType;
  hour: number;
  counts: UsageCounts;
}

/**
 * Usage counted in memory and written in batches: every `flushMs`, one `$inc` per (application,
 * key set, hour) that saw traffic since the last flush, into a document only this instance
 * writes. The request path never waits for the database, and the number of writes depends on
 * how many key sets were busy, not on how many requests they made.
 */
export class UsageCounters {
  readonly #coll: Collection<UsageHourDoc>;
  readonly #instance = randomBytes(8).toString('hex');
  readonly #timer: NodeJS.Timeout;
  readonly #flusher: SingleFlush;
  #pending = new Map<string, Pending>();
  #lastSweep = 0;

  constructor(coll: Collection<UsageHourDoc>, o: { flushMs?: number; onError: (err: unknown) => void }) {
    this.#coll = coll;
    this.#flusher = new SingleFlush(() => this.#flush(), o.onError);
    this.#timer = setInterval(() => void this.flush(), o.flushMs ?? 5000);
    this.#timer.unref();
  }

  get collection(): Collection<UsageHourDoc> {
    return this.#coll;
  }

  record(applicationId: string, keyType: KeyType, event: UsageEvent, now = Date.now()): void {
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const key = `${applicationId}:${keyType}:${hour}`;
    let p = this.#pending.get(key);
    if (!p) {
      p = { application_id: applicationId, key_type: keyType, hour, counts: emptyCounts() };
      this.#pending.set(key, p);
    }
    p.counts[event] += 1;
  }

  /** Writes everything counted until now, waiting for a flush already under way first. */
  async flushNow(): Promise<void> {
    await this.#flusher.settled();
    await this.flush();
  }

  flush(): Promise<void> {
    return this.#flusher.flush();
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    const entries = [...batch.entries()];
    for (let i = 0; i < entries.length; i++) {
      const [key, p] = entries[i]!;
      // Every field, zeros too: each document then has all four, which FerretDB's $group needs
      // to sum a field that only later documents carry.
      const inc = Object.fromEntries(USAGE_EVENTS.map((e) => [e, p.counts[e]]));
      try {
        await this.#coll.updateOne(
          { _id: `${this.#instance}:${key}` },
          {
            $inc: inc,
            $setOnInsert: { application_id: p.application_id, key_type: p.key_type, hour: new Date(p.hour), instance: this.#instance },
          },
          { upsert: true },
        );
      } catch (err) {
        // What was not written goes back, to be tried at the next flush.
        for (const [k, rest] of entries.slice(i)) this.#merge(k, rest);
        throw err;
      }
    }
    await this.#sweep();
  }

  #merge(key: string, p: Pending): void {
    const current = this.#pending.get(key);
    if (!current) {
      this.#pending.set(key, p);
      return;
    }
    for (const e of USAGE_EVENTS) current.counts[e] += p.counts[e];
  }

  /** Hours older than the retention go, once an hour: the series stays bounded. */
  async #sweep(now = Date.now()): Promise<void> {
    if (now - this.#lastSweep < HOUR_MS) return;
    this.#lastSweep = now;
    await this.#coll.deleteMany({ hour: { $lt: new Date(now - RETENTION_MS) } });
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flusher.settled();
    await this.flush();
  }
}
