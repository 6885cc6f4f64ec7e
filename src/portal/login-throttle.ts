import { createHash } from 'node:crypto';

import type { Db } from 'mongodb';

import { Contended, VersionedRecords } from './versioned-records.js';

/** One counter of sign-in attempts (`portal_login_attempts`). */
interface Attempts {
  /**
   * Attempts counted in this window: those whose password check is running and those that
   * failed. Counted before the check, so parallel attempts cannot all pass a check-then-count.
   */
  failures: number;
  locked_until: Date | null;
  /** Attempts are forgotten at this time: lockSeconds after the last one, or when the lock ends. */
  window_end: Date;
  /** The version that started this window: changes for attempts of an earlier window are dropped. */
  window: number;
}

export interface ThrottleOptions {
  maxAttempts: number;
  lockSeconds: number;
}

/** One sign-in attempt that holds its place in the counters of its username and address. */
export interface Attempt {
  readonly pair: Place;
  readonly user: Place;
  /** How long to hold the answer before checking the password. */
  readonly delayMs: number;
}

interface Place {
  readonly key: string;
  readonly limit: number;
  /** The counter's value with this attempt: whether its failure locks. */
  readonly count: number;
  readonly window: number;
}

export type Reservation = { granted: true; attempt: Attempt } | { granted: false; retryAfter: number };

type Taken = { granted: true; count: number; window: number } | { granted: false; retryAfter: number };

// Counted per username from anywhere as well: addresses come from X-Forwarded-For, which a
// client can vary. That wider counter locks only after many more failures.
const ANY_ADDRESS_FACTOR = 4;
const MAX_DELAY_MS = 8000;
// A sweep may scan the whole collection (FerretDB v1 filters outside SQLite): not once per sign-in.
const SWEEP_EVERY_MS = 10_000;

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url');
const secondsUntil = (t: Date, now: number) => Math.max(1, Math.ceil((t.getTime() - now) / 1000));
// A counter written before attempts were counted ahead of the check has no window_end: it
// starts again.
const live = (a: Attempts | undefined, now: number): a is Attempts =>
  !!a && a.window_end instanceof Date && a.window_end.getTime() > now;

/**
 * Portal sign-in attempts, per username and address and per username from anywhere. An
 * attempt takes its place in both counters before its password is checked, each by one
 * compare-and-swap; a full counter refuses it. So parallel attempts, at one instance or
 * many sharing the database, check at most `maxAttempts` passwords. After a few attempts
 * each answer is slowed; a failure that fills a counter locks it for `lockSeconds`; a
 * success clears both counters.
 */
export class LoginThrottle {
  readonly #records: VersionedRecords<Attempts>;
  readonly #o: ThrottleOptions;
  #sweptAt = 0;

  constructor(db: Db, o: ThrottleOptions) {
    this.#records = new VersionedRecords<Attempts>(db, 'portal_login_attempts', (a) => a.window_end);
    this.#o = o;
  }

  get #delayAfter(): number {
    return Math.max(1, this.#o.maxAttempts - 2);
  }

  get #lockMs(): number {
    return this.#o.lockSeconds * 1000;
  }

  ensureIndexes(): Promise<void> {
    return this.#records.ensureIndexes();
  }

  #keys(username: string, address: string): { pair: string; user: string } {
    const name = username.toLowerCase();
    return { pair: hash('pair', name, address), user: hash('user', name) };
  }

  /** A place for one attempt in both counters, or how long until there is one. */
  async reserve(username: string, address: string, now = Date.now()): Promise<Reservation> {
    const keys = this.#keys(username, address);
    const pairLimit = this.#o.maxAttempts;
    const userLimit = this.#o.maxAttempts * ANY_ADDRESS_FACTOR;
    const pair = await this.#take(keys.pair, pairLimit, now);
    if (!pair.granted) return pair;
    const user = await this.#take(keys.user, userLimit, now).catch(async (err: unknown) => {
      await this.#giveBack({ key: keys.pair, limit: pairLimit, count: pair.count, window: pair.window });
      throw err;
    });
    if (!user.granted) {
      await this.#giveBack({ key: keys.pair, limit: pairLimit, count: pair.count, window: pair.window });
      return user;
    }
    const over = pair.count - 1 - this.#delayAfter;
    return {
      granted: true,
      attempt: {
        pair: { key: keys.pair, limit: pairLimit, count: pair.count, window: pair.window },
        user: { key: keys.user, limit: userLimit, count: user.count, window: user.window },
        delayMs: over >= 0 ? Math.min(1000 * 2 ** over, MAX_DELAY_MS) : 0,
      },
    };
  }

  async #take(key: string, limit: number, now: number): Promise<Taken> {
    try {
      return await this.#records.update<Taken>(key, (current, n) => {
        const a: Attempts = live(current, now)
          ? current
          : { failures: 0, locked_until: null, window_end: new Date(now), window: n };
        if (a.locked_until && a.locked_until.getTime() > now) {
          return { result: { granted: false, retryAfter: secondsUntil(a.locked_until, now) } };
        }
        if (a.failures >= limit) return { result: { granted: false, retryAfter: secondsUntil(a.window_end, now) } };
        const next = { ...a, failures: a.failures + 1, window_end: new Date(now + this.#lockMs) };
        return { next, result: { granted: true, count: next.failures, window: a.window } };
      });
    } catch (err) {
      // Too many writers at once on one counter: refuse this one, it may try again shortly.
      if (err instanceof Contended) return { granted: false, retryAfter: 1 };
      throw err;
    }
  }

  async #giveBack(place: Place): Promise<void> {
    await this.#records.update(place.key, (current) => {
      if (!current || current.window !== place.window || current.failures === 0) return { result: undefined };
      return { next: { ...current, failures: current.failures - 1 }, result: undefined };
    });
  }

  /** The attempt's password was not checked after all: its places are free again. */
  async release(attempt: Attempt): Promise<void> {
    await this.#giveBack(attempt.pair);
    await this.#giveBack(attempt.user);
  }

  /**
   * The attempt's password was wrong. It stays counted; when it filled a counter, that
   * counter is locked. True when this failure locked the username.
   */
  async recordFailure(attempt: Attempt, now = Date.now()): Promise<boolean> {
    let locked = false;
    for (const place of [attempt.pair, attempt.user]) {
      if (place.count < place.limit) continue;
      const until = new Date(now + this.#lockMs);
      locked = (await this.#records.update(place.key, (current) => {
        // Cleared by a success, or a new window since: nothing of this attempt's is left to lock.
        if (!live(current, now) || current.window !== place.window) return { result: false };
        return { next: { ...current, locked_until: until, window_end: until }, result: true };
      })) || locked;
    }
    return locked;
  }

  /** A successful sign-in forgets the attempts of its username and address. */
  async reset(attempt: Attempt, now = Date.now()): Promise<void> {
    for (const place of [attempt.pair, attempt.user]) {
      await this.#records.update(place.key, (current, n) => live(current, now)
        ? { next: { failures: 0, locked_until: null, window_end: new Date(now), window: n }, result: undefined }
        : { result: undefined });
    }
  }

  /** Forgets expired counters; at most every SWEEP_EVERY_MS, however many sign-ins ask. */
  async sweep(now = new Date()): Promise<void> {
    if (now.getTime() - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now.getTime();
    await this.#records.sweep(now);
  }
}
