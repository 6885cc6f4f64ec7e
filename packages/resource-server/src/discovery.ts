import { AuthorizationServerUnavailable } from './errors.js';
import { fetchJson, type HttpDeps } from './http-client.js';

export interface ServerMetadata {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint: string;
}

const FAILURE_MEMORY_MS = 1000;

/**
 * RFC 8414 metadata, fetched on first need and kept: endpoints do not move while a process
 * runs. A failed fetch is remembered for a second only.
 */
export class Discovery {
  readonly #url: string;
  readonly #issuer: string;
  readonly #http: HttpDeps;
  #metadata: Promise<ServerMetadata> | undefined;

  constructor(url: string, issuer: string, http: HttpDeps) {
    this.#url = url;
    this.#issuer = issuer;
    this.#http = http;
  }

  get(): Promise<ServerMetadata> {
    this.#metadata ??= this.#load().catch((err: unknown) => {
      // Kept for a moment, so a misconfigured kit does not fetch discovery on every request.
      setTimeout(() => {
        this.#metadata = undefined;
      }, FAILURE_MEMORY_MS).unref();
      throw err;
    });
    return this.#metadata;
  }

  async #load(): Promise<ServerMetadata> {
    const { status, body } = await fetchJson(this.#url, {}, this.#http);
    const m = (body ?? {}) as Record<string, unknown>;
    if (status !== 200) throw new AuthorizationServerUnavailable(`${this.#url} answered ${status}`);
    // RFC 8414 §3.3: metadata naming another issuer must not be used.
    if (m['issuer'] !== this.#issuer) {
      throw new AuthorizationServerUnavailable(`${this.#url} names issuer ${String(m['issuer'])}, expected ${this.#issuer}`);
    }
    for (const key of ['jwks_uri', 'introspection_endpoint'] as const) {
      const value = m[key];
      if (typeof value !== 'string') throw new AuthorizationServerUnavailable(`${this.#url} has no ${key}`);
      // Keys and introspection answers decide which tokens pass: they are taken only from the
      // issuer's own origin, whatever a tampered or mis-proxied discovery document says.
      if (!onOrigin(value, this.#issuer)) {
        throw new AuthorizationServerUnavailable(
          `${this.#url}: ${key} ${value} is not on the issuer's origin ${new URL(this.#issuer).origin}; refusing it`,
        );
      }
    }
    return m as unknown as ServerMetadata;
  }
}

/** Same scheme, host and port as the issuer, and no credentials in the URL. */
function onOrigin(value: string, issuer: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.origin === new URL(issuer).origin && !url.username && !url.password;
}
