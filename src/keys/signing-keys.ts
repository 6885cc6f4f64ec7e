import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Collection, Db } from 'mongodb';

import { SIGNING_ALGS, type SigningAlg } from '../consts/index.js';
import { KeyWrapper, type WrappedSecret } from './key-wrap.js';

export interface SigningKeyRecord {
  _id: string; // kid
  alg: SigningAlg;
  /** active: the newest key of its algorithm; retired: replaced, published so its tokens verify. */
  status: 'active' | 'retired';
  created_at: Date;
  /**
   * Signs from this moment on. A new key is published at once but signs only after every
   * instance has had time to load it, so no instance ever sees a token it cannot verify.
   */
  activate_at?: Date;
  retired_at?: Date;
  /** Set when the key came from another server's export (POST /api/import); ours have none. */
  imported_at?: Date;
  /** The issuer named in the document it came from, when it named one. */
  imported_from?: string;
  public_jwk: JWK;
  private_jwk: WrappedSecret;
}

export interface SigningKeySet {
  /** Private JWKs for oidc-provider's keystore: every key, so every issued token verifies. */
  jwks: { keys: JWK[] };
  /** The kid that signs new tokens, per algorithm. */
  signingKid: Map<SigningAlg, string>;
  /** Changes whenever a key is added, retired or removed; instances compare it to reload. */
  fingerprint: string;
}

/** The key is retired but no successor of its algorithm has activated yet. */
export class KeyStillSigning extends Error {
  override name = 'KeyStillSigning';
}

/** The key type each signing algorithm needs. */
const KEY_SHAPE: Record<SigningAlg, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

/** The members a private JWK shares with its public half. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

export class KeyError extends Error {
  override name = 'KeyError';
}

async function generate(alg: SigningAlg): Promise<{ kid: string; pub: JWK; priv: JWK }> {
  const { publicKey, privateKey } = alg === 'EdDSA'
    ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    : await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const meta = { kid, alg, use: 'sig' };
  return { kid, pub: { ...pub, ...meta }, priv: { ...(await exportJWK(privateKey)), ...meta } };
}

export class SigningKeys {
  readonly #coll: Collection<SigningKeyRecord>;
  readonly #wrap: KeyWrapper;

  constructor(db: Db, keyEncryptionSecret: string) {
    this.#coll = db.collection<SigningKeyRecord>('signing_keys');
    this.#wrap = new KeyWrapper(keyEncryptionSecret);
  }

  async #add(alg: SigningAlg, activationDelaySeconds = 0): Promise<string> {
    const { kid, pub, priv } = await generate(alg);
    const now = new Date();
    await this.#coll.insertOne({
      _id: kid,
      alg,
      status: 'active',
      created_at: now,
      activate_at: new Date(now.getTime() + activationDelaySeconds * 1000),
      public_jwk: pub,
      private_jwk: this.#wrap.wrap(JSON.stringify(priv), kid),
    });
    return kid;
  }

  /** First start: one active key per algorithm. Two instances racing both add one; harmless. */
  async ensure(): Promise<void> {
    for (const alg of SIGNING_ALGS) {
      if (!(await this.#coll.findOne({ alg, status: 'active' }))) await this.#add(alg);
    }
  }

  /**
   * New signing key(s), signing after `activationDelaySeconds`; until then the previous key
   * signs. The old ones stay published as retired, so every token they signed keeps
   * verifying until an operator removes them.
   */
  async rotate(algs: readonly SigningAlg[] = SIGNING_ALGS, activationDelaySeconds = 0): Promise<string[]> {
    const kids: string[] = [];
    for (const alg of algs) {
      const kid = await this.#add(alg, activationDelaySeconds);
      await this.#coll.updateMany(
        { alg, status: 'active', _id: { $ne: kid } },
        { $set: { status: 'retired', retired_at: new Date() } },
      );
      kids.push(kid);
    }
    return kids;
  }

  /**
   * Stores keys from an exported document, as stored there (private halves still wrapped),
   * marked as imported so they can be told from this server's own. A key this server already
   * holds keeps its origin: its own key coming back from a backup stays its own, and an
   * imported one keeps the first import's mark.
   */
  /** Every key record as stored (private halves still wrapped), oldest first: for export. */
  async exportRecords(): Promise<SigningKeyRecord[]> {
    return this.#coll.find({}, { sort: { created_at: 1, _id: 1 } }).toArray();
  }

  /**
   * What is wrong with an imported key, before anything is written: its private half must open
   * with this server's KEY_ENCRYPTION_SECRET, be a key of its `alg`, and its public half must be
   * that key's own. undefined when it is sound.
   */
  checkImported(kid: string, alg: SigningAlg, wrapped: WrappedSecret, publicJwk: unknown): string | undefined {
    let priv: JWK;
    try {
      priv = JSON.parse(this.#wrap.unwrap(wrapped, kid)) as JWK;
    } catch {
      return 'cannot be decrypted here; KEY_ENCRYPTION_SECRET must be the one of the exporting server';
    }
    const shape = KEY_SHAPE[alg];
    if (priv.kty !== shape.kty || (shape.crv && priv.crv !== shape.crv)) {
      return `is not an ${alg} key (it is ${priv.kty}${priv.crv ? ` ${priv.crv}` : ''})`;
    }
    const pub = (publicJwk ?? {}) as Record<string, unknown>;
    const own = PUBLIC_MEMBERS.filter((m) => (priv as Record<string, unknown>)[m] !== undefined);
    if (own.some((m) => pub[m] !== (priv as Record<string, unknown>)[m]) || pub['d'] !== undefined) {
      return 'has a public_jwk that is not the public half of its private key';
    }
    return undefined;
  }

  async importKeys(docs: (Record<string, unknown> & { _id: string })[], from: string | undefined): Promise<void> {
    for (const doc of docs) {
      const existing = await this.#coll.findOne({ _id: doc._id }, { projection: { imported_at: 1, imported_from: 1 } });
      const { imported_at: _at, imported_from: _from, ...key } = doc;
      const origin = existing
        ? { ...(existing.imported_at ? { imported_at: existing.imported_at } : {}), ...(existing.imported_from ? { imported_from: existing.imported_from } : {}) }
        : { imported_at: new Date(), ...(from ? { imported_from: from } : {}) };
      await this.#coll.replaceOne({ _id: doc._id }, { ...key, ...origin } as unknown as SigningKeyRecord, { upsert: true });
    }
  }

  async list(): Promise<Omit<SigningKeyRecord, 'private_jwk'>[]> {
    return this.#coll
      .find({}, { projection: { private_jwk: 0 }, sort: { created_at: 1, _id: 1 } })
      .toArray();
  }

  /** Only retired keys may go: removing an active one would break signing. */
  async remove(kid: string): Promise<boolean> {
    const doc = await this.#coll.findOne({ _id: kid }, { projection: { status: 1 } });
    if (!doc) return false;
    if (doc.status !== 'retired') throw new KeyError('only retired keys can be removed; rotate first');
    // A retired key goes on signing until its successor activates (KEY_ACTIVATION_DELAY_SECONDS).
    const all = await this.#coll.find({}, { projection: { status: 1, alg: 1, activate_at: 1 }, sort: { created_at: 1, _id: 1 } }).toArray();
    if ([...signersOf(all, Date.now()).values()].includes(kid)) {
      throw new KeyStillSigning(`key ${kid} still signs until its successor activates; remove it after that`);
    }
    await this.#coll.deleteOne({ _id: kid, status: 'retired' });
    return true;
  }

  /** Same value as SigningKeySet.fingerprint, read without decrypting anything. */
  async fingerprint(now = Date.now()): Promise<string> {
    const docs = await this.#coll
      .find({}, { projection: { status: 1, alg: 1, activate_at: 1 }, sort: { created_at: 1, _id: 1 } })
      .toArray();
    return fingerprintOf(docs, now);
  }

  async load(now = Date.now()): Promise<SigningKeySet> {
    const docs = await this.#coll.find({}, { sort: { created_at: 1, _id: 1 } }).toArray();
    const signingKid = signersOf(docs, now);
    const keys: JWK[] = [];
    for (const doc of docs) {
      let jwk: JWK;
      try {
        jwk = JSON.parse(this.#wrap.unwrap(doc.private_jwk, doc._id)) as JWK;
      } catch {
        throw new KeyError(
          `signing key ${doc._id} cannot be decrypted: KEY_ENCRYPTION_SECRET differs from the one it was stored with`,
        );
      }
      keys.push(jwk);
    }
    for (const alg of SIGNING_ALGS) {
      if (!signingKid.has(alg)) throw new KeyError(`no ${alg} signing key`);
    }
    return { jwks: { keys }, signingKid, fingerprint: fingerprintOf(docs, now) };
  }
}

type KeyDocSummary = Pick<SigningKeyRecord, '_id' | 'alg' | 'status' | 'activate_at'>;

/**
 * The signer per algorithm: the newest key already due to sign (docs come oldest first).
 * Status does not matter here: a retired key keeps signing until its successor is due.
 */
export function signersOf(docs: KeyDocSummary[], now: number): Map<SigningAlg, string> {
  const signers = new Map<SigningAlg, string>();
  for (const doc of docs) {
    if (!doc.activate_at || doc.activate_at.getTime() <= now) signers.set(doc.alg, doc._id);
  }
  return signers;
}

/** Changes when a key is added, retired, removed, or becomes the signer as time passes. */
function fingerprintOf(docs: KeyDocSummary[], now: number): string {
  const signers = [...signersOf(docs, now).values()].join('+');
  return `${docs.map((d) => `${d._id}:${d.status}`).join(',')}|${signers}`;
}
