import { randomBytes } from 'node:crypto';

import type { Collection, Db } from 'mongodb';

import { conflict, notFound } from '../http/index.js';
import { hashPassword } from '../portal/password.js';
import type { PortalRole, PortalUser } from '../portal/users.js';
import { isDuplicateKey } from '../store/index.js';

export type AccountStatus = 'invited' | 'active' | 'disabled';

/**
 * A portal account: the `portal_users` record sign-in reads, with what accounts add to it. Records
 * written before accounts existed (the bootstrap admin) have no status and count as active.
 */
export interface AccountDoc extends PortalUser {
  status?: AccountStatus;
  email?: string;
  invited_by?: string;
}

export interface Account {
  username: string;
  role: PortalRole;
  status: AccountStatus;
  email: string | null;
  invited_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$';
const USERNAME = new RegExp(USERNAME_PATTERN);
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

export const statusOf = (doc: AccountDoc): AccountStatus => doc.status ?? 'active';

export function present(doc: AccountDoc): Account {
  return {
    username: doc.username,
    role: doc.role,
    status: statusOf(doc),
    email: doc.email ?? null,
    invited_by: doc.invited_by ?? null,
    created_at: doc.created_at,
    updated_at: doc.updated_at,
  };
}

/** Why a chosen password is refused, in words for the person choosing it; undefined when it is fine. */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if (password.toLowerCase().includes(username.toLowerCase())) return 'Do not put your username in your password.';
  return undefined;
}

export function usernameProblem(username: string): string | undefined {
  if (!username) return 'Enter a username.';
  if (!USERNAME.test(username)) {
    return 'Use up to 100 letters, digits and . _ @ + - (starting with a letter or digit).';
  }
  return undefined;
}

/** A hash nothing matches: an invited account cannot be signed in to until its password is chosen. */
const unusableHash = async () => hashPassword(randomBytes(32).toString('base64url'));

/** Portal accounts (`portal_users`): who they are, their role and whether they may sign in. */
export class Accounts {
  readonly #coll: Collection<AccountDoc>;

  constructor(db: Db) {
    this.#coll = db.collection<AccountDoc>('portal_users');
  }

  find(username: string): Promise<AccountDoc | null> {
    return this.#coll.findOne({ _id: username.toLowerCase() });
  }

  async get(username: string): Promise<AccountDoc> {
    const doc = await this.find(username);
    if (!doc) throw notFound(`account ${username} not found`);
    return doc;
  }

  async list(): Promise<AccountDoc[]> {
    return this.#coll.find({}).sort({ created_at: 1 }).limit(1000).toArray();
  }

  /** A new account that signs in only once its password is chosen through an invitation. */
  async createInvited(o: { username: string; role: PortalRole; email?: string; invitedBy: string }): Promise<AccountDoc> {
    const now = new Date();
    const doc: AccountDoc = {
      _id: o.username.toLowerCase(),
      username: o.username,
      password_hash: await unusableHash(),
      role: o.role,
      status: 'invited',
      ...(o.email ? { email: o.email } : {}),
      invited_by: o.invitedBy,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.#coll.insertOne(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(`an account named ${o.username} already exists`);
      throw err;
    }
    return doc;
  }

  /** Self sign-up: an active developer account with the password it chose. */
  async createActive(o: { username: string; password: string; email: string }): Promise<AccountDoc> {
    const now = new Date();
    const doc: AccountDoc = {
      _id: o.username.toLowerCase(),
      username: o.username,
      password_hash: await hashPassword(o.password),
      role: 'developer',
      status: 'active',
      email: o.email,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.#coll.insertOne(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict('an account with this name already exists');
      throw err;
    }
    return doc;
  }

  /** The password chosen through an invitation; an invited account becomes active, a disabled one stays so. */
  async setPassword(username: string, password: string): Promise<AccountDoc> {
    const doc = await this.get(username);
    const status = statusOf(doc) === 'invited' ? 'active' : statusOf(doc);
    await this.#coll.updateOne(
      { _id: doc._id },
      { $set: { password_hash: await hashPassword(password), status, updated_at: new Date() } },
    );
    return { ...doc, status };
  }

  /** A password reset makes the old password worthless at once, before the link is even used. */
  async clearPassword(username: string): Promise<void> {
    await this.#coll.updateOne(
      { _id: username.toLowerCase() },
      { $set: { password_hash: await unusableHash(), updated_at: new Date() } },
    );
  }

  async setStatus(username: string, status: 'active' | 'disabled'): Promise<void> {
    const r = await this.#coll.updateOne({ _id: username.toLowerCase() }, { $set: { status, updated_at: new Date() } });
    if (!r.matchedCount) throw notFound(`account ${username} not found`);
  }

  async remove(username: string): Promise<void> {
    await this.#coll.deleteOne({ _id: username.toLowerCase() });
  }

  async countActiveAdmins(): Promise<number> {
    return this.#coll.countDocuments({ role: 'admin', status: { $ne: 'disabled' } });
  }
}
