import { createHash } from 'node:crypto';

import { AuthorizationServerUnavailable } from './errors.js';
import { basicAuth, fetchJson, refusalOf, type HttpDeps } from './http-client.js';

/** RFC 7662 §2.2 response, the members this kit reads. */
export interface IntrospectionResult {
  active: boolean;
  scope?: string;
  client_id?: string;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  token_type?: string;
  [claim: string]: unknown;
}

export interface IntrospectorOptions {
  endpoint: () => Promise<string>;
  clientId: string;
  clientSecret: string;
  /** Longest reuse of an answer; an active one is never reused past the token's exp. */
  cacheMs: number;
  maxEntries?: number;
}

interface Entry {
  result: IntrospectionResult;
  until: number;
}

/**
 * RFC 7662 introspection with this API's own client credentials, and a small cache keyed by
 * the token's hash (raw tokens are not kept). An inactive answer is cached too: a token never
 * becomes active again, and it keeps a flood of garbage tokens off the server.
 */
export class Introspector {
  readonly #o: IntrospectorOptions;
  readonly #http: HttpDeps;
  readonly #cache = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<IntrospectionResult>>();
  readonly #maxEntries: number;

  constructor(o: IntrospectorOptions, http: HttpDeps) {
    this.#o = o;
    this.#http = http;
    this.#maxEntries = o.maxEntries ?? 10_000;
  }

  async introspect(token: string): Promise<IntrospectionResult> {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = this.#cache.get(key);
    if (hit && hit.until > Date.now()) return hit.result;
    if (hit) this.#cache.delete(key);

    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = this.#ask(token).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    const result = await pending;
    this.#remember(key, result);
    return result;
  }

  async #ask(token: string): Promise<IntrospectionResult> {
    const endpoint = await this.#o.endpoint();
    const { status, body } = await fetchJson(endpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuth(this.#o.clientId, this.#o.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    }, this.#http);
    if (status !== 200) {
      // Our own credentials were refused: a configuration problem, never a reason to pass or blame the token.
      throw new AuthorizationServerUnavailable(refusalOf('introspection', this.#o.clientId, status, body));
    }
    const result = body as IntrospectionResult | null;
    if (!result || typeof result !== 'object' || typeof result.active !== 'boolean') {
      throw new AuthorizationServerUnavailable('introspection answered an unexpected document');
    }
    return result;
  }

  #remember(key: string, result: IntrospectionResult): void {
    if (this.#o.cacheMs <= 0) return;
    let until = Date.now() + this.#o.cacheMs;
    if (result.active && typeof result.exp === 'number') until = Math.min(until, result.exp * 1000);
    if (until <= Date.now()) return;
    if (this.#cache.size >= this.#maxEntries) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(key, { result, until });
  }
}
