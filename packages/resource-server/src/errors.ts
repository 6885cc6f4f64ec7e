/**
 * RFC 6750 §3.1 error codes, and RFC 9449 §7.1's invalid_dpop_proof; absent when the request
 * carried no credentials at all.
 */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof';

/** A request the resource server refuses, answered as RFC 6750 §3 describes. */
export class BearerError extends Error {
  override name = 'BearerError';
  readonly status: 400 | 401 | 403;
  readonly code: BearerErrorCode | undefined;
  /** For insufficient_scope: every scope the route needs (RFC 6750 §3 `scope` attribute). */
  readonly scope: string[] | undefined;
  /** The scheme of the challenge: DPoP for requests that used it and for DPoP-bound tokens. */
  readonly scheme: 'Bearer' | 'DPoP';

  constructor(status: 400 | 401 | 403, code: BearerErrorCode | undefined, description: string, scope?: string[], scheme: 'Bearer' | 'DPoP' = 'Bearer') {
    super(description);
    this.status = status;
    this.code = code;
    this.scope = scope;
    this.scheme = scheme;
  }

  /** The same refusal, challenged with the DPoP scheme. */
  asDpop(): BearerError {
    return this.scheme === 'DPoP' ? this : new BearerError(this.status, this.code, this.message, this.scope, 'DPoP');
  }
}

export const invalidToken = (description: string) => new BearerError(401, 'invalid_token', description);
export const invalidRequest = (description: string) => new BearerError(400, 'invalid_request', description);
export const insufficientScope = (needed: string[]) =>
  new BearerError(403, 'insufficient_scope', `this route requires the scope ${needed.join(' ')}`, needed);
export const noCredentials = () => new BearerError(401, undefined, 'a bearer token is required');

/**
 * The authorization server could not be asked (down, slow, or refusing our own credentials).
 * Never turned into a pass: the middleware answers 503.
 */
export class AuthorizationServerUnavailable extends Error {
  override name = 'AuthorizationServerUnavailable';
}

/** RFC 6750 §3: quoted-string values may not hold `"` or `\`, descriptions only %x20-7E. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, ' ')}"`;
}

/**
 * The `WWW-Authenticate` value for a refusal: RFC 6750 §3 for Bearer, RFC 9449 §7.1 for DPoP
 * (which also names the proof algorithms accepted).
 */
export function bearerChallenge(realm: string, err: BearerError, dpopAlgorithms: readonly string[] = []): string {
  const params = [`realm=${quoted(realm)}`];
  if (err.code) {
    params.push(`error=${quoted(err.code)}`, `error_description=${quoted(err.message)}`);
  }
  if (err.scope) params.push(`scope=${quoted(err.scope.join(' '))}`);
  if (err.scheme === 'DPoP' && dpopAlgorithms.length) params.push(`algs=${quoted(dpopAlgorithms.join(' '))}`);
  return `${err.scheme} ${params.join(', ')}`;
}
