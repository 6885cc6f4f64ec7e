import { errors, type KoaContextWithOIDC, type Client } from 'oidc-provider';

import type { Api, ApiRegistry } from '../apis/index.js';
import type { SigningAlg } from '../consts/index.js';
import { NEVER_EXPIRING_TTL } from '../consts/index.js';
import { effectiveTtl } from './client-metadata.js';

function scopeList(value: unknown): string[] {
  return typeof value === 'string' && value ? [...new Set(value.split(' ').filter(Boolean))] : [];
}

function allowedScopes(client: Client): Set<string> {
  return new Set(scopeList(client['scope']));
}

export interface ResourceOptions {
  registry: ApiRegistry;
  maxAccessTokenTtl: number;
  signingKid: (alg: SigningAlg) => string;
}

/**
 * RFC 8707 with a twist: scope names are unique across APIs, so a request that omits
 * `resource` still names exactly one API through its scopes, or through the client's own.
 */
export function resourceIndicatorsFeature(o: ResourceOptions) {
  const { registry } = o;

  function apiOfScopes(scopes: string[]): Api[] {
    const apis = new Map<string, Api>();
    for (const s of scopes) {
      const api = registry.ownerOfScope(s);
      if (api) apis.set(api.identifier, api);
    }
    return [...apis.values()];
  }

  async function defaultResource(ctx: KoaContextWithOIDC, client: Client, oneOf?: string[]) {
    if (oneOf) return oneOf;
    const requested = scopeList(ctx.oidc.params?.['scope']);
    if (requested.length) {
      const unknown = requested.find((s) => !registry.ownerOfScope(s));
      if (unknown) throw new errors.InvalidScope(`unknown scope ${unknown}`, unknown);
      const apis = apiOfScopes(requested);
      if (apis.length > 1) {
        throw new errors.InvalidScope(
          `requested scopes belong to more than one API (${apis.map((a) => a.identifier).join(', ')}); request one API at a time`,
          requested.join(' '),
        );
      }
      return apis[0]!.identifier;
    }
    const apis = apiOfScopes([...allowedScopes(client)]);
    if (apis.length === 1) return apis[0]!.identifier;
    throw new errors.InvalidTarget(
      apis.length
        ? 'the client may access more than one API; name one with the resource parameter or request scopes'
        : 'the client is not allowed any scope, so there is no API to issue a token for',
    );
  }

  async function getResourceServerInfo(ctx: KoaContextWithOIDC, identifier: string, client: Client) {
    const api = registry.get(identifier);
    if (!api) throw new errors.InvalidTarget(`unknown resource ${identifier}`);

    const apiScopes = new Set(api.scopes.map((s) => s.name));
    const allowed = allowedScopes(client);
    const requested = scopeList(ctx.oidc.params?.['scope']);
    for (const s of requested) {
      if (!apiScopes.has(s)) throw new errors.InvalidScope(`scope ${s} does not belong to ${identifier}`, s);
      if (!allowed.has(s)) throw new errors.InvalidScope('requested scope is not allowed for this client', s);
    }
    const allowedHere = [...allowed].filter((s) => apiScopes.has(s));
    if (!allowedHere.length) {
      throw new errors.InvalidScope(`the client is not allowed any scope of ${identifier}`, '');
    }
    if (!requested.length && ctx.oidc.params) {
      // No scope asked for: the token carries everything this client may have at this API.
      ctx.oidc.params['scope'] = allowedHere.join(' ');
    }

    const format = client['access_token_strategy'] === 'jwt' ? 'jwt' : 'opaque';
    const ttl = effectiveTtl(client['access_token_ttl'], o.maxAccessTokenTtl);
    return {
      scope: [...apiScopes].join(' '),
      audience: identifier,
      accessTokenFormat: format,
      accessTokenTTL: ttl ?? NEVER_EXPIRING_TTL,
      ...(format === 'jwt'
        ? { jwt: { sign: { alg: api.signing_alg, kid: o.signingKid(api.signing_alg) } } }
        : {}),
    };
  }

  return {
    enabled: true,
    defaultResource,
    getResourceServerInfo,
    useGrantedResource: async () => true,
  };
}
