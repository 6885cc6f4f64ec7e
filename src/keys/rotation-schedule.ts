import type { Collection, Db } from 'mongodb';

import { SIGNING_ALGS, type SigningAlg } from '../consts/index.js';
import type { SigningKeyRecord, SigningKeys } from './signing-keys.js';

/**
 * One document per rotation ever made on schedule. Its `_id` is the claim: FerretDB v1 has no
 * transactions and runs updates as read-then-write, so the only thing every instance can
 * agree on under concurrency is which of them inserted a unique `_id` first.
 */
interface RotationClaim {
  _id: string;
  alg: SigningAlg;
  /** The key this rotation replaces. */
  replaces: string;
  claimed_at: Date;
}

/** A claim whose rotation never happened (the instance died in between) may be retried after this. */
const STALE_CLAIM_MS = 10 * 60 * 1000;
/** How long a scheduled tick reuses the longest token lifetime it read (see #recentLifetime). */
const LIFETIME_REREAD_MS = 60_000;

export interface LongestLifetime {
  /** Seconds; undefined: some token may never expire. */
  seconds: number | undefined;
}

export interface RotationScheduleOptions {
  db: Db;
  keys: SigningKeys;
  /** KEY_ROTATION_DAYS in milliseconds; 0: no scheduled rotation (retired keys are still removed). */
  periodMs: number;
  activationDelaySeconds: number;
  /** Instances pick up a new signer at most this long after it is due, so they may sign a little longer. */
  configRefreshSeconds: number;
  /** The longest lifetime a JWT can be given now (see longestJwtLifetime). */
  longestLifetime: () => Promise<LongestLifetime>;
  /** True while some recorded JWT issued at or before `issuedBy` (seconds) has not expired. */
  unexpiredJwtIssuedBy: (issuedBy: number, now: Date) => Promise<boolean>;
}

export interface KeyRemovalPlan {
  kid: string;
  /** When the key may go; undefined: kept for ever, as tokens that never expire may exist. */
  removeAfter: Date | undefined;
}

export interface TickResult {
  rotated: { alg: SigningAlg; kid: string }[];
  removed: string[];
  /** When the key that signs now was created, per algorithm (for the key-age metric). */
  signerCreatedAt: Map<SigningAlg, Date>;
}

type KeySummary = Pick<SigningKeyRecord, '_id' | 'alg' | 'status' | 'created_at' | 'activate_at' | 'imported_at'>;

/**
 * Scheduled rotation and the removal of retired keys, run by every instance on a timer and
 * safe to run by all of them at once: each rotation is claimed once per replaced key.
 */
export class RotationSchedule {
  readonly #keys: Collection<SigningKeyRecord>;
  readonly #claims: Collection<RotationClaim>;
  readonly #o: RotationScheduleOptions;
  #lifetime: { value: LongestLifetime; readAt: number } | undefined;

  constructor(o: RotationScheduleOptions) {
    this.#o = o;
    this.#keys = o.db.collection<SigningKeyRecord>('signing_keys');
    this.#claims = o.db.collection<RotationClaim>('key_rotations');
  }

  async #summaries(): Promise<KeySummary[]> {
    return this.#keys.find({}, {
      projection: { _id: 1, alg: 1, status: 1, created_at: 1, activate_at: 1, imported_at: 1 },
      sort: { created_at: 1, _id: 1 },
    }).toArray();
  }

  /** Inserts the claim; false when another instance holds it. */
  async #claim(id: string, alg: SigningAlg, replaces: string, now: Date): Promise<boolean> {
    try {
      await this.#claims.insertOne({ _id: id, alg, replaces, claimed_at: now });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /**
   * Claims the rotation of `newest`. The first claim is per replaced key; if its holder died
   * before adding the successor, one retry claim per stale first claim, named after that
   * claim's time so every instance names it alike.
   */
  async #claimRotation(newest: KeySummary, now: Date): Promise<boolean> {
    const first = `rotation:${newest.alg}:${newest._id}`;
    if (await this.#claim(first, newest.alg, newest._id, now)) return true;
    const held = await this.#claims.findOne({ _id: first });
    if (!held || now.getTime() - held.claimed_at.getTime() < STALE_CLAIM_MS) return false;
    return this.#claim(`${first}:retry:${held.claimed_at.getTime()}`, newest.alg, newest._id, now);
  }

  /** The key each algorithm will sign with last: the newest one, whether or not it is due yet. */
  static newestPerAlg(docs: KeySummary[]): Map<SigningAlg, KeySummary> {
    const newest = new Map<SigningAlg, KeySummary>();
    for (const d of docs) newest.set(d.alg, d);
    return newest;
  }

  /**
   * When each retired key may be removed: once it has stopped signing (its successor became
   * due, plus the time instances take to notice) and the longest lifetime in force has passed.
   */
  async removalPlan(docs?: KeySummary[], longestLifetime = this.#o.longestLifetime): Promise<KeyRemovalPlan[]> {
    const all = docs ?? await this.#summaries();
    // The lifetime is a read over every JWT client, a full scan on FerretDB (400 ms at 2,000
    // clients, every CONFIG_REFRESH_SECONDS in each instance): only worth it with a key to plan.
    if (!all.some((d) => d.status === 'retired')) return [];
    const lifetime = await longestLifetime();
    const plans: KeyRemovalPlan[] = [];
    for (const [i, doc] of all.entries()) {
      if (doc.status !== 'retired') continue;
      const end = signingEndOf(doc, all.slice(i + 1), this.#o.configRefreshSeconds);
      plans.push({
        kid: doc._id,
        removeAfter: lifetime.seconds === undefined || end === undefined
          ? undefined
          : new Date(end.getTime() + lifetime.seconds * 1000),
      });
    }
    return plans;
  }

  /**
   * The schedule's lifetime, read at most once a minute: retired keys wait for hours, or for
   * ever under tokens that never expire, and a removal a minute late costs nothing.
   */
  async #recentLifetime(): Promise<LongestLifetime> {
    if (!this.#lifetime || Date.now() - this.#lifetime.readAt > LIFETIME_REREAD_MS) {
      this.#lifetime = { value: await this.#o.longestLifetime(), readAt: Date.now() };
    }
    return this.#lifetime.value;
  }

  async tick(now = new Date()): Promise<TickResult> {
    const result: TickResult = { rotated: [], removed: [], signerCreatedAt: new Map() };
    let docs = await this.#summaries();
    if (this.#o.periodMs > 0) {
      for (const alg of SIGNING_ALGS) {
        const newest = RotationSchedule.newestPerAlg(docs).get(alg);
        if (!newest || now.getTime() - newest.created_at.getTime() < this.#o.periodMs) continue;
        if (!(await this.#claimRotation(newest, now))) continue;
        const [kid] = await this.#o.keys.rotate([alg], this.#o.activationDelaySeconds);
        result.rotated.push({ alg, kid: kid! });
      }
      if (result.rotated.length) docs = await this.#summaries();
    }
    for (const plan of await this.removalPlan(docs, () => this.#recentLifetime())) {
      const doc = docs.find((d) => d._id === plan.kid)!;
      // Another server's keys signed tokens this one never recorded: those stay for the operator.
      if (doc.imported_at || !plan.removeAfter || plan.removeAfter > now) continue;
      // The lifetime in force may have been shortened since; the token records say for sure.
      const end = signingEndOf(doc, docs.slice(docs.indexOf(doc) + 1), this.#o.configRefreshSeconds)!;
      if (await this.#o.unexpiredJwtIssuedBy(Math.ceil(end.getTime() / 1000), now)) continue;
      if (await this.#o.keys.remove(plan.kid).catch(() => false)) result.removed.push(plan.kid);
    }
    for (const d of docs) {
      if (!d.activate_at || d.activate_at <= now) result.signerCreatedAt.set(d.alg, d.created_at);
    }
    return result;
  }
}

/** When `doc` last signed: its successor's activation, plus the refresh lag of other instances. */
function signingEndOf(doc: KeySummary, later: KeySummary[], refreshSeconds: number): Date | undefined {
  const successor = later.find((d) => d.alg === doc.alg);
  if (!successor) return undefined;
  const due = (successor.activate_at ?? successor.created_at).getTime();
  return new Date(due + refreshSeconds * 1000);
}
