import { importJWK, type CryptoKey, type JWK, type JWSHeaderParameters, type KeyObject } from 'jose';

import { AuthorizationServerUnavailable, invalidToken } from './errors.js';
import { fetchJson, type HttpDeps } from './http-client.js';

export interface JwksCacheOptions {
  /** Least time between two fetches caused by an unknown kid: forged kids cannot flood the server. */
  cooldownMs: number;
  /** Keys older than this are fetched again before use (a removed key stops verifying). */
  maxAgeMs: number;
}

type VerifyKey = CryptoKey | KeyObject | Uint8Array;

/**
 * The authorization server's public keys, by kid. Refetched when too old, or when a token
 * names a kid we do not have (a rotation), at most once per cooldown.
 */
export class JwksCache {
  readonly #jwksUri: () => Promise<string>;
  readonly #http: HttpDeps;
  readonly #o: JwksCacheOptions;
  #keys = new Map<string, JWK>();
  readonly #imported = new Map<string, Promise<VerifyKey>>();
  #fetchedAt = -Infinity;
  #attemptedAt = -Infinity;
  #lastError: Error | undefined;
  #fetching: Promise<void> | undefined;

  constructor(jwksUri: () => Promise<string>, http: HttpDeps, o: JwksCacheOptions) {
    this.#jwksUri = jwksUri;
    this.#http = http;
    this.#o = o;
  }

  /** The key for a JWS header, in the shape jose's jwtVerify takes as a key resolver. */
  async getKey(header: JWSHeaderParameters): Promise<VerifyKey> {
    const kid = header.kid;
    if (typeof kid !== 'string' || !kid) throw invalidToken('the access token names no signing key');
    if (Date.now() - this.#fetchedAt >= this.#o.maxAgeMs) {
      try {
        await this.#refresh();
      } catch (err) {
        // Public keys rarely change; a stale set is still the best answer while we have one.
        if (!this.#keys.size) throw err;
      }
    }
    if (!this.#keys.has(kid) && this.#mayFetch()) await this.#refresh();
    const jwk = this.#keys.get(kid);
    if (!jwk) throw invalidToken('the access token is signed with an unknown key');
    if (jwk.alg !== undefined && jwk.alg !== header.alg) throw invalidToken('the signing key does not match the token algorithm');
    if (jwk.use !== undefined && jwk.use !== 'sig') throw invalidToken('the key is not a signing key');
    return this.#import(kid, jwk, String(header.alg));
  }

  #mayFetch(): boolean {
    return Date.now() - this.#attemptedAt >= this.#o.cooldownMs;
  }

  #import(kid: string, jwk: JWK, alg: string): Promise<VerifyKey> {
    const cacheKey = `${kid}\u0000${alg}`;
    let key = this.#imported.get(cacheKey);
    if (!key) {
      key = importJWK(jwk, alg).catch((err: unknown) => {
        this.#imported.delete(cacheKey);
        throw invalidToken(`the signing key cannot be used: ${err instanceof Error ? err.message : String(err)}`);
      });
      this.#imported.set(cacheKey, key);
    }
    return key;
  }

  /**
   * Concurrent callers share one fetch; attempts, failed ones too, are spaced by the cooldown
   * so neither forged kids nor a struggling server turn requests into JWKS fetches.
   */
  #refresh(): Promise<void> {
    if (!this.#fetching && !this.#mayFetch()) {
      return Promise.reject(this.#lastError ?? new AuthorizationServerUnavailable('the key set is not available'));
    }
    this.#fetching ??= this.#load().then(
      () => {
        this.#lastError = undefined;
      },
      (err: unknown) => {
        this.#lastError = err instanceof Error ? err : new Error(String(err));
        throw err;
      },
    ).finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #load(): Promise<void> {
    this.#attemptedAt = Date.now();
    const uri = await this.#jwksUri();
    const { status, body } = await fetchJson(uri, {}, this.#http);
    const keys = (body as { keys?: unknown } | undefined)?.keys;
    if (status !== 200 || !Array.isArray(keys)) {
      throw new AuthorizationServerUnavailable(`${uri} answered ${status} without a key set`);
    }
    const next = new Map<string, JWK>();
    for (const k of keys as JWK[]) {
      if (k && typeof k === 'object' && typeof k.kid === 'string') next.set(k.kid, k);
    }
    this.#keys = next;
    this.#imported.clear();
    this.#fetchedAt = this.#attemptedAt;
  }
}
