import type { Collection, Db } from 'mongodb';

import { badRequest, HttpError, InvalidInput, notFound } from '../http/index.js';
import type { SigningAlg } from '../consts/index.js';
import { isDuplicateKey, upsertRacing } from '../store/index.js';
import type { CreateApiInput, ScopeInput, UpdateApiInput } from './schemas.js';

export interface Api {
  identifier: string;
  name: string;
  scopes: { name: string; description: string }[];
  signing_alg: SigningAlg;
  /** Clients that may introspect tokens issued for this API. */
  resource_server_clients: string[];
  /** The management API itself: cannot be deleted, its `admin` scope cannot be removed. */
  system: boolean;
  created_at: Date;
  updated_at: Date;
}

interface ApiDoc extends Omit<Api, 'identifier' | 'scopes'> {
  _id: string;
}

/** One document per scope name, so a unique _id enforces uniqueness across APIs on any server. */
interface ScopeDoc {
  _id: string;
  api: string;
  description: string;
}

interface MetaDoc {
  _id: string;
  version: number;
}

export interface ApiSnapshot {
  version: number;
  apis: Map<string, Api>;
  /** scope name -> API identifier */
  scopeOwner: Map<string, string>;
}

/** 409 naming the field, with the API's description unchanged. */
const identifierTaken = (identifier: string) =>
  new InvalidInput('identifier', 'An API with this identifier already exists.', 409, `API ${identifier} already exists`);

export class ApiRegistry {
  readonly #apis: Collection<ApiDoc>;
  readonly #scopes: Collection<ScopeDoc>;
  readonly #meta: Collection<MetaDoc>;
  readonly #defaultAlg: SigningAlg;
  #snapshot: ApiSnapshot = { version: -1, apis: new Map(), scopeOwner: new Map() };
  readonly #listeners = new Set<(s: ApiSnapshot) => void>();
  #beforeScopesRemoved: (names: string[]) => Promise<void> = async () => {};

  constructor(db: Db, defaultAlg: SigningAlg) {
    this.#apis = db.collection<ApiDoc>('apis');
    this.#scopes = db.collection<ScopeDoc>('api_scopes');
    this.#meta = db.collection<MetaDoc>('meta');
    this.#defaultAlg = defaultAlg;
  }

  get snapshot(): ApiSnapshot {
    return this.#snapshot;
  }

  onChange(listener: (s: ApiSnapshot) => void): void {
    this.#listeners.add(listener);
  }

  /**
   * Runs before scope names disappear (scopes removed, API deleted), so that whatever lists
   * them (client metadata) can let go first: oidc-provider refuses to load a client whose
   * `scope` names an unknown scope.
   */
  beforeScopesRemoved(hook: (names: string[]) => Promise<void>): void {
    this.#beforeScopesRemoved = hook;
  }

  async #storedVersion(): Promise<number> {
    return (await this.#meta.findOne({ _id: 'apis' }))?.version ?? 0;
  }

  /** Reloads when another instance (or this one) changed APIs; cheap when nothing changed. */
  async refresh(force = false): Promise<ApiSnapshot> {
    const version = await this.#storedVersion();
    if (!force && version === this.#snapshot.version) return this.#snapshot;
    const [docs, scopeDocs] = await Promise.all([
      // Whole collections in one batch each: no server cursor stays open between batches.
      this.#apis.find({}, { batchSize: 10_000 }).toArray(),
      this.#scopes.find({}, { batchSize: 10_000 }).toArray(),
    ]);
    const apis = new Map<string, Api>();
    for (const { _id, ...rest } of docs) apis.set(_id, { identifier: _id, ...rest, scopes: [] });
    const scopeOwner = new Map<string, string>();
    for (const s of scopeDocs) {
      const api = apis.get(s.api);
      // An orphan left by an interrupted write is ignored here and reclaimed by the next create.
      if (!api) continue;
      api.scopes.push({ name: s._id, description: s.description });
      scopeOwner.set(s._id, s.api);
    }
    for (const api of apis.values()) api.scopes.sort((a, b) => a.name.localeCompare(b.name));
    this.#snapshot = { version, apis, scopeOwner };
    for (const l of this.#listeners) l(this.#snapshot);
    return this.#snapshot;
  }

  async #bump(): Promise<void> {
    await upsertRacing(() => this.#meta.updateOne({ _id: 'apis' }, { $inc: { version: 1 } }, { upsert: true }));
    await this.refresh(true);
  }

  list(): Api[] {
    return [...this.#snapshot.apis.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(identifier: string): Api | undefined {
    return this.#snapshot.apis.get(identifier);
  }

  ownerOfScope(scope: string): Api | undefined {
    const id = this.#snapshot.scopeOwner.get(scope);
    return id ? this.#snapshot.apis.get(id) : undefined;
  }

  /**
   * Claims scope names for an API. Without transactions (FerretDB v1 has none), claims that
   * succeeded are released again when a later one collides.
   */
  async #claimScopes(api: string, scopes: ScopeInput[]): Promise<void> {
    const claimed: string[] = [];
    try {
      for (const s of scopes) {
        const doc = { _id: s.name, api, description: s.description ?? '' };
        try {
          await this.#scopes.insertOne(doc);
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          const existing = await this.#scopes.findOne({ _id: s.name });
          const owner = existing && (await this.#apis.findOne({ _id: existing.api }, { projection: { _id: 1 } }));
          if (owner) {
            const taken = `scope ${s.name} already belongs to API ${existing.api}`;
            throw new InvalidInput('scopes', `S${taken.slice(1)}.`, 409, taken);
          }
          // Orphan of an interrupted write: take it over.
          await this.#scopes.replaceOne({ _id: s.name }, doc);
        }
        claimed.push(s.name);
      }
    } catch (err) {
      if (claimed.length) await this.#scopes.deleteMany({ _id: { $in: claimed }, api });
      throw err;
    }
  }

  async create(input: CreateApiInput, system = false): Promise<Api> {
    await this.refresh();
    if (this.get(input.identifier)) throw identifierTaken(input.identifier);
    const scopes = input.scopes ?? [];
    await this.#claimScopes(input.identifier, scopes);
    const now = new Date();
    try {
      await this.#apis.insertOne({
        _id: input.identifier,
        name: input.name,
        signing_alg: input.signing_alg ?? this.#defaultAlg,
        resource_server_clients: input.resource_server_clients ?? [],
        system,
        created_at: now,
        updated_at: now,
      });
    } catch (err) {
      await this.#scopes.deleteMany({ api: input.identifier, _id: { $in: scopes.map((s) => s.name) } });
      if (isDuplicateKey(err)) throw identifierTaken(input.identifier);
      throw err;
    }
    await this.#bump();
    return this.get(input.identifier)!;
  }

  async update(identifier: string, patch: UpdateApiInput): Promise<Api> {
    await this.refresh();
    const current = this.get(identifier);
    if (!current) throw notFound(`API ${identifier} not found`);

    // The management API is the environment's: its one scope and who may introspect its
    // tokens are not for the API to change (a linked client would read admin tokens).
    if (current.system && patch.scopes && (patch.scopes.length !== 1 || patch.scopes[0]!.name !== 'admin')) {
      throw new InvalidInput('scopes', 'The scopes of the management API cannot be changed.', 400,
        'the scopes of the management API cannot be changed');
    }
    if (current.system && patch.resource_server_clients?.length) {
      throw new InvalidInput('resource_server_clients', 'No client can be linked to the management API.', 400,
        'no client can be linked to the management API');
    }
    if (patch.scopes) {
      const wanted = new Map(patch.scopes.map((s) => [s.name, s.description ?? '']));
      const existing = new Set(current.scopes.map((s) => s.name));
      const added = patch.scopes.filter((s) => !existing.has(s.name));
      const removed = current.scopes.filter((s) => !wanted.has(s.name)).map((s) => s.name);
      await this.#claimScopes(identifier, added);
      if (removed.length) await this.#beforeScopesRemoved(removed);
      for (const s of current.scopes) {
        const description = wanted.get(s.name);
        if (description === undefined) {
          await this.#scopes.deleteOne({ _id: s.name, api: identifier });
        } else if (description !== s.description) {
          await this.#scopes.updateOne({ _id: s.name, api: identifier }, { $set: { description } });
        }
      }
    }
    const set: Partial<ApiDoc> = { updated_at: new Date() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.signing_alg !== undefined) set.signing_alg = patch.signing_alg;
    if (patch.resource_server_clients !== undefined) set.resource_server_clients = patch.resource_server_clients;
    await this.#apis.updateOne({ _id: identifier }, { $set: set });
    await this.#bump();
    // Another request may have deleted it meanwhile (no transactions): say so, not a 500.
    const updated = this.get(identifier);
    if (!updated) throw notFound(`API ${identifier} not found`);
    return updated;
  }

  async remove(identifier: string): Promise<void> {
    await this.refresh();
    const current = this.get(identifier);
    if (!current) throw notFound(`API ${identifier} not found`);
    if (current.system) throw badRequest('the management API cannot be deleted');
    if (current.scopes.length) await this.#beforeScopesRemoved(current.scopes.map((s) => s.name));
    await this.#apis.deleteOne({ _id: identifier });
    await this.#scopes.deleteMany({ api: identifier });
    await this.#bump();
  }

  /** The management API (`<issuer>/api`, scope `admin`), created or repaired at start. */
  async ensureSystemApi(identifier: string): Promise<void> {
    await this.refresh(true);
    // The identifier follows ISSUER; after an issuer change the old system API gives way.
    for (const stale of this.list().filter((a) => a.system && a.identifier !== identifier)) {
      await this.#apis.deleteOne({ _id: stale.identifier });
      await this.#scopes.deleteMany({ api: stale.identifier });
      await this.#bump();
    }
    const current = this.get(identifier);
    const adminScope = { name: 'admin', description: 'Manage APIs, clients, keys and tokens' };
    if (!current) {
      try {
        await this.create({ identifier, name: 'Management API', scopes: [adminScope] }, true);
      } catch (err) {
        // Another instance starting at the same moment created it first.
        if (!(err instanceof HttpError && err.status === 409)) throw err;
        await this.refresh(true);
      }
    } else if (!current.scopes.some((s) => s.name === 'admin')) {
      await this.update(identifier, { scopes: [...current.scopes, adminScope] });
    }
  }
}
