import type { Adapter, AdapterPayload } from 'oidc-provider';

import { NEVER_EXPIRING_TTL } from '../consts/index.js';
import { isLive, type Collections } from './collections.js';
import { upsertRacing } from './duplicate-key.js';
import { SecretHasher } from './hashing.js';
import { hashToken, type TokenRecord } from './records.js';
import { announceClientChange, revokeTokens } from './revocations.js';

export interface AdapterOptions {
  collections: Collections;
  hasher: SecretHasher;
  /**
   * Seconds a client read is reused at most. Writes here forget it at once; writes elsewhere
   * through change events within REVOCATION_SYNC_MS; while those events cannot be read, the
   * cache is not used.
   */
  clientCacheSeconds: number;
}

function expiryDate(expiresIn: number | undefined): Date | null {
  return typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
    ? new Date(Date.now() + expiresIn * 1000)
    : null;
}

/** The token value is the record id; it must never be written, so it is dropped from the payload. */
function withoutJti(payload: AdapterPayload): AdapterPayload {
  const { jti: _value, ...rest } = payload;
  return rest;
}

/** How long a change is remembered, so that a read begun before it cannot cache the old record. */
const CHANGE_MEMORY_MS = 10_000;

class ClientAdapter implements Adapter {
  readonly #o: AdapterOptions;
  readonly #cache = new Map<string, { at: number; payload: AdapterPayload | undefined }>();
  readonly #changedAt = new Map<string, number>();

  constructor(o: AdapterOptions) {
    this.#o = o;
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const metadata = { ...payload };
    if (typeof metadata.client_secret === 'string') {
      metadata.client_secret = this.#o.hasher.forStorage(metadata.client_secret);
    }
    const now = new Date();
    const written = await upsertRacing(() => this.#o.collections.clients.updateOne(
      { _id: id },
      { $set: { metadata, updated_at: now }, $setOnInsert: { created_at: now } },
      { upsert: true },
    ));
    this.forget(id);
    // A client that did not exist is in no instance's cache (misses are not cached), so only
    // a change is announced: every instance's sync reads every kept event (a scan on FerretDB).
    if (written.upsertedCount === 0) await announceClientChange(this.#o.collections, id);
  }

  /** Drops the cached copy (a change here, or one announced by another instance). */
  forget(id: string, now = Date.now()): void {
    this.#cache.delete(id);
    this.#changedAt.set(id, now);
    if (this.#changedAt.size > 10_000) {
      for (const [k, at] of this.#changedAt) if (now - at > CHANGE_MEMORY_MS) this.#changedAt.delete(k);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const ttl = this.#o.clientCacheSeconds * 1000;
    const started = Date.now();
    const current = this.#o.collections.tokenCache.current(started);
    const hit = this.#cache.get(id);
    if (hit && current && started - hit.at < ttl) return hit.payload;
    const doc = await this.#o.collections.clients.findOne({ _id: id });
    if (!doc) {
      this.#cache.delete(id);
      return undefined;
    }
    // A disabled client is, to oidc-provider and our own endpoints, a client that does not exist.
    const payload = doc.metadata['disabled'] === true ? undefined : doc.metadata as AdapterPayload;
    const changed = this.#changedAt.get(id);
    if (ttl > 0 && (changed === undefined || changed < started)) {
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(id, { at: started, payload });
    }
    return payload;
  }

  async destroy(id: string): Promise<void> {
    this.forget(id);
    // Revoke first: if we stopped in between, a live client with dead tokens is safe,
    // a deleted client with live tokens would not be.
    await revokeTokens(this.#o.collections, { client: id });
    await this.#o.collections.clients.deleteOne({ _id: id });
    await announceClientChange(this.#o.collections, id);
  }

  async findByUid(): Promise<undefined> { return undefined; }
  async findByUserCode(): Promise<undefined> { return undefined; }
  async consume(): Promise<void> { /* clients are not consumed */ }
  async revokeByGrantId(): Promise<void> { /* clients have no grant */ }
}

/** Opaque access tokens from the client-credentials grant. */
class ClientCredentialsAdapter implements Adapter {
  readonly #o: AdapterOptions;

  constructor(o: AdapterOptions) {
    this.#o = o;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const extra = (payload.extra ?? {}) as Record<string, unknown>;
    // oidc-provider needs some lifetime; 100 years or more means the client asked for none.
    const never = typeof expiresIn === 'number' && expiresIn >= NEVER_EXPIRING_TTL;
    const stored = withoutJti(payload);
    if (never) delete stored.exp;
    const record: TokenRecord = {
      _id: hashToken(id),
      format: 'opaque',
      client_id: String(payload.clientId),
      iat: Number(payload.iat),
      expiresAt: never ? null : expiryDate(expiresIn),
      revoked: false,
      payload: stored,
    };
    if (typeof payload.scope === 'string') record.scope = payload.scope;
    if (payload.aud !== undefined) record.aud = payload.aud as string | string[];
    if (typeof payload.exp === 'number' && !never) record.exp = payload.exp;
    if (typeof extra['key_type'] === 'string') record.key_type = extra['key_type'];
    // DPoP binding beside the payload: the token cache keeps records without their payload.
    if (typeof payload['jkt'] === 'string') record.jkt = payload['jkt'];
    // Called once per new token (a fresh random id), so an insert suffices.
    await this.#o.collections.tokenInserts.insert(record);
    this.#o.collections.tokenCache.set(record);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const doc = await this.#o.collections.tokenLookups.find(hashToken(id));
    if (!doc || doc.format !== 'opaque' || doc.revoked || !isLive(doc.expiresAt)) return undefined;
    return { ...doc.payload, jti: id };
  }

  async destroy(id: string): Promise<void> {
    await revokeTokens(this.#o.collections, { token: hashToken(id) });
  }

  async consume(): Promise<void> { /* access tokens are not consumed */ }
  async findByUid(): Promise<undefined> { return undefined; }
  async findByUserCode(): Promise<undefined> { return undefined; }
  async revokeByGrantId(): Promise<void> { /* client credentials have no grant */ }
}

/** Initial and registration access tokens, replay detection: keyed by hash, payload as given. */
class ModelAdapter implements Adapter {
  readonly #o: AdapterOptions;
  readonly #name: string;

  constructor(name: string, o: AdapterOptions) {
    this.#name = name;
    this.#o = o;
  }

  get #coll() {
    return this.#o.collections.model(this.#name);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await upsertRacing(() => this.#coll.replaceOne(
      { _id: hashToken(id) },
      {
        payload: withoutJti(payload),
        expiresAt: expiryDate(expiresIn),
        ...(payload.grantId ? { grantId: payload.grantId } : {}),
      },
      { upsert: true },
    ));
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const doc = await this.#coll.findOne({ _id: hashToken(id) });
    if (!doc || !isLive(doc.expiresAt)) return undefined;
    return {
      ...doc.payload,
      jti: id,
      ...(doc.consumed ? { consumed: doc.consumed } : {}),
    };
  }

  async consume(id: string): Promise<void> {
    await this.#coll.updateOne(
      { _id: hashToken(id) },
      { $set: { consumed: Math.floor(Date.now() / 1000) } },
    );
  }

  async destroy(id: string): Promise<void> {
    await this.#coll.deleteOne({ _id: hashToken(id) });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#coll.deleteMany({ grantId });
  }

  async findByUid(): Promise<undefined> { return undefined; }
  async findByUserCode(): Promise<undefined> { return undefined; }
}

/** Factory in the form oidc-provider accepts for its `adapter` setting. */
export type AdapterFactory = ((name: string) => Adapter) & {
  /** A client changed on another instance: drop this one's cached copy. */
  forgetClient(id: string): void;
};

export function createAdapterFactory(o: AdapterOptions): AdapterFactory {
  const clients = new ClientAdapter(o);
  const tokens = new ClientCredentialsAdapter(o);
  const models = new Map<string, Adapter>();
  const factory = (name: string) => {
    if (name === 'Client') return clients;
    if (name === 'ClientCredentials') return tokens;
    let adapter = models.get(name);
    if (!adapter) {
      adapter = new ModelAdapter(name, o);
      models.set(name, adapter);
    }
    return adapter;
  };
  return Object.assign(factory, { forgetClient: (id: string) => clients.forget(id) });
}
