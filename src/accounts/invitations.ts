import { createHash, randomBytes } from 'node:crypto';

import type { Collection, Db } from 'mongodb';

import { isDuplicateKey } from '../store/index.js';

export type InvitationPurpose = 'invite' | 'reset';

export interface InvitationDoc {
  /** sha256 of the link's token: a database dump hands out no usable links. */
  _id: string;
  username: string;
  purpose: InvitationPurpose;
  created_by: string;
  created_at: Date;
  expiresAt: Date;
}

/** The claim on an invitation: its unique _id is what makes a link single-use. */
interface InvitationUseDoc {
  _id: string;
  username: string;
  used_at: Date;
  expiresAt: Date;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Single-use links with an expiry by which a person chooses a password (`portal_invitations`).
 * FerretDB has no transactions and its conditional updates are read-then-write, so a link is
 * consumed by inserting `invitation-used:<id>` into `portal_invitation_uses`: of two parallel
 * uses, the unique index lets exactly one insert win.
 */
export class Invitations {
  readonly #coll: Collection<InvitationDoc>;
  readonly #uses: Collection<InvitationUseDoc>;
  readonly #lifetimeMs: number;

  constructor(db: Db, lifetimeSeconds: number) {
    this.#coll = db.collection<InvitationDoc>('portal_invitations');
    this.#uses = db.collection<InvitationUseDoc>('portal_invitation_uses');
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  async ensureIndexes(): Promise<void> {
    await this.#coll.createIndex({ username: 1 }, { name: 'username_1' });
    await this.#coll.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
  }

  /** A new link token; only its hash is kept. Earlier links for the same person stop working. */
  async create(username: string, purpose: InvitationPurpose, createdBy: string): Promise<{ token: string; expiresAt: Date }> {
    const key = username.toLowerCase();
    await this.#coll.deleteMany({ username: key });
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = new Date(now + this.#lifetimeMs);
    await this.#coll.insertOne({
      _id: hashOf(token),
      username: key,
      purpose,
      created_by: createdBy,
      created_at: new Date(now),
      expiresAt,
    });
    return { token, expiresAt };
  }

  /** The invitation a link stands for, while it is unused and unexpired. */
  async find(token: string): Promise<InvitationDoc | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const doc = await this.#coll.findOne({ _id: hashOf(token) });
    if (!doc || doc.expiresAt.getTime() <= Date.now()) return undefined;
    const used = await this.#uses.findOne({ _id: `invitation-used:${doc._id}` }, { projection: { _id: 1 } });
    return used ? undefined : doc;
  }

  /** Claims the link for one use; false when it is unknown, expired, or someone else claimed it first. */
  async consume(token: string): Promise<InvitationDoc | undefined> {
    const doc = await this.find(token);
    if (!doc) return undefined;
    try {
      await this.#uses.insertOne({
        _id: `invitation-used:${doc._id}`,
        username: doc.username,
        used_at: new Date(),
        expiresAt: doc.expiresAt,
      });
    } catch (err) {
      if (isDuplicateKey(err)) return undefined;
      throw err;
    }
    await this.#coll.deleteOne({ _id: doc._id });
    return doc;
  }

  /** Pending (unexpired) invitations by username, for the accounts list. */
  async pending(): Promise<Map<string, InvitationDoc>> {
    const docs = await this.#coll.find({ expiresAt: { $gt: new Date() } }).limit(1000).toArray();
    return new Map(docs.map((d) => [d.username, d]));
  }

  async removeFor(username: string): Promise<void> {
    await this.#coll.deleteMany({ username: username.toLowerCase() });
  }

  async sweep(now = new Date()): Promise<void> {
    await this.#coll.deleteMany({ expiresAt: { $lte: now } });
    await this.#uses.deleteMany({ expiresAt: { $lte: now } });
  }
}
