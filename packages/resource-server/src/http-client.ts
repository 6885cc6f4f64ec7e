import { AuthorizationServerUnavailable } from './errors.js';

export interface HttpDeps {
  fetch: typeof fetch;
  timeoutMs: number;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before being joined for Basic. */
export function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

/**
 * One call to the authorization server. A network failure, timeout, 5xx or a body that is not
 * JSON means "could not ask" (AuthorizationServerUnavailable); 2xx and 4xx come back to the caller.
 */
export async function fetchJson(url: string, init: RequestInit, d: HttpDeps): Promise<JsonResponse> {
  let res: Response;
  try {
    res = await d.fetch(url, {
      ...init,
      headers: { accept: 'application/json', ...init.headers },
      redirect: 'error',
      signal: AbortSignal.timeout(d.timeoutMs),
    });
  } catch (err) {
    throw new AuthorizationServerUnavailable(`cannot reach ${url}: ${reason(err)}`, { cause: err });
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    throw new AuthorizationServerUnavailable(`${url} answered ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new AuthorizationServerUnavailable(`${url} answered ${res.status} without a JSON body`, { cause: err });
  }
  return { status: res.status, body };
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/** `error: error_description` of an OAuth error body, for messages. */
export function oauthError(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b['error'] === 'string') {
      return typeof b['error_description'] === 'string' ? `${b['error']}: ${b['error_description']}` : b['error'];
    }
  }
  return 'unexpected answer';
}

/** Why the server refused this resource server's own credentials, with what to check. */
export function refusalOf(what: string, clientId: string, status: number, body: unknown): string {
  const hint = status === 401 ? `; check clientId (${clientId}) and clientSecret` : '';
  return `${what} refused this resource server (${status} ${oauthError(body)})${hint}`;
}
