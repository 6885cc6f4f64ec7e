import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';

import type { Collection, Db, Filter } from 'mongodb';

import type { AuditAction } from './actions.js';

export interface AuditEntry {
  _id: string;
  at: Date;
  /**
   * Who: `client:<id>` for API callers and RFC 7592, `user:<name>` for portal users,
   * `initial_access_token:<id>` for registrations, `system`.
   */
  actor: string;
  /** What, from the one vocabulary in actions.ts. */
  action: AuditAction;
  /** The thing acted on: an API identifier, a client id, a key id. Never a secret. */
  target?: string;
  /** From where: the request's source address. */
  ip?: string;
  /** Extra, non-secret facts (status, key type, scopes). */
  details?: Record<string, unknown>;
}

export type AuditInput = Omit<AuditEntry, '_id' | 'at'>;

/** Keys whose values may never land in the log, wherever they appear in details. */
// `token` only at the end of a key: access_token_ttl and access_token_strategy are settings.
const SECRET_KEYS = /secret|password|assertion|private|^d$|authorization|token$/i;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>)
    .filter(([k]) => !SECRET_KEYS.test(k))
    .map(([k, v]) => [k, scrub(v, depth + 1)]));
}

/**
 * Append-only record of administrative changes, registrations, key generation and
 * revocations. Writing it never fails the action it describes: the action already happened.
 */
export class AuditLog {
  readonly #coll: Collection<AuditEntry>;
  readonly #onError: (err: unknown) => void;

  constructor(db: Db, onError: (err: unknown) => void) {
    this.#coll = db.collection<AuditEntry>('audit_log');
    this.#onError = onError;
  }

  async ensureIndexes(): Promise<void> {
    await this.#coll.createIndex({ at: -1 }, { name: 'at_-1' });
    await this.#coll.createIndex({ action: 1, at: -1 }, { name: 'action_1_at_-1' });
  }

  async record(entry: AuditInput): Promise<void> {
    const doc: AuditEntry = { _id: randomUUID(), at: new Date(), ...entry };
    // Behind proxies the address comes from X-Forwarded-For: keep it only if it is one.
    if (doc.ip !== undefined && !isIP(doc.ip)) doc.ip = 'invalid';
    if (entry.details) doc.details = scrub(entry.details) as Record<string, unknown>;
    try {
      await this.#coll.insertOne(doc);
    } catch (err) {
      this.#onError(err);
    }
  }

  /**
   * Newest first, ties on `at` broken by _id so that a page boundary never skips an entry.
   * `after` is the (at, _id) of the last entry of the previous page.
   */
  async list(q: { limit: number; before?: Date; after?: { at: Date; id: string }; action?: AuditAction; actor?: string; target?: string }): Promise<AuditEntry[]> {
    const filter: Filter<AuditEntry> = {};
    if (q.before) filter.at = { $lt: q.before };
    if (q.after) filter.$or = [{ at: { $lt: q.after.at } }, { at: q.after.at, _id: { $lt: q.after.id } }];
    if (q.action) filter.action = q.action;
    if (q.actor) filter.actor = q.actor;
    if (q.target) filter.target = q.target;
    return this.#coll.find(filter, { sort: { at: -1, _id: -1 }, limit: q.limit }).toArray();
  }
}
