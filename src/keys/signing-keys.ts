import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Collection, Db } from 'mongodb';

import { KeyWrapper, type WrappedSecret } from './key-wrap.js';

export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface SigningKeyRecord {
  _id: string; // kid
  alg: SigningAlg;
  /** active: signs new tokens; retired: published only, so tokens it signed still verify. */
  status: 'active' | 'retired';
  created_at: Date;
  retired_at?: Date;
  public_jwk: JWK;
  private_jwk: WrappedSecret;
}

export interface KeySet {
  /** Private JWKs for oidc-provider's keystore: every key, so every issued token verifies. */
  jwks: { keys: JWK[] };
  /** The kid that signs new tokens, per algorithm. */
  signingKid: Map<SigningAlg, string>;
  /** Changes whenever a key is added, retired or removed; instances compare it to reload. */
  fingerprint: string;
}

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

  async #add(alg: SigningAlg): Promise<string> {
    const { kid, pub, priv } = await generate(alg);
    await this.#coll.insertOne({
      _id: kid,
      alg,
      status: 'active',
      created_at: new Date(),
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
   * New signing key(s); the old ones stay published as retired, so every token they signed
   * keeps verifying until an operator removes them.
   */
  async rotate(algs: readonly SigningAlg[] = SIGNING_ALGS): Promise<string[]> {
    const kids: string[] = [];
    for (const alg of algs) {
      const kid = await this.#add(alg);
      await this.#coll.updateMany(
        { alg, status: 'active', _id: { $ne: kid } },
        { $set: { status: 'retired', retired_at: new Date() } },
      );
      kids.push(kid);
    }
    return kids;
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
    await this.#coll.deleteOne({ _id: kid, status: 'retired' });
    return true;
  }

  /** Same value as KeySet.fingerprint, read without decrypting anything. */
  async fingerprint(): Promise<string> {
    const docs = await this.#coll
      .find({}, { projection: { status: 1 }, sort: { created_at: 1, _id: 1 } })
      .toArray();
    return docs.map((d) => `${d._id}:${d.status}`).join(',');
  }

  async load(): Promise<KeySet> {
    const docs = await this.#coll.find({}, { sort: { created_at: 1, _id: 1 } }).toArray();
    const signingKid = new Map<SigningAlg, string>();
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
      // Newest active key wins, so a race at first start still picks one deterministically.
      if (doc.status === 'active') signingKid.set(doc.alg, doc._id);
    }
    for (const alg of SIGNING_ALGS) {
      if (!signingKid.has(alg)) throw new KeyError(`no active ${alg} signing key`);
    }
    const fingerprint = docs.map((d) => `${d._id}:${d.status}`).join(',');
    return { jwks: { keys }, signingKid, fingerprint };
  }
}
