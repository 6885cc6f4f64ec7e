import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

import { SIGNING_ALGS } from '../consts/index.js';
import type { TokenRecord } from '../store/index.js';
import { isActive, looksLikeJwt, type TokenStore } from './token-store.js';


export interface ActiveToken {
  record: TokenRecord;
  /** The identifier we expose as `jti`: the JWT's own, or the record hash for opaque tokens. */
  jti: string;
  audiences: string[];
  scopes: Set<string>;
}

/**
 * Decides whether a presented access token is active: signature and claims for JWTs
 * (against our published keys), then, for both formats, the stored record (revoked, expired).
 */
export class TokenInspector {
  readonly #store: TokenStore;
  readonly #issuer: string;
  #jwks: JWTVerifyGetKey;
  readonly #reloadKeys: () => Promise<void>;
  #lastReload = 0;

  /**
   * `reloadKeys` is called (at most once a second) when a JWT names a key we do not have:
   * another instance may have just published it.
   */
  constructor(store: TokenStore, issuer: string, publicJwks: JSONWebKeySet, reloadKeys: () => Promise<void> = async () => {}) {
    this.#store = store;
    this.#issuer = issuer;
    this.#jwks = createLocalJWKSet(publicJwks);
    this.#reloadKeys = reloadKeys;
  }

  async #verify(value: string) {
    const options = {
      issuer: this.#issuer,
      typ: 'at+jwt',
      algorithms: [...SIGNING_ALGS],
      requiredClaims: ['jti', 'exp', 'iat', 'client_id'],
    };
    try {
      return await jwtVerify(value, this.#jwks, options);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - this.#lastReload < 1000) throw err;
      this.#lastReload = Date.now();
      await this.#reloadKeys();
      return jwtVerify(value, this.#jwks, options);
    }
  }

  /** Called when keys rotate, so tokens signed by a brand-new key verify at once. */
  setKeys(publicJwks: JSONWebKeySet): void {
    this.#jwks = createLocalJWKSet(publicJwks);
  }

  async inspect(value: string): Promise<ActiveToken | undefined> {
    if (!value || value.length > 16_384) return undefined;
    let record: TokenRecord | null;
    let jti: string;
    if (looksLikeJwt(value)) {
      try {
        const { payload } = await this.#verify(value);
        jti = String(payload.jti);
        record = await this.#store.findByJti(jti);
        if (record && record.client_id !== payload['client_id']) return undefined;
      } catch {
        return undefined;
      }
    } else {
      record = await this.#store.findOpaque(value);
      jti = record?._id ?? '';
    }
    if (!isActive(record)) return undefined;
    const aud = record.aud;
    return {
      record,
      jti,
      audiences: aud === undefined ? [] : Array.isArray(aud) ? aud : [aud],
      scopes: new Set(record.scope?.split(' ').filter(Boolean)),
    };
  }

  /**
   * The client a token was issued to, whether or not it is still active, from our own record
   * (a JWT's claims are not trusted here: only the record its jti names counts).
   */
  async issuedTo(value: string): Promise<string | undefined> {
    if (!value || value.length > 16_384) return undefined;
    let record: TokenRecord | null;
    if (looksLikeJwt(value)) {
      let jti: unknown;
      try {
        jti = decodeJwt(value).jti;
      } catch {
        return undefined;
      }
      record = typeof jti === 'string' ? await this.#store.findByJti(jti) : null;
    } else {
      record = await this.#store.findOpaque(value);
    }
    return record?.client_id;
  }
}

/** Public halves only; oidc-provider gets the private JWKs, verifiers never do. */
export function publicJwks(privateJwks: { keys: Record<string, unknown>[] }): JSONWebKeySet {
  const privateFields = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
  return {
    keys: privateJwks.keys.map((k) =>
      Object.fromEntries(Object.entries(k).filter(([name]) => !privateFields.has(name)))),
  } as JSONWebKeySet;
}
