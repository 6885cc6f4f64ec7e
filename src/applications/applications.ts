import { randomBytes } from 'node:crypto';

import type { Collection, Db } from 'mongodb';
import type { Adapter } from 'oidc-provider';

import type { Api, ApiRegistry } from '../apis/index.js';
import { DEFAULT_ACCESS_TOKEN_TTL } from '../consts/index.js';
import { badRequest, conflict, InvalidInput, notFound } from '../http/index.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, pageOf, type Page } from '../http/paging.js';
import { checkClientMetadata } from '../provider/index.js';
import { isDuplicateKey, randomId, type ClientRecord } from '../store/index.js';
import type { TokenStore } from '../tokens/index.js';
import {
  ACCESS_TOKEN_STRATEGY, KEY_TYPE_CLAIM, KEY_TYPES,
  type ApplicationDoc, type ApplicationInput, type KeySetInput, type KeySetRef, type KeyType, type TokenType,
} from './model.js';
import { applicationPageFilter, type ApplicationListQuery } from './list-query.js';
import { requestTokens, type IssuedToken, type TokenIssue } from './token-issuer.js';
import {
  checkDescription, checkName, checkScopes, checkSubscriptions, checkTokenType, checkTtl, subscribedScopes,
} from './validation.js';
import {
  DEFAULT_GRACE_SECONDS, previousSecretExpiresAt, rotatedMetadata, withoutPreviousSecret,
} from './secret-rotation.js';

function previousSecretView(m: Record<string, unknown>): { previous_secret_expires_at?: Date } {
  const at = previousSecretExpiresAt(m);
  return at === undefined ? {} : { previous_secret_expires_at: new Date(at * 1000) };
}

// client_id-safe (RFC 6749 Appendix A: VSCHAR) and long enough that nobody guesses them.
const newApplicationId = () => randomId(12);
const newClientId = () => randomId(18);
/** 256 bits: only its keyed hash is stored. */
const newSecret = () => randomBytes(32).toString('base64url');

export interface KeySet {
  key_type: KeyType;
  consumer_key: string;
  scopes: string[];
  access_token_ttl: number;
  created_at: Date;
  secret_updated_at: Date;
  /** During a rotation's grace period: when the previous secret stops working. */
  previous_secret_expires_at?: Date;
  /** Its tokens are DPoP-bound: a token request without a proof is refused. */
  dpop_bound: boolean;
}

export interface ApplicationSummary {
  id: string;
  name: string;
  description: string;
  token_type: TokenType;
  access_token_ttl: number;
  subscriptions: string[];
  /** Key sets get DPoP-bound tokens only. */
  require_dpop: boolean;
  /** Key sets whose client exists. */
  key_sets: KeyType[];
  /** An interrupted delete: deleting it again finishes the job. */
  deleting: boolean;
  /** The owning portal account's username (lower case), or null. */
  owner: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ApplicationDetail extends ApplicationSummary {
  keys: Record<KeyType, KeySet | null>;
}

/** The one moment a secret exists in the clear: right after it was generated. */
export interface IssuedCredentials {
  key_set: KeySet;
  consumer_secret: string;
  tokens: IssuedToken[];
  /** The keys exist even when the first token could not be issued; this says why. */
  token_error?: { code: string; description: string };
}

type ClientMetadata = Record<string, unknown>;

function scopeList(metadata: ClientMetadata): string[] {
  const scope = metadata['scope'];
  return typeof scope === 'string' && scope ? scope.split(' ') : [];
}

/** What Applications uses, and nothing more. */
export interface ApplicationsDeps {
  db: Db;
  /** Clients as oidc-provider stores them (store/oidc-adapter's 'Client' adapter). */
  clientAdapter: Adapter;
  clients: Collection<ClientRecord>;
  /** Whether non-unique indexes serve queries on this database (see Store). */
  secondaryIndexes: boolean;
  registry: ApiRegistry;
  tokens: Pick<TokenStore, 'revokeAllForClient'>;
  maxAccessTokenTtl: number;
  /** Brings the API list, and the provider built on it, up to date. */
  refreshProvider(): Promise<void>;
  /** Where this process answers, once it listens: first tokens are requested from there. */
  selfUrl(): string;
}

/**
 * Applications and their key sets. MongoDB here has no transactions (FerretDB), so every
 * operation orders its writes: a key set is recorded on its application before its client
 * exists, and clients (with their tokens) are destroyed before the application record goes.
 */
export class Applications {
  readonly #s: ApplicationsDeps;
  readonly #coll: Collection<ApplicationDoc>;
  #indexes: Promise<unknown> | undefined;

  constructor(deps: ApplicationsDeps) {
    this.#s = deps;
    this.#coll = deps.db.collection<ApplicationDoc>('applications');
  }

  /** Every application record as stored, by id: for export. */
  async exportRecords(): Promise<ApplicationDoc[]> {
    return this.#coll.find({}, { sort: { _id: 1 } }).toArray();
  }

  /** Creates or replaces application records by id (an import); their clients come separately. */
  async importRecords(docs: ApplicationDoc[]): Promise<void> {
    for (const doc of docs) await this.#coll.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }

  async #createIndexes(): Promise<void> {
    await this.#coll.createIndex({ name_key: 1 }, { unique: true, name: 'name_key_unique' });
    // A developer's page: their applications in name order, without walking everyone else's.
    if (this.#s.secondaryIndexes) await this.#coll.createIndex({ owner: 1, name_key: 1 }, { name: 'owner_1_name_key_1' });
  }

  /** Indexes on first use, and the API list (and the provider built on it) brought up to date. */
  async #ready(): Promise<Collection<ApplicationDoc>> {
    this.#indexes ??= this.#createIndexes().catch((err: unknown) => {
      this.#indexes = undefined;
      throw err;
    });
    await this.#indexes;
    await this.#s.refreshProvider();
    return this.#coll;
  }

  get #clients() {
    return this.#s.clientAdapter;
  }

  get maxAccessTokenTtl(): number {
    return this.#s.maxAccessTokenTtl;
  }

  /** APIs an application may subscribe to: all but the system ones. */
  async subscribableApis(): Promise<Api[]> {
    await this.#ready();
    return this.#s.registry.list().filter((api) => !api.system);
  }

  /** The scopes an application may put on its key sets, with the API each belongs to. */
  async scopesOf(app: ApplicationSummary): Promise<Map<string, Api>> {
    await this.#ready();
    return subscribedScopes(app.subscriptions, this.#s.registry);
  }

  async #client(ref: KeySetRef | undefined): Promise<ClientMetadata | undefined> {
    if (!ref) return undefined;
    // The stored record, not the briefly cached one: what the key set shows (a rotation's end)
    // must be the same on every instance.
    const doc = await this.#s.clients.findOne({ _id: ref.client_id });
    return doc && doc.metadata['disabled'] !== true ? { ...(doc.metadata as ClientMetadata) } : undefined;
  }

  async #doc(id: string): Promise<ApplicationDoc> {
    const coll = await this.#ready();
    const doc = await coll.findOne({ _id: id });
    if (!doc) throw notFound(`application ${id} not found`);
    return doc;
  }

  /** An application that may still be changed (not half-deleted). */
  async #live(id: string): Promise<ApplicationDoc> {
    const doc = await this.#doc(id);
    if (doc.deleting) throw conflict('this application is being deleted; delete it again to finish');
    return doc;
  }

  #summary(doc: ApplicationDoc, liveClients: Set<string>): ApplicationSummary {
    return {
      id: doc._id,
      name: doc.name,
      description: doc.description,
      token_type: doc.token_type,
      access_token_ttl: doc.access_token_ttl,
      subscriptions: doc.subscriptions,
      require_dpop: doc.require_dpop === true,
      key_sets: KEY_TYPES.filter((k) => {
        const ref = doc.keys[k];
        return ref !== undefined && liveClients.has(ref.client_id);
      }),
      deleting: doc.deleting === true,
      owner: doc.owner ?? null,
      created_at: doc.created_at,
      updated_at: doc.updated_at,
    };
  }

  #keySet(type: KeyType, ref: KeySetRef, metadata: ClientMetadata): KeySet {
    const ttl = metadata['access_token_ttl'];
    return {
      key_type: type,
      consumer_key: ref.client_id,
      scopes: scopeList(metadata),
      access_token_ttl: typeof ttl === 'number' ? ttl : DEFAULT_ACCESS_TOKEN_TTL,
      created_at: ref.created_at,
      secret_updated_at: ref.secret_updated_at,
      ...previousSecretView(metadata),
      dpop_bound: metadata['dpop_bound_access_tokens'] === true,
    };
  }

  async #detail(doc: ApplicationDoc): Promise<ApplicationDetail> {
    const keys: Record<KeyType, KeySet | null> = { production: null, sandbox: null };
    const live = new Set<string>();
    for (const type of KEY_TYPES) {
      const ref = doc.keys[type];
      const metadata = await this.#client(ref);
      if (ref && metadata) {
        keys[type] = this.#keySet(type, ref, metadata);
        live.add(ref.client_id);
      }
    }
    return { ...this.#summary(doc, live), keys };
  }

  /**
   * A page in name order (the unique name_key index), optionally of names starting with
   * `search` and of one owner's applications only. Whether each key set's client exists is read by _id, one lookup per client of
   * this page in parallel: indexed everywhere, where one `$in` over them is not on FerretDB.
   */
  async list(q: ApplicationListQuery = {}): Promise<Page<ApplicationSummary>> {
    const coll = await this.#ready();
    const limit = Math.min(q.limit ?? DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    const docs = await coll.find(applicationPageFilter(q), { sort: { name_key: 1 }, limit: limit + 1 }).toArray();
    const page = pageOf(docs, limit, (d) => [d.name_key]);
    const ids = page.rows.flatMap((d) => KEY_TYPES.flatMap((k) => (d.keys[k] ? [d.keys[k].client_id] : [])));
    const clients = this.#s.clients;
    const found = await Promise.all(ids.map((_id) => clients.findOne({ _id }, { projection: { _id: 1 } })));
    const live = new Set(found.flatMap((c) => (c ? [c._id] : [])));
    return { rows: page.rows.map((d) => this.#summary(d, live)), next: page.next };
  }

  async get(id: string): Promise<ApplicationDetail> {
    return this.#detail(await this.#doc(id));
  }

  /** Every page of `list` at once: for the few places that need them all (an account's applications). */
  async listAll(q: Omit<ApplicationListQuery, 'limit' | 'after'> = {}): Promise<ApplicationSummary[]> {
    const all: ApplicationSummary[] = [];
    let after: string | undefined;
    do {
      const page = await this.list({ ...q, limit: MAX_PAGE_LIMIT, ...(after ? { after } : {}) });
      all.push(...page.rows);
      after = page.next ?? undefined;
    } while (after);
    return all;
  }

  /** Who owns an application and what it subscribes to, read without the provider: for access checks. */
  async ownership(id: string): Promise<{ owner: string | null; subscriptions: string[] } | undefined> {
    const doc = await this.#coll.findOne({ _id: id }, { projection: { owner: 1, subscriptions: 1 } });
    return doc ? { owner: doc.owner ?? null, subscriptions: doc.subscriptions ?? [] } : undefined;
  }

  /** Another account owns the application from now on; its keys and tokens are unchanged. Returns the previous owner. */
  async setOwner(id: string, owner: string): Promise<{ from: string | null }> {
    const doc = await this.#coll.findOne({ _id: id }, { projection: { owner: 1 } });
    if (!doc) throw notFound(`application ${id} not found`);
    await this.#coll.updateOne({ _id: id }, { $set: { owner: owner.toLowerCase(), updated_at: new Date() } });
    return { from: doc.owner ?? null };
  }

  async #assertNameFree(name: string, exceptId?: string): Promise<void> {
    const coll = await this.#ready();
    const other = await coll.findOne({ name_key: name.toLowerCase() }, { projection: { _id: 1 } });
    if (other && other._id !== exceptId) {
      throw new InvalidInput('name', 'An application with this name already exists.', 409);
    }
  }

  async create(input: ApplicationInput): Promise<ApplicationDetail> {
    const coll = await this.#ready();
    const name = checkName(input.name);
    const doc: ApplicationDoc = {
      _id: newApplicationId(),
      name,
      name_key: name.toLowerCase(),
      description: checkDescription(input.description),
      token_type: checkTokenType(input.token_type),
      access_token_ttl: checkTtl(input.access_token_ttl ?? DEFAULT_ACCESS_TOKEN_TTL, this.maxAccessTokenTtl),
      subscriptions: checkSubscriptions(input.subscriptions ?? [], this.#s.registry),
      require_dpop: input.require_dpop === true,
      keys: {},
      ...(input.owner ? { owner: input.owner.toLowerCase() } : {}),
      created_at: new Date(),
      updated_at: new Date(),
    };
    await this.#assertNameFree(name);
    try {
      await coll.insertOne(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw new InvalidInput('name', 'An application with this name already exists.', 409);
      throw err;
    }
    return this.#detail(doc);
  }

  /**
   * Token type, validity period and subscriptions live on the key sets' clients too, so
   * those are rewritten first: if we stop in between, the clients are at most as permissive
   * as the record, never more.
   */
  async update(id: string, patch: Partial<ApplicationInput>): Promise<ApplicationDetail> {
    const coll = await this.#ready();
    const doc = await this.#live(id);
    const next: ApplicationDoc = { ...doc, updated_at: new Date() };
    if (patch.name !== undefined) {
      next.name = checkName(patch.name);
      next.name_key = next.name.toLowerCase();
    }
    if (patch.description !== undefined) next.description = checkDescription(patch.description);
    if (patch.token_type !== undefined) next.token_type = checkTokenType(patch.token_type);
    if (patch.access_token_ttl !== undefined) {
      next.access_token_ttl = checkTtl(patch.access_token_ttl, this.maxAccessTokenTtl);
    }
    if (patch.subscriptions !== undefined) {
      next.subscriptions = checkSubscriptions(patch.subscriptions, this.#s.registry);
    }
    if (patch.require_dpop !== undefined) next.require_dpop = patch.require_dpop === true;
    if (next.name_key !== doc.name_key) await this.#assertNameFree(next.name, id);

    const ttlChanged = next.access_token_ttl !== doc.access_token_ttl;
    await this.#syncClients(next, ttlChanged);
    const dropped = doc.subscriptions.filter((api) => !next.subscriptions.includes(api));
    if (dropped.length) await this.#revokeForApis(next, dropped);

    // Only what this update owns: `keys` may have gained a key set meanwhile, and must keep it.
    const fields: Partial<ApplicationDoc> = {
      name: next.name,
      name_key: next.name_key,
      description: next.description,
      token_type: next.token_type,
      access_token_ttl: next.access_token_ttl,
      subscriptions: next.subscriptions,
      require_dpop: next.require_dpop === true,
      updated_at: next.updated_at,
    };
    try {
      const r = await coll.updateOne({ _id: id, deleting: { $ne: true } }, { $set: fields });
      if (!r.matchedCount) throw notFound(`application ${id} not found`);
    } catch (err) {
      if (isDuplicateKey(err)) throw new InvalidInput('name', 'An application with this name already exists.', 409);
      throw err;
    }
    return this.get(id);
  }

  #metadata(app: ApplicationDoc, type: KeyType, clientId: string, scopes: string[], ttl: number): ClientMetadata {
    return {
      client_id: clientId,
      client_name: `${app.name} (${type})`,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(scopes.length ? { scope: scopes.join(' ') } : {}),
      access_token_strategy: ACCESS_TOKEN_STRATEGY[app.token_type],
      access_token_ttl: ttl,
      key_type: KEY_TYPE_CLAIM[type],
      application_id: app._id,
      dpop_bound_access_tokens: app.require_dpop === true,
    };
  }

  /** New tokens of the key sets follow the application: name, format, scopes, and TTL if it changed. */
  async #syncClients(app: ApplicationDoc, ttlChanged: boolean): Promise<void> {
    const allowed = subscribedScopes(app.subscriptions, this.#s.registry);
    for (const type of KEY_TYPES) {
      const ref = app.keys[type];
      const current = await this.#client(ref);
      if (!ref || !current) continue;
      const scopes = scopeList(current).filter((s) => allowed.has(s));
      const ttl = ttlChanged || typeof current['access_token_ttl'] !== 'number'
        ? app.access_token_ttl
        : current['access_token_ttl'];
      const { scope: _old, ...rest } = current;
      // The stored client_secret is already a hash; the adapter keeps it as it is.
      await this.#clients.upsert(ref.client_id, { ...rest, ...this.#metadata(app, type, ref.client_id, scopes, ttl) }, 0);
    }
  }

  /** An unsubscribed API stops accepting the tokens the application holds for it. */
  async #revokeForApis(app: ApplicationDoc, apis: string[]): Promise<void> {
    const clientIds = KEY_TYPES.flatMap((k) => (app.keys[k] ? [app.keys[k].client_id] : []));
    if (!clientIds.length) return;
    for (const clientId of clientIds) await this.#s.tokens.revokeAllForClient(clientId, apis);
  }

  async remove(id: string): Promise<void> {
    const coll = await this.#ready();
    const doc = await this.#doc(id);
    await coll.updateOne({ _id: id }, { $set: { deleting: true } });
    const clientIds = new Set(KEY_TYPES.flatMap((k) => (doc.keys[k] ? [doc.keys[k].client_id] : [])));
    // Clients whose key set was being generated while we read the record.
    const strays = await this.#s.clients
      .find({ 'metadata.application_id': id }, { projection: { _id: 1 } }).toArray();
    for (const c of strays) clientIds.add(c._id);
    // destroy revokes the client's tokens before deleting it.
    for (const clientId of clientIds) await this.#clients.destroy(clientId);
    await coll.deleteOne({ _id: id });
  }

  #checkKeySetInput(app: ApplicationDoc, input: KeySetInput, fallbackTtl: number): { scopes: string[]; ttl: number } {
    const scopes = checkScopes(input.scopes, subscribedScopes(app.subscriptions, this.#s.registry));
    const ttl = checkTtl(input.access_token_ttl ?? fallbackTtl, this.maxAccessTokenTtl);
    return { scopes, ttl };
  }

  /** The provider's own metadata policy has the last word (scopes known, no system scope, TTL cap). */
  #policyCheck(metadata: ClientMetadata): void {
    const problem = checkClientMetadata(metadata, {
      registry: this.#s.registry,
      maxAccessTokenTtl: this.maxAccessTokenTtl,
      systemScopesAllowed: false,
    });
    // The form and the JSON body call it `scopes`; the metadata, `scope`.
    if (problem) throw new InvalidInput(problem.field === 'scope' ? 'scopes' : problem.field, problem.message);
  }

  async generateKeys(id: string, type: KeyType, input: KeySetInput): Promise<IssuedCredentials> {
    const coll = await this.#ready();
    const app = await this.#live(id);
    const existing = app.keys[type];
    if (existing && (await this.#client(existing))) {
      throw conflict(`${type} keys already exist; regenerate the secret or remove the keys first`);
    }
    const { scopes, ttl } = this.#checkKeySetInput(app, input, app.access_token_ttl);
    const clientId = newClientId();
    const secret = newSecret();
    const metadata = this.#metadata(app, type, clientId, scopes, ttl);
    this.#policyCheck(metadata);

    // 1. Record the key set on the application, so the client is always findable from it.
    //    A reference whose client never came to be (an interrupted run) may be taken over.
    const now = new Date();
    const ref: KeySetRef = { client_id: clientId, created_at: now, secret_updated_at: now };
    const claimed = await coll.updateOne(
      {
        _id: id,
        deleting: { $ne: true },
        ...(existing ? { [`keys.${type}.client_id`]: existing.client_id } : { [`keys.${type}`]: { $exists: false } }),
      },
      { $set: { [`keys.${type}`]: ref, updated_at: now } },
    );
    if (!claimed.matchedCount) throw conflict(`${type} keys were changed at the same time; reload and try again`);

    // 2. The client itself.
    await this.#clients.upsert(clientId, { ...metadata, client_secret: secret }, 0);

    // 3. A delete that ran meanwhile did not see this client: undo rather than leave it usable.
    const after = await coll.findOne({ _id: id });
    if (!after || after.deleting || after.keys[type]?.client_id !== clientId) {
      await this.#clients.destroy(clientId);
      throw after ? conflict(`${type} keys were changed at the same time; reload and try again`) : notFound(`application ${id} not found`);
    }

    const keySet = this.#keySet(type, ref, metadata);
    return this.#withTokens(keySet, secret, scopes);
  }

  async #withTokens(keySet: KeySet, secret: string, scopes: string[]): Promise<IssuedCredentials> {
    const issue = await this.#requestTokens(keySet.consumer_key, secret, scopes);
    return {
      key_set: keySet,
      consumer_secret: secret,
      tokens: issue.tokens,
      ...(issue.error ? { token_error: issue.error } : {}),
    };
  }

  #requestTokens(clientId: string, secret: string, scopes: string[]): Promise<TokenIssue> {
    return requestTokens(this.#s.selfUrl(), this.#s.registry, clientId, secret, scopes);
  }

  /** The key set's client, or a 404 that says there are no such keys yet. */
  async #keySetOf(id: string, type: KeyType): Promise<{ app: ApplicationDoc; ref: KeySetRef; metadata: ClientMetadata }> {
    const app = await this.#live(id);
    const ref = app.keys[type];
    const metadata = await this.#client(ref);
    if (!ref || !metadata) throw notFound(`the application has no ${type} keys; generate them first`);
    return { app, ref, metadata };
  }

  /** Scopes and validity period of existing keys; the secret stays, so do issued tokens. */
  async updateKeySet(id: string, type: KeyType, input: Partial<KeySetInput>): Promise<KeySet> {
    await this.#ready();
    const { app, ref, metadata } = await this.#keySetOf(id, type);
    const current = this.#keySet(type, ref, metadata);
    const { scopes, ttl } = this.#checkKeySetInput(
      app,
      { scopes: input.scopes ?? current.scopes, ...(input.access_token_ttl !== undefined ? { access_token_ttl: input.access_token_ttl } : {}) },
      current.access_token_ttl,
    );
    const next = { ...metadata, ...this.#metadata(app, type, ref.client_id, scopes, ttl) };
    this.#policyCheck(next);
    await this.#clients.upsert(ref.client_id, next, 0);
    return this.#keySet(type, ref, next);
  }

  /** A new secret: the old one stops working at once, then every token issued under it is revoked. */
  async regenerateSecret(id: string, type: KeyType): Promise<IssuedCredentials> {
    const coll = await this.#ready();
    const { ref, metadata } = await this.#keySetOf(id, type);
    const secret = newSecret();
    // A previous secret still in its grace period stops too: regenerating means "stop the old ones".
    await this.#clients.upsert(ref.client_id, { ...withoutPreviousSecret(metadata), client_secret: secret }, 0);
    await this.#s.tokens.revokeAllForClient(ref.client_id);
    const now = new Date();
    await coll.updateOne(
      { _id: id, [`keys.${type}.client_id`]: ref.client_id },
      { $set: { [`keys.${type}.secret_updated_at`]: now, updated_at: now } },
    );
    const keySet = this.#keySet(type, { ...ref, secret_updated_at: now }, withoutPreviousSecret(metadata));
    return this.#withTokens(keySet, secret, keySet.scopes);
  }

  /** The stored metadata, not this process's briefly cached copy: a rotation must build on the latest secret. */
  async #freshMetadata(clientId: string): Promise<ClientMetadata> {
    const doc = await this.#s.clients.findOne({ _id: clientId });
    if (!doc) throw notFound('the key set\'s client no longer exists');
    return { ...(doc.metadata as ClientMetadata) };
  }

  /**
   * A new secret without downtime: it works at once, the current one keeps working for
   * `graceSeconds`, and tokens already issued stay valid until they expire.
   */
  async rotateSecret(id: string, type: KeyType, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<IssuedCredentials> {
    const coll = await this.#ready();
    const { ref } = await this.#keySetOf(id, type);
    const secret = newSecret();
    const next = rotatedMetadata(await this.#freshMetadata(ref.client_id), secret, graceSeconds);
    await this.#clients.upsert(ref.client_id, next, 0);
    const now = new Date();
    await coll.updateOne(
      { _id: id, [`keys.${type}.client_id`]: ref.client_id },
      { $set: { [`keys.${type}.secret_updated_at`]: now, updated_at: now } },
    );
    const keySet = this.#keySet(type, { ...ref, secret_updated_at: now }, next);
    return this.#withTokens(keySet, secret, keySet.scopes);
  }

  /** The previous secret of a rotation stops now instead of at the end of its grace period. */
  async endPreviousSecret(id: string, type: KeyType): Promise<KeySet> {
    await this.#ready();
    const { ref } = await this.#keySetOf(id, type);
    const next = withoutPreviousSecret(await this.#freshMetadata(ref.client_id));
    await this.#clients.upsert(ref.client_id, next, 0);
    return this.#keySet(type, ref, next);
  }

  /**
   * A fresh token for existing keys. Only a hash of the secret is kept, so the caller
   * supplies it; `scopes` defaults to all of the key set's, one token per API.
   */
  async issueToken(id: string, type: KeyType, secret: string, scopes?: string[]): Promise<IssuedToken[]> {
    await this.#ready();
    const { ref, metadata } = await this.#keySetOf(id, type);
    const allowed = scopeList(metadata);
    const wanted = scopes === undefined ? allowed : [...new Set(scopes)];
    if (!wanted.length) throw new InvalidInput('scopes', 'Choose at least one scope.');
    const outside = wanted.find((s) => !allowed.includes(s));
    if (outside) throw new InvalidInput('scopes', `${outside} is not one of the scopes of these keys.`);
    if (!secret) throw new InvalidInput('client_secret', 'Enter the consumer secret of these keys.');

    const issue = await this.#requestTokens(ref.client_id, secret, wanted);
    if (issue.error?.code === 'invalid_client') {
      throw new InvalidInput('client_secret', 'That is not the consumer secret of these keys.');
    }
    if (issue.error) throw badRequest(issue.error.description, issue.error.code);
    return issue.tokens;
  }

  /** Every token of the key set stops working; the keys stay. */
  async revokeTokens(id: string, type: KeyType): Promise<number> {
    await this.#ready();
    const { ref } = await this.#keySetOf(id, type);
    return this.#s.tokens.revokeAllForClient(ref.client_id);
  }

  /** The client goes (its tokens revoked first), then its reference on the application. */
  async removeKeySet(id: string, type: KeyType): Promise<void> {
    const coll = await this.#ready();
    const app = await this.#live(id);
    const ref = app.keys[type];
    if (!ref) throw notFound(`the application has no ${type} keys`);
    await this.#clients.destroy(ref.client_id);
    await coll.updateOne(
      { _id: id, [`keys.${type}.client_id`]: ref.client_id },
      { $unset: { [`keys.${type}`]: '' }, $set: { updated_at: new Date() } },
    );
  }
}
