import { decodeProtectedHeader } from 'jose';

import { hashToken, isLive, jwtRecordId, revokeTokens, type Collections, type TokenRecord } from '../store/index.js';

export interface JwtIssue {
  jti: string;
  client_id: string;
  scope?: string;
  aud?: string | string[];
  iat: number;
  exp?: number;
  key_type?: string;
  /** DPoP: the thumbprint of the key the token is bound to (cnf.jkt). */
  jkt?: string;
}

/** True for a compact JWS: three base64url parts and a decodable header. */
export function looksLikeJwt(value: string): boolean {
  if (value.split('.').length !== 3) return false;
  try {
    decodeProtectedHeader(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Token records, shared by issuance (opaque via the oidc-provider adapter, JWTs via the
 * format customizer), introspection, revocation and the management API.
 */
export class TokenStore {
  readonly #c: Collections;

  constructor(collections: Collections) {
    this.#c = collections;
  }

  /** Awaited before the token response leaves: an answered token is a stored token. */
  async recordJwt(t: JwtIssue): Promise<void> {
    const record: TokenRecord = {
      _id: jwtRecordId(t.jti),
      format: 'jwt',
      jti: t.jti,
      client_id: t.client_id,
      iat: t.iat,
      expiresAt: t.exp ? new Date(t.exp * 1000) : null,
      revoked: false,
    };
    if (t.scope) record.scope = t.scope;
    if (t.aud !== undefined) record.aud = t.aud;
    if (t.exp) record.exp = t.exp;
    if (t.key_type) record.key_type = t.key_type;
    if (t.jkt) record.jkt = t.jkt;
    await this.#c.tokenInserts.insert(record);
    this.#c.tokenCache.set(record);
  }

  /** Cache first; a miss reads the database and keeps what is active. */
  async #lookup(id: string): Promise<TokenRecord | null> {
    const cached = this.#c.tokenCache.get(id);
    if (cached) return cached;
    const doc = await this.#c.tokenLookups.find(id);
    if (doc && isActive(doc)) this.#c.tokenCache.set(doc);
    return doc;
  }

  /**
   * The record behind a presented token, live or not. JWTs are found by their jti only
   * after the caller verified the signature; opaque values by hash.
   */
  async findByJti(jti: string): Promise<TokenRecord | null> {
    return this.#lookup(jwtRecordId(jti));
  }

  async findOpaque(value: string): Promise<TokenRecord | null> {
    const doc = await this.#lookup(hashToken(value));
    return doc?.format === 'opaque' ? doc : null;
  }

  async revoke(id: string): Promise<void> {
    await revokeTokens(this.#c, { token: id });
  }

  /**
   * Every token of a client (e.g. its secret was regenerated), or only those for some
   * audiences (e.g. its application stopped subscribing to an API).
   */
  async revokeAllForClient(clientId: string, aud?: string[]): Promise<number> {
    return revokeTokens(this.#c, aud ? { client: clientId, aud } : { client: clientId });
  }
}

export function isActive(record: TokenRecord | null, now = Date.now()): record is TokenRecord {
  return !!record && !record.revoked && isLive(record.expiresAt, now);
}

