import type { ApiRegistry } from '../apis/index.js';

export interface IssuedToken {
  /** The API (resource) the token is for: its `aud`. */
  api: string;
  api_name: string;
  access_token: string;
  token_type: string;
  /** Absent for tokens that never expire. */
  expires_in?: number;
  scope: string;
}

export interface TokenIssue {
  tokens: IssuedToken[];
  /** Why some or all tokens could not be issued, in the token endpoint's words. */
  error?: { code: string; description: string };
}

interface TokenEndpointBody {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
}

/** Scopes grouped by the one API each belongs to (scope names are unique across APIs). */
export function scopesByApi(scopes: string[], registry: ApiRegistry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const scope of scopes) {
    const api = registry.ownerOfScope(scope);
    if (!api) continue;
    const list = groups.get(api.identifier) ?? [];
    list.push(scope);
    groups.set(api.identifier, list);
  }
  return groups;
}

/**
 * Asks this very server's token endpoint, over loopback and with the key set's own
 * credentials, so the token goes through the real pipeline (client auth, resource
 * resolution, format, TTL, records). A token is for one API, so scopes spanning several
 * APIs give one token each.
 */
export async function requestTokens(
  selfUrl: string,
  registry: ApiRegistry,
  clientId: string,
  secret: string,
  scopes: string[],
): Promise<TokenIssue> {
  const tokens: IssuedToken[] = [];
  // RFC 6749 §2.3.1: both halves are form-encoded before the Basic encoding.
  const credentials = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  for (const [api, group] of scopesByApi(scopes, registry)) {
    const res = await fetch(`${selfUrl}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${credentials}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: group.join(' '), resource: api }),
    });
    const body = (await res.json().catch(() => ({}))) as TokenEndpointBody;
    if (!res.ok || !body.access_token) {
      return {
        tokens,
        error: {
          code: body.error ?? 'server_error',
          description: body.error_description ?? `the token endpoint answered ${res.status}`,
        },
      };
    }
    tokens.push({
      api,
      api_name: registry.get(api)?.name ?? api,
      access_token: body.access_token,
      token_type: body.token_type ?? 'Bearer',
      ...(typeof body.expires_in === 'number' ? { expires_in: body.expires_in } : {}),
      scope: body.scope ?? group.join(' '),
    });
  }
  return { tokens };
}
