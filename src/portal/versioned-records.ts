import type { Collection, Db } from 'mongodb';

import { isDuplicateKey } from '../store/index.js';

/**
 * Both kinds of document. A head (under the record's key) holds a copy of the latest
 * version's value in its own fields, for people and sweeps to read; a version (under
 * `key:n`) holds it in `value` and is only ever inserted, so each `n` is claimed once.
 */
interface Stored {
  _id: string;
  n: number;
  expiresAt: Date;
  value?: unknown;
  [field: string]: unknown;
}

export interface Change<T, R> {
  /** The new value; none when nothing is to be written. */
  next?: T;
  result: R;
}

export class Contended extends Error {
  override name = 'Contended';
}

// A version stays this long after a newer one replaced it (or after its own expiry), so
// that a reader whose view of the head lags still finds every version above it.
const GRACE_MS = 5 * 60_000;
const MAX_ROUNDS = 25;
const MAX_PROBES = 1000;

/**
 * Small records changed by compare-and-swap, with single-document inserts only: a change
 * reads the latest version n and inserts version n+1, which succeeds for exactly one
 * writer (the unique `_id`); the others read again and retry. Neither `$inc` nor
 * `findOneAndUpdate` will do: FerretDB v1 runs them as a read followed by a write, and
 * parallel increments are lost. Works the same on MongoDB, across any number of
 * instances, without transactions.
 */
export class VersionedRecords<T extends object> {
  readonly #coll: Collection<Stored>;
  readonly #expiry: (value: T) => Date;

  /** `expiry`: when a value may be forgotten; its documents are swept a grace period later. */
  constructor(db: Db, collection: string, expiry: (value: T) => Date) {
    this.#coll = db.collection<Stored>(collection);
    this.#expiry = expiry;
  }

  async ensureIndexes(): Promise<void> {
    await this.#coll.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
  }

  // Only `{ _id: <string> }` is looked up: the one filter FerretDB v1 answers from its index.
  #find(id: string) {
    return this.#coll.findOne({ _id: id });
  }

  /** The latest version: from the head (which may lag behind), up through newer versions. */
  async read(key: string): Promise<{ n: number; value: T | undefined }> {
    const head = await this.#find(key);
    let n = head?.n ?? 0;
    let value: T | undefined;
    if (head) {
      const { _id: _key, n: _n, expiresAt: _expiresAt, ...rest } = head;
      value = rest as T;
    }
    for (let probes = 0; probes < MAX_PROBES; probes++) {
      const next = await this.#find(`${key}:${n + 1}`);
      if (!next) return { n, value };
      n = next.n;
      value = next.value as T;
    }
    throw new Contended(`record ${key} has too many versions to read`);
  }

  /**
   * Applies `change` to the latest value atomically: it is called again, with the newer
   * value, whenever another writer got there first. `n` is the version being written, so
   * a change can tell a fresh start from all earlier ones.
   */
  async update<R>(key: string, change: (value: T | undefined, n: number) => Change<T, R>): Promise<R> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { n, value } = await this.read(key);
      const { next, result } = change(value, n + 1);
      if (!next) return result;
      const expiresAt = new Date(this.#expiry(next).getTime() + GRACE_MS);
      try {
        await this.#coll.insertOne({ _id: `${key}:${n + 1}`, n: n + 1, value: next, expiresAt });
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      await this.#writeHead(key, n + 1, next, expiresAt);
      if (n > 0) {
        await this.#coll.updateOne({ _id: `${key}:${n}` }, { $set: { expiresAt: new Date(Date.now() + GRACE_MS) } });
      }
      return result;
    }
    throw new Contended(`record ${key} changed too often to update`);
  }

  async #writeHead(key: string, n: number, value: T, expiresAt: Date): Promise<void> {
    try {
      await this.#coll.replaceOne({ _id: key }, { ...value, n, expiresAt }, { upsert: true });
    } catch (err) {
      // Another writer created the head at the same moment; readers probe past a lagging head.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async sweep(now = new Date()): Promise<void> {
    await this.#coll.deleteMany({ expiresAt: { $lte: now } });
  }
}
