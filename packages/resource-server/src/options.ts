import { DEFAULT_DPOP_ALGORITHMS } from './dpop.js';
import type { Logger } from './problem-log.js';

/** What an API owner configures; see index.ts for how the numbers bound revocation delay. */
export interface ResourceServerOptions {
  /** The authorization server's issuer, e.g. https://auth.example.com (no trailing slash). */
  issuer: string;
  /** The API identifier this resource server protects: tokens must carry it in `aud`. */
  audience: string;
  /** This API's own client, linked to the API as a resource server (may introspect its tokens). */
  clientId: string;
  clientSecret: string;
  /** JWS algorithms accepted on JWTs. Only asymmetric ones may be listed. */
  algorithms?: string[];
  /** Longest time a revoked JWT can still pass. Default 30. */
  revocationCheckSeconds?: number;
  /** Longest time an introspection answer is reused (never past the token's exp). Default: revocationCheckSeconds. */
  introspectionCacheSeconds?: number;
  /** Least time between two JWKS fetches caused by an unknown `kid`. Default 30. */
  jwksCooldownSeconds?: number;
  /** JWKS older than this is fetched again before use. Default 600. */
  jwksMaxAgeSeconds?: number;
  /** Allowed clock difference when checking exp and nbf. Default 0. */
  clockToleranceSeconds?: number;
  /** Timeout of each call to the authorization server. Default 5. */
  timeoutSeconds?: number;
  /** Default `<issuer>/.well-known/oauth-authorization-server` (RFC 8414). */
  discoveryUrl?: string;
  /** Default `<issuer>/token/revocations`. */
  revocationFeedUrl?: string;
  /** `realm` of the WWW-Authenticate challenge. Default: the audience. */
  realm?: string;
  /** fetch implementation, e.g. one that goes through a proxy or counts calls. */
  fetch?: typeof fetch;
  /**
   * Where the reason for a 503 is logged (a wrong secret, an issuer mismatch, a client that is
   * not linked, a server that is down): once per distinct reason, then at most once per
   * `logRepeatSeconds`. Default `console.warn`; `false` turns it off.
   */
  logger?: Logger | false;
  /** The same reason is logged again at most once per this many seconds. Default 60. */
  logRepeatSeconds?: number;
  /** Called on every request that got a 503, with the reason. Optional: the logger already reports it. */
  onUnavailable?: (err: Error) => void;
  /** DPoP proof algorithms accepted (RFC 9449); asymmetric only. Default ES256 ES384 PS256 RS256 EdDSA Ed25519. */
  dpopAlgorithms?: string[];
  /** A DPoP proof's iat may differ from now by at most this many seconds. Default 60. */
  dpopProofWindowSeconds?: number;
  /** DPoP proof jtis remembered per process to refuse replays. Default 100000. */
  dpopReplayCacheSize?: number;
  /**
   * The origin clients call this API at (e.g. https://api.example.com), for the DPoP proof's
   * htu. Default: the request's own (protocol and Host header; behind a proxy set this, or app.proxy).
   */
  publicOrigin?: string;
}

export interface Settings {
  issuer: string;
  audience: string;
  clientId: string;
  clientSecret: string;
  algorithms: string[];
  revocationCheckMs: number;
  introspectionCacheMs: number;
  jwksCooldownMs: number;
  jwksMaxAgeMs: number;
  clockToleranceSeconds: number;
  timeoutMs: number;
  discoveryUrl: string;
  revocationFeedUrl: string;
  realm: string;
  fetch: typeof fetch;
  logger: Logger | undefined;
  logRepeatMs: number;
  onUnavailable: (err: Error) => void;
  dpopAlgorithms: string[];
  dpopProofWindowSeconds: number;
  dpopReplayCacheSize: number;
  publicOrigin: string | undefined;
}

export const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
// A symmetric algorithm would let anyone holding the public key mint tokens (the classic
// HS256-with-the-public-key attack), so the allow-list is limited to these.
const ASYMMETRIC = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

function seconds(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new TypeError(`resource server option ${name} must be a number >= ${min}`);
  }
  return v;
}

function asymmetricList(name: string, algorithms: string[]): string[] {
  if (!algorithms.length) throw new TypeError(`resource server option ${name} must not be empty`);
  for (const alg of algorithms) {
    if (!ASYMMETRIC.has(alg)) throw new TypeError(`resource server option ${name}: ${alg} is not an asymmetric JWS algorithm`);
  }
  return [...algorithms];
}

function required(name: string, value: unknown): string {
  if (typeof value !== 'string' || !value) throw new TypeError(`resource server option ${name} is required`);
  return value;
}

export function settingsOf(o: ResourceServerOptions): Settings {
  const issuer = required('issuer', o.issuer).replace(/\/$/, '');
  const audience = required('audience', o.audience);
  const algorithms = asymmetricList('algorithms', o.algorithms ?? DEFAULT_ALGORITHMS);
  const revocationCheck = seconds('revocationCheckSeconds', o.revocationCheckSeconds, 30, 1);
  return {
    issuer,
    audience,
    clientId: required('clientId', o.clientId),
    clientSecret: required('clientSecret', o.clientSecret),
    algorithms: [...algorithms],
    revocationCheckMs: revocationCheck * 1000,
    introspectionCacheMs: seconds('introspectionCacheSeconds', o.introspectionCacheSeconds, revocationCheck) * 1000,
    jwksCooldownMs: seconds('jwksCooldownSeconds', o.jwksCooldownSeconds, 30) * 1000,
    jwksMaxAgeMs: seconds('jwksMaxAgeSeconds', o.jwksMaxAgeSeconds, 600, 1) * 1000,
    clockToleranceSeconds: seconds('clockToleranceSeconds', o.clockToleranceSeconds, 0),
    timeoutMs: seconds('timeoutSeconds', o.timeoutSeconds, 5, 0.1) * 1000,
    discoveryUrl: o.discoveryUrl ?? `${issuer}/.well-known/oauth-authorization-server`,
    revocationFeedUrl: o.revocationFeedUrl ?? `${issuer}/token/revocations`,
    realm: o.realm ?? audience,
    fetch: o.fetch ?? globalThis.fetch,
    logger: o.logger === false ? undefined : o.logger ?? ((message) => console.warn(message)),
    logRepeatMs: seconds('logRepeatSeconds', o.logRepeatSeconds, 60) * 1000,
    onUnavailable: o.onUnavailable ?? (() => undefined),
    dpopAlgorithms: asymmetricList('dpopAlgorithms', o.dpopAlgorithms ?? DEFAULT_DPOP_ALGORITHMS),
    dpopProofWindowSeconds: seconds('dpopProofWindowSeconds', o.dpopProofWindowSeconds, 60, 1),
    dpopReplayCacheSize: Math.floor(seconds('dpopReplayCacheSize', o.dpopReplayCacheSize, 100_000, 1)),
    publicOrigin: o.publicOrigin?.replace(/\/$/, ''),
  };
}
