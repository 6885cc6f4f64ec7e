// Small HTTP helpers for setting servers up before a load (registering
// clients, pre-issuing tokens); not used to generate load.

export interface Credentials {
  id: string;
  secret: string;
  /** Precomputed `Basic ...` header (RFC 6749 §2.3.1: form-encode, then base64). */
  basic: string;
  /**
   * The address this client's requests come from, sent as X-Forwarded-For: in
   * production each client application calls from its own host, whereas here
   * all load comes from 127.0.0.1 and would hit per-address limits meant for one host.
   */
  address: string;
}

let nextAddress = 0;
export function credentials(id: string, secret: string): Credentials {
  const n = nextAddress++;
  return {
    id,
    secret,
    basic: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
  };
}

export async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown; form?: Record<string, string> },
  expectStatus: number,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== expectStatus) throw new Error(`${init.method ?? 'POST'} ${url}: expected ${expectStatus}, got ${res.status} ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function issueToken(tokenUrl: string, client: Credentials, scope: string): Promise<string> {
  const body = await call(tokenUrl, { headers: { authorization: client.basic }, form: { grant_type: 'client_credentials', scope } }, 200);
  if (typeof body['access_token'] !== 'string') throw new Error(`${tokenUrl}: no access_token in ${JSON.stringify(body)}`);
  return body['access_token'];
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

export const FORM = 'application/x-www-form-urlencoded';
export const SCOPE = 'bench:read';
export const TOKEN_BODY = `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`;
