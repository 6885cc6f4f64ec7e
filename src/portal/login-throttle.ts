import { createHash } from 'node:crypto';

import type { Collection, Db } from 'mongodb';

interface AttemptDoc {
  _id: string;
  failures: number;
  locked_until: Date | null;
  /** Failures are forgotten this long after the last one (or when the lock ends). */
  expiresAt: Date;
}

export interface ThrottleOptions {
  maxAttempts: number;
  lockSeconds: number;
}

export interface ThrottleState {
  /** Seconds until sign-in is possible again; 0 when not locked. */
  lockedFor: number;
  /** How long to hold the answer to the next attempt. */
  delayMs: number;
}

// Counted per username from anywhere as well: addresses come from X-Forwarded-For, which a
// client can vary. That wider counter locks only after many more failures.
const ANY_ADDRESS_FACTOR = 4;
const MAX_DELAY_MS = 8000;

const key = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url');

/**
 * Failed portal sign-ins (`portal_login_attempts`), per username and address: after a few
 * failures each answer is slowed, after `maxAttempts` the pair is locked for `lockSeconds`.
 */
export class LoginThrottle {
  readonly #coll: Collection<AttemptDoc>;
  readonly #o: ThrottleOptions;

  constructor(db: Db, o: ThrottleOptions) {
    this.#coll = db.collection<AttemptDoc>('portal_login_attempts');
    this.#o = o;
  }

  get #delayAfter(): number {
    return Math.max(1, this.#o.maxAttempts - 2);
  }

  async ensureIndexes(): Promise<void> {
    await this.#coll.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
  }

  #keys(username: string, address: string): { pair: string; user: string } {
    const name = username.toLowerCase();
    return { pair: key('pair', name, address), user: key('user', name) };
  }

  async state(username: string, address: string, now = Date.now()): Promise<ThrottleState> {
    const { pair, user } = this.#keys(username, address);
    const docs = await this.#coll.find({ _id: { $in: [pair, user] } }).toArray();
    let lockedFor = 0;
    let failures = 0;
    for (const doc of docs) {
      if (doc.expiresAt.getTime() <= now) continue;
      if (doc.locked_until && doc.locked_until.getTime() > now) {
        lockedFor = Math.max(lockedFor, Math.ceil((doc.locked_until.getTime() - now) / 1000));
      }
      if (doc._id === pair) failures = doc.failures;
    }
    const over = failures - this.#delayAfter;
    return { lockedFor, delayMs: over >= 0 ? Math.min(1000 * 2 ** over, MAX_DELAY_MS) : 0 };
  }

  async #count(id: string, limit: number, now: number): Promise<boolean> {
    // A counter whose window passed starts again from zero.
    await this.#coll.deleteOne({ _id: id, expiresAt: { $lte: new Date(now) } });
    const windowEnd = new Date(now + this.#o.lockSeconds * 1000);
    const doc = await this.#coll.findOneAndUpdate(
      { _id: id },
      { $inc: { failures: 1 }, $set: { expiresAt: windowEnd }, $setOnInsert: { locked_until: null } },
      { upsert: true, returnDocument: 'after' },
    );
    if (!doc || doc.failures < limit) return false;
    await this.#coll.updateOne({ _id: id }, { $set: { locked_until: windowEnd } });
    return true;
  }

  /** Counts a failure; true when this failure locked the username. */
  async recordFailure(username: string, address: string, now = Date.now()): Promise<boolean> {
    const { pair, user } = this.#keys(username, address);
    const pairLocked = await this.#count(pair, this.#o.maxAttempts, now);
    const userLocked = await this.#count(user, this.#o.maxAttempts * ANY_ADDRESS_FACTOR, now);
    return pairLocked || userLocked;
  }

  async reset(username: string, address: string): Promise<void> {
    const { pair, user } = this.#keys(username, address);
    await this.#coll.deleteMany({ _id: { $in: [pair, user] } });
  }

  async sweep(now = new Date()): Promise<void> {
    await this.#coll.deleteMany({ expiresAt: { $lte: now } });
  }
}
