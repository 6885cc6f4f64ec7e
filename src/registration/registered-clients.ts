import { randomBytes } from 'node:crypto';

import type { Collection, Filter } from 'mongodb';
import type { Adapter, AdapterPayload } from 'oidc-provider';

import { badRequest, notFound } from '../http/index.js';
import { decodeCursor, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, pageOf } from '../http/paging.js';
import { revokeTokens, type ClientRecord, type Collections, type ModelRecord } from '../store/index.js';
import { isRegistrationPolicy, type RegistrationPolicy } from './policy.js';
import {
  DEFAULT_GRACE_SECONDS, previousSecretExpiresAt, rotatedMetadata, withoutPreviousSecret,
} from '../applications/secret-rotation.js';

export type ClientSource = 'registration' | 'application' | 'system';

export interface ClientView {
  client_id: string;
  client_name?: string;
  source: ClientSource;
  disabled: boolean;
  scope?: string;
  access_token_strategy?: string;
  access_token_ttl?: number;
  /** RFC 9449: the client gets DPoP-bound tokens only. */
  dpop_bound_access_tokens?: boolean;
  token_endpoint_auth_method?: string;
  application_id?: string;
  key_type?: string;
  registration_policy?: RegistrationPolicy;
  /** During a secret rotation's grace period: when the previous secret stops working. */
  previous_secret_expires_at?: Date;
  created_at?: Date;
  updated_at?: Date;
}

export interface ClientPage {
  clients: ClientView[];
  /** Opaque cursor for the next page; null on the last one. */
  next: string | null;
}

export const DEFAULT_PAGE = DEFAULT_PAGE_LIMIT;
export const MAX_PAGE = MAX_PAGE_LIMIT;

/** Creates a registration access token for a client and returns its value (shown once). */
export type IssueRegistrationAccessToken = (clientId: string) => Promise<string>;

export interface RegisteredClientsDeps {
  collections: Collections;
  clientAdapter: Adapter;
  adminClientId: string;
  issueRegistrationAccessToken: IssueRegistrationAccessToken;
}

/**
 * The administrator's side of dynamic registration: every client, where it came from, and
 * the levers on it (disable, enable, delete, registration access tokens).
 */
export class RegisteredClients {
  readonly #d: RegisteredClientsDeps;
  readonly #rats: Collection<ModelRecord>;

  constructor(d: RegisteredClientsDeps) {
    this.#d = d;
    this.#rats = d.collections.model('RegistrationAccessToken');
  }

  #view(doc: ClientRecord): ClientView {
    const m = doc.metadata as Record<string, unknown>;
    const str = (k: string) => (typeof m[k] === 'string' ? { [k]: m[k] as string } : {});
    const source: ClientSource = doc._id === this.#d.adminClientId
      ? 'system'
      : typeof m['application_id'] === 'string' ? 'application' : 'registration';
    return {
      client_id: doc._id,
      ...str('client_name'),
      source,
      disabled: m['disabled'] === true,
      ...str('scope'),
      ...str('access_token_strategy'),
      ...(typeof m['access_token_ttl'] === 'number' ? { access_token_ttl: m['access_token_ttl'] } : {}),
      ...(m['dpop_bound_access_tokens'] === true ? { dpop_bound_access_tokens: true } : {}),
      ...str('token_endpoint_auth_method'),
      ...str('application_id'),
      ...str('key_type'),
      ...(isRegistrationPolicy(m['registration_policy']) ? { registration_policy: m['registration_policy'] } : {}),
      ...(previousSecretExpiresAt(m) !== undefined ? { previous_secret_expires_at: new Date(previousSecretExpiresAt(m)! * 1000) } : {}),
      ...(doc.created_at ? { created_at: doc.created_at } : {}),
      ...(doc.updated_at ? { updated_at: doc.updated_at } : {}),
    };
  }

  /** A page in client id order, optionally of one source only. */
  async list(q: { limit?: number; after?: string; source?: ClientSource }): Promise<ClientPage> {
    const limit = Math.min(q.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const id: { $gt?: string; $ne?: string; $eq?: string } = q.after ? { $gt: decodeCursor(q.after, 1)[0]! } : {};
    const filter: Filter<ClientRecord> = {};
    if (q.source === 'system') id.$eq = this.#d.adminClientId;
    if (q.source === 'registration') id.$ne = this.#d.adminClientId;
    if (q.source === 'application') filter['metadata.application_id'] = { $exists: true };
    if (q.source === 'registration') filter['metadata.application_id'] = { $exists: false };
    if (Object.keys(id).length) filter._id = id;
    const docs = await this.#d.collections.clients.find(filter, { sort: { _id: 1 }, limit: limit + 1 }).toArray();
    const page = pageOf(docs, limit, (d) => [d._id]);
    return { clients: page.rows.map((d) => this.#view(d)), next: page.next };
  }

  /** Every client but the built-in admin, with its stored metadata (secrets as hashes): for export. */
  async exportRecords(): Promise<{ client_id: string; metadata: Record<string, unknown> }[]> {
    const docs = await this.#d.collections.clients
      .find({ _id: { $ne: this.#d.adminClientId } }, { sort: { _id: 1 } })
      .toArray();
    return docs.map((c) => ({ client_id: c._id, metadata: c.metadata }));
  }

  /**
   * Creates or replaces a client from an export. Through the adapter: a plaintext secret
   * written in a declared file is hashed on the way in.
   */
  async importClient(clientId: string, metadata: Record<string, unknown>): Promise<void> {
    await this.#d.clientAdapter.upsert(clientId, { ...metadata, client_id: clientId } as AdapterPayload, 0);
  }

  async get(id: string): Promise<ClientView> {
    const doc = await this.#d.collections.clients.findOne({ _id: id });
    if (!doc) throw notFound('client not found');
    return this.#view(doc);
  }

  async #changeable(id: string): Promise<ClientRecord> {
    if (id === this.#d.adminClientId) throw badRequest('the admin client is managed through the environment');
    const doc = await this.#d.collections.clients.findOne({ _id: id });
    if (!doc) throw notFound('client not found');
    return doc;
  }

  /**
   * A disabled client cannot authenticate anywhere, and the tokens it holds are revoked; the
   * client cache of other instances lets it in for at most CLIENT_CACHE_SECONDS more.
   */
  async setDisabled(id: string, disabled: boolean): Promise<ClientView> {
    const doc = await this.#changeable(id);
    const metadata = { ...doc.metadata } as AdapterPayload;
    if (disabled) metadata['disabled'] = true;
    else delete metadata['disabled'];
    await this.#d.clientAdapter.upsert(id, metadata, 0);
    if (disabled) await revokeTokens(this.#d.collections, { client: id });
    return this.get(id);
  }

  /** Deletes the client (its tokens are revoked first) and its registration access tokens. */
  async delete(id: string): Promise<void> {
    await this.#changeable(id);
    await this.#d.clientAdapter.destroy(id);
    await this.revokeRegistrationAccessTokens(id);
  }

  async revokeRegistrationAccessTokens(id: string): Promise<number> {
    const r = await this.#rats.deleteMany({ 'payload.clientId': id });
    return r.deletedCount;
  }

  /** A registered client that uses a secret (application key sets have their own levers). */
  async #secretClient(id: string): Promise<ClientRecord> {
    const doc = await this.#changeable(id);
    const m = doc.metadata as Record<string, unknown>;
    if (typeof m['application_id'] === 'string') {
      throw badRequest('application key sets are managed through /applications');
    }
    if (typeof m['client_secret'] !== 'string') throw badRequest('the client authenticates with a key, not a secret');
    return doc;
  }

  /**
   * A new secret, shown once; the current one keeps working for `graceSeconds`. Tokens
   * already issued stay valid until they expire.
   */
  async rotateSecret(id: string, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<{ client_secret: string; previous_secret_expires_at: Date }> {
    const doc = await this.#secretClient(id);
    const secret = randomBytes(32).toString('base64url');
    const next = rotatedMetadata(doc.metadata as Record<string, unknown>, secret, graceSeconds);
    await this.#d.clientAdapter.upsert(id, next as AdapterPayload, 0);
    return { client_secret: secret, previous_secret_expires_at: new Date(previousSecretExpiresAt(next)! * 1000) };
  }

  /** The previous secret stops now. */
  async endPreviousSecret(id: string): Promise<ClientView> {
    const doc = await this.#secretClient(id);
    await this.#d.clientAdapter.upsert(id, withoutPreviousSecret(doc.metadata as Record<string, unknown>) as AdapterPayload, 0);
    return this.get(id);
  }

  /** Every earlier registration access token stops working; the new value is shown once. */
  async rotateRegistrationAccessToken(id: string): Promise<string> {
    const doc = await this.#changeable(id);
    if (typeof (doc.metadata as Record<string, unknown>)['application_id'] === 'string') {
      throw badRequest('application key sets are managed through /applications, not RFC 7592');
    }
    await this.revokeRegistrationAccessTokens(id);
    return this.#d.issueRegistrationAccessToken(id);
  }
}
