import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

import { credentialsOf } from './bearer-header.js';
import { Discovery } from './discovery.js';
import { DpopVerifier, invalidDpopProof, type DpopRequest } from './dpop.js';
import { AuthorizationServerUnavailable, BearerError, insufficientScope, invalidToken } from './errors.js';
import type { HttpDeps } from './http-client.js';
import { Introspector, type IntrospectionResult } from './introspection-client.js';
import { JwksCache } from './jwks-cache.js';
import { settingsOf, type ResourceServerOptions, type Settings } from './options.js';
import { ProblemLog } from './problem-log.js';
import { RevocationList } from './revocation-list.js';

/** What `ctx.state.token` holds once a request is let through. */
export interface VerifiedToken {
  format: 'jwt' | 'opaque';
  /** The client the token was issued to. */
  clientId: string;
  subject: string;
  scopes: string[];
  audiences: string[];
  issuer: string;
  /** The JWT's jti, or the server's identifier of an opaque token. */
  jti: string;
  issuedAt: number | undefined;
  /** Seconds since epoch; undefined for a never-expiring opaque token. */
  expiresAt: number | undefined;
  /** PRODUCTION or SANDBOX for application keys. */
  keyType: string | undefined;
  /** Every claim as received (JWT payload or introspection response). */
  claims: Record<string, unknown>;
  /** DPoP-bound tokens (RFC 9449): the thumbprint of the key (cnf.jkt) whose proof came with the request. */
  boundKey: string | undefined;
}

/** cnf.jkt of a JWT payload or an introspection answer. */
function jktOf(claims: Record<string, unknown>): string | undefined {
  const cnf = claims['cnf'];
  const jkt = cnf && typeof cnf === 'object' ? (cnf as Record<string, unknown>)['jkt'] : undefined;
  return typeof jkt === 'string' ? jkt : undefined;
}

/** A compact JWS: three parts and a header that decodes. Opaque tokens here have no dots. */
function looksLikeJwt(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const scopesOf = (v: unknown): string[] => (typeof v === 'string' ? v.split(' ').filter(Boolean) : []);

function jwtFailure(err: unknown): BearerError {
  if (err instanceof joseErrors.JWTExpired) return invalidToken('the access token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return invalidToken('the access token is not for this API');
    if (err.claim === 'nbf') return invalidToken('the access token is not valid yet');
    if (err.claim === 'typ') return invalidToken('the token is not an access token (typ must be at+jwt)');
    return invalidToken(`the access token's ${err.claim} claim is not acceptable`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return invalidToken('the access token is signed with an algorithm this API does not accept');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return invalidToken('the access token signature is invalid');
  return invalidToken('the access token is invalid');
}

/**
 * Decides whether a bearer token may call this API: a JWT is verified locally against the
 * server's keys and checked against the revocation list; an opaque token is introspected.
 * One instance per protected API and process: it holds the caches.
 */
export class ResourceServer {
  readonly settings: Settings;
  readonly #jwks: JwksCache;
  readonly #revocations: RevocationList;
  readonly #introspector: Introspector;
  readonly #problems: ProblemLog | undefined;
  readonly #dpop: DpopVerifier;

  constructor(options: ResourceServerOptions) {
    const s = settingsOf(options);
    this.settings = s;
    const http: HttpDeps = { fetch: s.fetch, timeoutMs: s.timeoutMs };
    const discovery = new Discovery(s.discoveryUrl, s.issuer, http);
    this.#jwks = new JwksCache(async () => (await discovery.get()).jwks_uri, http, {
      cooldownMs: s.jwksCooldownMs,
      maxAgeMs: s.jwksMaxAgeMs,
    });
    this.#revocations = new RevocationList({
      feedUrl: s.revocationFeedUrl,
      audience: s.audience,
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      boundMs: s.revocationCheckMs,
    }, http);
    this.#introspector = new Introspector({
      endpoint: async () => (await discovery.get()).introspection_endpoint,
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      cacheMs: s.introspectionCacheMs,
    }, http);
    this.#dpop = new DpopVerifier({
      algorithms: s.dpopAlgorithms,
      iatWindowSeconds: s.dpopProofWindowSeconds,
      replayCacheSize: s.dpopReplayCacheSize,
    });
    this.#problems = s.logger && new ProblemLog({ logger: s.logger, repeatMs: s.logRepeatMs, maxCausesPerInterval: 10 });
  }

  /**
   * The verified token of a request, given its Authorization header and the scopes the route
   * needs (all of them). Throws BearerError (400/401/403) or AuthorizationServerUnavailable (503);
   * the reason for the latter is logged (see the `logger` option) and passed to `onUnavailable`.
   */
  async authenticate(
    authorization: string | undefined,
    requiredScopes: readonly string[] = [],
    request?: DpopRequest,
  ): Promise<VerifiedToken> {
    try {
      return await this.#authenticate(authorization, requiredScopes, request);
    } catch (err) {
      if (err instanceof AuthorizationServerUnavailable) {
        this.#problems?.report(err);
        this.settings.onUnavailable(err);
      }
      throw err;
    }
  }

  async #authenticate(authorization: string | undefined, requiredScopes: readonly string[], request: DpopRequest | undefined): Promise<VerifiedToken> {
    const { scheme, token: value } = credentialsOf(authorization);
    try {
      const token = looksLikeJwt(value) ? await this.#verifyJwt(value) : await this.#introspect(value);
      await this.#checkBinding(scheme, value, token, request);
      const missing = requiredScopes.filter((s) => !token.scopes.includes(s));
      if (missing.length) throw insufficientScope([...requiredScopes]);
      return token;
    } catch (err) {
      // RFC 9449 §7.1: a request made with the DPoP scheme is answered with a DPoP challenge.
      if (scheme === 'DPoP' && err instanceof BearerError) throw err.asDpop();
      throw err;
    }
  }

  /**
   * A DPoP-bound token (cnf.jkt) is accepted only with the DPoP scheme and a proof from its
   * key for this very request; sent as a bearer token it is refused, since whoever copied it
   * could send it that way too.
   */
  async #checkBinding(scheme: 'Bearer' | 'DPoP', value: string, token: VerifiedToken, request: DpopRequest | undefined): Promise<void> {
    const jkt = token.boundKey;
    if (scheme === 'Bearer') {
      if (jkt) throw invalidToken('the access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof').asDpop();
      return;
    }
    if (!jkt) throw invalidToken('the access token is not DPoP-bound; send it as a Bearer token');
    if (!request) throw invalidDpopProof('the request was not given to check its DPoP proof');
    const url = this.settings.publicOrigin
      ? this.settings.publicOrigin + new URL(request.url).pathname
      : request.url;
    await this.#dpop.verify({ ...request, url }, value, jkt);
  }

  async #verifyJwt(value: string): Promise<VerifiedToken> {
    const s = this.settings;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(value, (header) => this.#jwks.getKey(header), {
        issuer: s.issuer,
        audience: s.audience,
        typ: 'at+jwt',
        algorithms: s.algorithms,
        clockTolerance: s.clockToleranceSeconds,
        // RFC 9068 §2.2.
        requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
      }));
    } catch (err) {
      if (err instanceof BearerError || err instanceof AuthorizationServerUnavailable) throw err;
      throw jwtFailure(err);
    }
    const jti = String(payload.jti);
    await this.#revocations.assertNotRevoked(jti);
    return {
      format: 'jwt',
      clientId: String(payload['client_id']),
      subject: String(payload.sub),
      scopes: scopesOf(payload['scope']),
      audiences: list(payload.aud),
      issuer: String(payload.iss),
      jti,
      issuedAt: num(payload.iat),
      expiresAt: num(payload.exp),
      keyType: str(payload['key_type']),
      claims: { ...payload },
      boundKey: jktOf(payload),
    };
  }

  async #introspect(value: string): Promise<VerifiedToken> {
    const s = this.settings;
    const r: IntrospectionResult = await this.#introspector.introspect(value);
    if (!r.active) throw invalidToken('the access token is not active');
    const now = Date.now() / 1000;
    // The cache never outlives exp, but a slow clock on the server's side should not extend it either.
    if (typeof r.exp === 'number' && r.exp + s.clockToleranceSeconds <= now) throw invalidToken('the access token has expired');
    if (typeof r.nbf === 'number' && r.nbf - s.clockToleranceSeconds > now) throw invalidToken('the access token is not valid yet');
    if (r.iss !== undefined && r.iss !== s.issuer) throw invalidToken('the access token is from another issuer');
    const audiences = list(r.aud);
    if (!audiences.includes(s.audience)) throw invalidToken('the access token is not for this API');
    const tokenType = r.token_type?.toLowerCase();
    if (tokenType !== undefined && tokenType !== 'bearer' && tokenType !== 'dpop') throw invalidToken('the token is not an access token');
    const boundKey = jktOf(r);
    if (tokenType === 'dpop' && !boundKey) throw invalidToken('the DPoP token names no key');
    return {
      format: 'opaque',
      clientId: str(r.client_id) ?? '',
      subject: str(r.sub) ?? str(r.client_id) ?? '',
      scopes: scopesOf(r.scope),
      audiences,
      issuer: str(r.iss) ?? s.issuer,
      jti: str(r.jti) ?? '',
      issuedAt: num(r.iat),
      expiresAt: num(r.exp),
      keyType: str(r['key_type']),
      claims: { ...r },
      boundKey,
    };
  }
}
