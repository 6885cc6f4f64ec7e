import { AuthorizationServerUnavailable, invalidToken } from './errors.js';
import { basicAuth, fetchJson, refusalOf, type HttpDeps } from './http-client.js';

export interface RevocationListOptions {
  feedUrl: string;
  audience: string;
  clientId: string;
  clientSecret: string;
  /** A JWT is never accepted on a list older than this (the revocation delay bound). */
  boundMs: number;
}

interface FeedPage {
  revoked: { jti: string; exp?: number }[];
  cursor: string;
  has_more: boolean;
  audiences: string[];
  all_audiences: boolean;
}

const MAX_PAGES_PER_SYNC = 100;

function isFeedPage(b: unknown): b is FeedPage {
  const p = b as Partial<FeedPage> | undefined;
  return !!p && Array.isArray(p.revoked) && typeof p.cursor === 'string' && typeof p.has_more === 'boolean'
    && Array.isArray(p.audiences) && p.revoked.every((e) => e && typeof e.jti === 'string');
}

/**
 * The jtis of revoked, unexpired JWTs for our audience, kept in step with the server's
 * revocation feed. Past half the bound a request triggers a background sync; past the whole
 * bound it waits for one, and if that fails the JWT is not accepted (503): an old list could
 * be missing a revocation.
 */
export class RevocationList {
  readonly #o: RevocationListOptions;
  readonly #http: HttpDeps;
  /** jti -> exp (seconds), so entries leave once the token could not pass anyway. */
  readonly #revoked = new Map<string, number>();
  #cursor: string | undefined;
  /** When the last successful sync started: everything revoked before then is known. */
  #syncedAt = -Infinity;
  #syncing: Promise<void> | undefined;

  constructor(o: RevocationListOptions, http: HttpDeps) {
    this.#o = o;
    this.#http = http;
  }

  async assertNotRevoked(jti: string): Promise<void> {
    const age = Date.now() - this.#syncedAt;
    if (age >= this.#o.boundMs / 2 && age < this.#o.boundMs) {
      // Refreshed ahead of the bound so requests seldom wait; a failure here is retried by the next one.
      this.sync().catch(() => undefined);
    }
    // The invariant: a JWT is judged on a list younger than the bound. A sync that began long
    // ago (a slow server) does not count as fresh, so it is tried once more before giving up.
    for (let attempt = 0; Date.now() - this.#syncedAt >= this.#o.boundMs; attempt++) {
      if (attempt === 2) throw new AuthorizationServerUnavailable('the revocation feed answers too slowly for revocationCheckSeconds');
      await this.sync();
    }
    if (this.#revoked.has(jti)) throw invalidToken('the access token has been revoked');
  }

  /** Concurrent callers share one sync. */
  sync(): Promise<void> {
    this.#syncing ??= this.#pull().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #pull(): Promise<void> {
    const startedAt = Date.now();
    let cursor = this.#cursor;
    for (let page = 0; page < MAX_PAGES_PER_SYNC; page++) {
      const url = new URL(this.#o.feedUrl);
      if (cursor) url.searchParams.set('since', cursor);
      const { status, body } = await fetchJson(url.href, {
        headers: { authorization: basicAuth(this.#o.clientId, this.#o.clientSecret) },
      }, this.#http);
      if (status !== 200) {
        throw new AuthorizationServerUnavailable(refusalOf('the revocation feed', this.#o.clientId, status, body));
      }
      if (!isFeedPage(body)) throw new AuthorizationServerUnavailable('the revocation feed answered an unexpected document');
      if (!body.all_audiences && !body.audiences.includes(this.#o.audience)) {
        throw new AuthorizationServerUnavailable(
          `client ${this.#o.clientId} is not a resource server of ${this.#o.audience}, so it cannot learn its revocations`,
        );
      }
      for (const e of body.revoked) this.#revoked.set(e.jti, typeof e.exp === 'number' ? e.exp : Infinity);
      cursor = body.cursor;
      if (!body.has_more) {
        this.#cursor = cursor;
        this.#syncedAt = startedAt;
        this.#prune();
        return;
      }
    }
    // Keep what was read; the next sync continues from here.
    this.#cursor = cursor;
    throw new AuthorizationServerUnavailable('the revocation feed did not finish within one sync');
  }

  #prune(): void {
    const now = Date.now() / 1000;
    for (const [jti, exp] of this.#revoked) if (exp < now) this.#revoked.delete(jti);
  }
}
