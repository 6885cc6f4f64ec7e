import type { Collection, Filter } from 'mongodb';

import type { ApiRegistry } from '../apis/index.js';
import { badRequest, notFound } from '../http/index.js';
import { decodeCursor, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, pageOf, type Page } from '../http/paging.js';
import { hashToken, isDuplicateKey, isLive, type ModelRecord } from '../store/index.js';
import { TOKEN_FORMATS, type RegistrationPolicy, type TokenFormat } from './policy.js';

/** Without an expires_in an initial access token lasts a day; a year at most. */
export const DEFAULT_IAT_LIFETIME_SECONDS = 86_400;
export const MAX_IAT_LIFETIME_SECONDS = 31_536_000;

export interface CreateInitialAccessToken {
  expires_in?: number;
  description?: string;
  allowed_apis?: string[];
  allowed_scopes?: string[];
  token_formats?: TokenFormat[];
  max_access_token_ttl?: number;
  /** Registrations it allows; 1 (the default) is single use, null unlimited. */
  max_uses?: number | null;
}

export const createInitialAccessTokenSchema = {
  type: 'object',
  properties: {
    expires_in: { type: 'integer', minimum: 60, maximum: MAX_IAT_LIFETIME_SECONDS },
    description: { type: 'string', maxLength: 200 },
    allowed_apis: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 500 }, minItems: 1, maxItems: 100, uniqueItems: true },
    allowed_scopes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, minItems: 1, maxItems: 500, uniqueItems: true },
    token_formats: { type: 'array', items: { type: 'string', enum: [...TOKEN_FORMATS] }, minItems: 1, uniqueItems: true },
    max_access_token_ttl: { type: 'integer', minimum: 1, maximum: 3_153_600_000 },
    max_uses: { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000 },
  },
  additionalProperties: false,
} as const;

/** Our fields beside oidc-provider's payload in its InitialAccessToken record. */
interface IatFields {
  description?: string;
  policy?: RegistrationPolicy;
  /** null: unlimited. */
  max_uses?: number | null;
  /** How many registrations it made (a hint for listing; the use records decide). */
  used?: number;
  from_env?: boolean;
  created_at?: Date;
}

type IatRecord = ModelRecord & IatFields;

export interface InitialAccessTokenView {
  id: string;
  description?: string;
  expires_at: Date | null;
  from_env: boolean;
  max_uses: number | null;
  remaining_uses: number | null;
  allowed_apis?: string[];
  allowed_scopes?: string[];
  all_apis?: boolean;
  token_formats: TokenFormat[];
  max_access_token_ttl?: number;
  created_at?: Date;
}

/** oidc-provider's model saves the token (its format and lifetime); we add the policy beside it. */
export type SaveInitialAccessToken = (expiresIn: number | undefined, value?: string) => Promise<string>;

/**
 * Initial access tokens for RFC 7591 registration, each carrying a policy: which APIs or
 * scopes, token formats and lifetimes its registrations may have, until when, and how often.
 */
export class InitialAccessTokens {
  readonly #coll: Collection<IatRecord>;
  readonly #registry: ApiRegistry;
  readonly #save: SaveInitialAccessToken;
  readonly #uses: Collection<ModelRecord>;

  constructor(
    coll: Collection<ModelRecord>,
    uses: Collection<ModelRecord>,
    registry: ApiRegistry,
    save: SaveInitialAccessToken,
  ) {
    this.#coll = coll as unknown as Collection<IatRecord>;
    this.#uses = uses;
    this.#registry = registry;
    this.#save = save;
  }

  /** Refuses names that do not exist, and anything of a system API (the management API). */
  #checkPolicyTargets(input: CreateInitialAccessToken): void {
    if (!input.allowed_apis && !input.allowed_scopes) {
      throw badRequest('allowed_apis or allowed_scopes: name what clients registered with this token may access');
    }
    for (const identifier of input.allowed_apis ?? []) {
      const api = this.#registry.get(identifier);
      if (!api) throw badRequest(`allowed_apis: unknown API ${identifier}`);
      if (api.system) throw badRequest(`allowed_apis: ${identifier} cannot be registered for`);
    }
    for (const name of input.allowed_scopes ?? []) {
      const api = this.#registry.ownerOfScope(name);
      if (!api) throw badRequest(`allowed_scopes: unknown scope ${name}`);
      if (api.system) throw badRequest(`allowed_scopes: ${name} cannot be registered for`);
    }
  }

  async create(input: CreateInitialAccessToken): Promise<{ value: string; view: InitialAccessTokenView }> {
    this.#checkPolicyTargets(input);
    const expiresIn = input.expires_in ?? DEFAULT_IAT_LIFETIME_SECONDS;
    const value = await this.#save(expiresIn);
    const maxUses = input.max_uses === undefined ? 1 : input.max_uses;
    const fields: IatFields = {
      policy: {
        ...(input.allowed_apis ? { allowed_apis: input.allowed_apis } : {}),
        ...(input.allowed_scopes ? { allowed_scopes: input.allowed_scopes } : {}),
        token_formats: input.token_formats ?? [...TOKEN_FORMATS],
        ...(input.max_access_token_ttl ? { max_access_token_ttl: input.max_access_token_ttl } : {}),
      },
      max_uses: maxUses,
      used: 0,
      created_at: new Date(),
      ...(input.description ? { description: input.description } : {}),
    };
    const id = hashToken(value);
    await this.#coll.updateOne({ _id: id }, { $set: fields });
    const doc = await this.#coll.findOne({ _id: id });
    return { value, view: view(doc ?? { _id: id, payload: {}, expiresAt: null, ...fields }) };
  }

  /** DCR_INITIAL_ACCESS_TOKEN: the operator's own, for every non-system API, until it changes. */
  async ensureFromEnv(value: string | undefined): Promise<void> {
    const id = value ? hashToken(value) : undefined;
    await this.#coll.deleteMany({ from_env: true, ...(id ? { _id: { $ne: id } } : {}) });
    if (!value) return;
    await this.#save(undefined, value);
    await this.#coll.updateOne({ _id: id! }, {
      $set: { from_env: true, max_uses: null, policy: { all_apis: true, token_formats: [...TOKEN_FORMATS] } },
    });
  }

  /**
   * Tokens that can still register a client, a page in id order. Expired ones are left out
   * by the query; used-up ones after it, so a page may hold fewer than `limit` while `next`
   * still leads on.
   */
  async list(q: { limit?: number; after?: string } = {}): Promise<Page<InitialAccessTokenView>> {
    const limit = Math.min(q.limit ?? DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    const now = new Date();
    const filter: Filter<IatRecord> = { $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] };
    if (q.after) filter._id = { $gt: decodeCursor(q.after, 1)[0]! };
    const docs = await this.#coll.find(filter, { sort: { _id: 1 }, limit: limit + 1 }).toArray();
    const page = pageOf(docs, limit, (d) => [d._id]);
    const counted = await Promise.all(page.rows.map((d) => this.#withUses(d)));
    return { rows: counted.filter((d) => isLive(d.expiresAt, now.getTime()) && remaining(d) !== 0).map(view), next: page.next };
  }

  /**
   * The uses a token has made, counted from its use records (`<id>:<n>`, a range of `_id`s):
   * the `used` field is only a hint, since FerretDB applies even `$max` as read-then-write.
   */
  async #withUses(d: IatRecord): Promise<IatRecord> {
    if (d.max_uses === null || d.max_uses === undefined) return d;
    const used = await this.#uses.countDocuments({ _id: { $gte: `${d._id}:`, $lt: `${d._id};` } });
    return { ...d, used };
  }

  async delete(id: string): Promise<void> {
    const r = await this.#coll.deleteOne({ _id: id });
    if (!r.deletedCount) throw notFound('initial access token not found');
  }

  /** The policy a token carries; a token from before policies existed allows what the env token does. */
  async policyOf(value: string): Promise<RegistrationPolicy | undefined> {
    const id = hashToken(value);
    const doc = await this.#coll.findOne({ _id: id });
    if (!doc) return undefined;
    return { ...(doc.policy ?? { all_apis: true, token_formats: [...TOKEN_FORMATS] }), initial_access_token: id };
  }

  /**
   * Takes one use. Each use is a record with a unique id (`<token id>:<n>`), and inserting it
   * is the reservation: of parallel registrations for the last use exactly one insert wins.
   * (A conditional $inc would do on MongoDB, but FerretDB applies updates as read-then-write,
   * so parallel decrements there all succeed.) Unlimited tokens are not counted.
   */
  async reserveUse(value: string): Promise<boolean> {
    const id = hashToken(value);
    const doc = await this.#coll.findOne({ _id: id });
    if (!doc) return false;
    const max = doc.max_uses;
    if (max === null || max === undefined) return true;
    for (let n = (doc.used ?? 0) + 1; n <= max; n += 1) {
      try {
        await this.#uses.insertOne({ _id: `${id}:${n}`, expiresAt: doc.expiresAt ?? null, payload: {} });
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      await this.#coll.updateOne({ _id: id }, { $max: { used: n } });
      return true;
    }
    return false;
  }
}

function remaining(d: IatFields): number | null {
  return d.max_uses === null || d.max_uses === undefined ? null : Math.max(0, d.max_uses - (d.used ?? 0));
}

function view(d: IatRecord): InitialAccessTokenView {
  const policy = d.policy ?? { all_apis: true, token_formats: [...TOKEN_FORMATS] };
  return {
    id: d._id,
    ...(d.description ? { description: d.description } : {}),
    expires_at: d.expiresAt ?? null,
    from_env: Boolean(d.from_env),
    max_uses: d.max_uses ?? null,
    remaining_uses: remaining(d),
    ...(policy.allowed_apis ? { allowed_apis: policy.allowed_apis } : {}),
    ...(policy.allowed_scopes ? { allowed_scopes: policy.allowed_scopes } : {}),
    ...(policy.all_apis ? { all_apis: true } : {}),
    token_formats: policy.token_formats,
    ...(policy.max_access_token_ttl ? { max_access_token_ttl: policy.max_access_token_ttl } : {}),
    ...(d.created_at ? { created_at: d.created_at } : {}),
  };
}
