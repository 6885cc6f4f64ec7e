import { CliError } from './errors.js';
import type { AdminCredentials } from './profile.js';

const TIMEOUT_MS = 30_000;

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
}

interface Answer {
  status: number;
  body: unknown;
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before being joined for Basic. */
function basic(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

/** `reason (HTTP status)` from an OAuth or management API error body. */
function failure(what: string, a: Answer): CliError {
  const b = (a.body ?? {}) as Record<string, unknown>;
  const reason = typeof b['error_description'] === 'string' ? b['error_description']
    : typeof b['error'] === 'string' ? b['error'] : 'unexpected answer';
  return new CliError(`${what}: ${reason} (HTTP ${a.status})`);
}

/** The server's OAuth endpoints and its management API, at the URL the operator gave. */
export class ServerClient {
  readonly url: string;
  #issuer: string | undefined;

  constructor(url: string) {
    this.url = url;
  }

  async send(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers: { accept: 'application/json', ...init.headers },
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${this.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { error_description: `the server answered something other than JSON for ${method} ${path}` };
      }
    }
    return { status: res.status, body };
  }

  async #form(path: string, auth: string, params: Record<string, string>): Promise<Answer> {
    return this.send('POST', path, {
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
  }

  /** The issuer, which names the management API's resource (`<issuer>/api`). */
  async issuer(): Promise<string> {
    if (!this.#issuer) {
      const a = await this.send('GET', '/.well-known/oauth-authorization-server');
      const issuer = (a.body as { issuer?: unknown } | undefined)?.issuer;
      if (a.status !== 200 || typeof issuer !== 'string') throw new CliError(`${this.url} is not a keyforge server (no discovery document)`);
      this.#issuer = issuer;
    }
    return this.#issuer;
  }

  async clientCredentials(c: AdminCredentials, params: Record<string, string>): Promise<TokenResponse> {
    const a = await this.#form('/token', basic(c.clientId, c.clientSecret), { grant_type: 'client_credentials', ...params });
    if (a.status !== 200) throw failure('token request refused', a);
    return a.body as TokenResponse;
  }

  async introspect(c: AdminCredentials, token: string): Promise<Record<string, unknown>> {
    const a = await this.#form('/token/introspection', basic(c.clientId, c.clientSecret), { token });
    if (a.status !== 200) throw failure('introspection refused', a);
    return a.body as Record<string, unknown>;
  }

  async revoke(c: AdminCredentials, token: string): Promise<void> {
    const a = await this.#form('/token/revocation', basic(c.clientId, c.clientSecret), { token });
    if (a.status !== 200) throw failure('revocation refused', a);
  }

  /** An admin-scoped token for the management API. */
  async adminToken(c: AdminCredentials): Promise<string> {
    const issuer = await this.issuer();
    const t = await this.clientCredentials(c, { scope: 'admin', resource: `${issuer}/api` });
    return t.access_token;
  }
}

/** Management API calls with one admin token per CLI invocation. */
export class AdminSession {
  readonly #server: ServerClient;
  readonly #credentials: AdminCredentials;
  #token: Promise<string> | undefined;

  constructor(server: ServerClient, credentials: AdminCredentials) {
    this.#server = server;
    this.#credentials = credentials;
  }

  get server(): ServerClient {
    return this.#server;
  }

  get credentials(): AdminCredentials {
    return this.#credentials;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    this.#token ??= this.#server.adminToken(this.#credentials);
    const token = await this.#token;
    const a = await this.#server.send(method, `/api${path}`, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (a.status >= 400) throw failure(`${method} /api${path}`, a);
    return a.body as T;
  }
}

export const apiPath = (identifier: string) => `/apis/${encodeURIComponent(identifier)}`;
