import { createHash, randomBytes } from 'node:crypto';

import type { Collection, Db } from 'mongodb';

import type { PortalRole, PortalUser } from './users.js';

export interface Flash {
  kind: 'success' | 'info' | 'error';
  text: string;
}

export interface PortalSession {
  /** sha256 of the cookie value: a database dump does not hand out live sessions. */
  _id: string;
  user_id: string;
  username: string;
  role: PortalRole;
  /** Sent in every form; compared on every POST. */
  csrf: string;
  created_at: Date;
  /** Checked on every read; no TTL index is relied on (FerretDB has none). */
  expiresAt: Date;
  /** Where it was opened, so its person can tell their sessions apart. */
  ip?: string;
  user_agent?: string;
  /** `api`: a management API session token rather than a browser's cookie. */
  kind?: 'browser' | 'api';
  /** One message for the next page after a redirect. */
  flash?: Flash;
}

const hashId = (sid: string) => createHash('sha256').update(sid).digest('base64url');

/** Portal sign-in sessions (`portal_sessions`). */
export class PortalSessions {
  readonly #coll: Collection<PortalSession>;
  readonly #lifetimeMs: number;

  constructor(db: Db, lifetimeSeconds: number) {
    this.#coll = db.collection<PortalSession>('portal_sessions');
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  get collection(): Collection<PortalSession> {
    return this.#coll;
  }

  async ensureIndexes(): Promise<void> {
    await this.#coll.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    await this.#coll.createIndex({ user_id: 1 }, { name: 'user_id_1' });
  }

  /** A new session; the returned id goes into the cookie and is never stored. */
  async create(
    user: PortalUser,
    meta: { ip?: string; userAgent?: string; kind?: 'browser' | 'api' } = {},
  ): Promise<{ sid: string; session: PortalSession }> {
    const sid = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: PortalSession = {
      _id: hashId(sid),
      user_id: user._id,
      username: user.username,
      role: user.role,
      csrf: randomBytes(32).toString('base64url'),
      created_at: new Date(now),
      expiresAt: new Date(now + this.#lifetimeMs),
      ...(meta.ip ? { ip: meta.ip } : {}),
      ...(meta.userAgent ? { user_agent: meta.userAgent.slice(0, 300) } : {}),
      ...(meta.kind ? { kind: meta.kind } : {}),
    };
    await this.#coll.insertOne(session);
    return { sid, session };
  }

  async find(sid: string): Promise<PortalSession | undefined> {
    if (!sid || sid.length > 100) return undefined;
    const session = await this.#coll.findOne({ _id: hashId(sid) });
    if (!session || session.expiresAt.getTime() <= Date.now()) return undefined;
    return session;
  }

  async destroy(sid: string): Promise<void> {
    await this.#coll.deleteOne({ _id: hashId(sid) });
  }

  async destroyForUser(userId: string): Promise<void> {
    await this.#coll.deleteMany({ user_id: userId });
  }

  async setFlash(session: PortalSession, flash: Flash): Promise<void> {
    await this.#coll.updateOne({ _id: session._id }, { $set: { flash } });
  }

  async clearFlash(session: PortalSession): Promise<void> {
    await this.#coll.updateOne({ _id: session._id }, { $unset: { flash: '' } });
  }

  /** Expired sessions only take space; reads already ignore them. */
  async sweep(now = new Date()): Promise<void> {
    await this.#coll.deleteMany({ expiresAt: { $lte: now } });
  }
}
