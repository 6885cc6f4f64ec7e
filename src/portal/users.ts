import type { Collection, Db } from 'mongodb';

import { hashForUnknownUser, hashPassword, verifyPassword } from './password.js';

export type PortalRole = 'admin' | 'developer';

export interface PortalUser {
  /** The username in lower case: usernames are unique regardless of case. */
  _id: string;
  username: string;
  password_hash: string;
  role: PortalRole;
  /** Absent on records made before accounts had one: those are active. */
  status?: 'invited' | 'active' | 'disabled';
  created_at: Date;
  updated_at: Date;
}

/** People who sign in to the portal (`portal_users`). */
export class PortalUsers {
  readonly #coll: Collection<PortalUser>;

  constructor(db: Db) {
    this.#coll = db.collection<PortalUser>('portal_users');
  }

  find(username: string): Promise<PortalUser | null> {
    return this.#coll.findOne({ _id: username.toLowerCase() });
  }

  async create(username: string, password: string, role: PortalRole): Promise<PortalUser> {
    const now = new Date();
    const user: PortalUser = {
      _id: username.toLowerCase(),
      username,
      password_hash: await hashPassword(password),
      role,
      created_at: now,
      updated_at: now,
    };
    await this.#coll.insertOne(user);
    return user;
  }

  async setPassword(username: string, password: string, role?: PortalRole): Promise<void> {
    await this.#coll.updateOne(
      { _id: username.toLowerCase() },
      { $set: { password_hash: await hashPassword(password), updated_at: new Date(), ...(role ? { role } : {}) } },
    );
  }

  /** The user when the password matches; the same work is done when the user does not exist. */
  async authenticate(username: string, password: string): Promise<PortalUser | undefined> {
    const user = username ? await this.find(username) : null;
    const ok = await verifyPassword(password, user?.password_hash ?? (await hashForUnknownUser()));
    // An invited account has no password yet and a disabled one may not sign in.
    return user && ok && (user.status ?? 'active') === 'active' ? user : undefined;
  }
}
