import { createHash } from 'node:crypto';

import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors as joseErrors, jwtVerify, type JWK } from 'jose';

import { BearerError } from './errors.js';

/** Asymmetric only, as at the token endpoint; a proof signed with a shared secret proves nothing. */
export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA', 'Ed25519'];

export const invalidDpopProof = (description: string) => new BearerError(401, 'invalid_dpop_proof', description, undefined, 'DPoP');

/** What the request says about itself, as the client addressed it. */
export interface DpopRequest {
  method: string;
  /** The URL the client called (scheme, host, path; query and fragment are ignored). */
  url: string;
  /** The DPoP header(s) as received. */
  proof: string | string[] | undefined;
}

export interface DpopVerifierOptions {
  algorithms: string[];
  /** A proof's iat may differ from now by at most this many seconds; its jti is remembered this long. */
  iatWindowSeconds: number;
  /** Most jtis remembered at once; beyond it the oldest go (they are older than the window anyway, or the cache is under attack). */
  replayCacheSize: number;
}

/** RFC 9449 §4.3 htu comparison: scheme, host and path, without query or fragment. */
function withoutQuery(url: string): string | undefined {
  const u = URL.parse(url);
  if (!u) return undefined;
  u.search = '';
  u.hash = '';
  return u.href;
}

/**
 * Checks DPoP proofs at a resource server (RFC 9449 §4.3, §7): typ, alg from an asymmetric
 * allow-list, an embedded public key (never a private one), htm, htu, iat within the window,
 * ath, a jti not seen before in this process, and the key against the token's cnf.jkt.
 * The replay cache is per process and bounded; several API processes each keep their own.
 */
export class DpopVerifier {
  readonly #o: DpopVerifierOptions;
  /** jti → when it may be forgotten (ms); insertion order is age order. */
  readonly #seen = new Map<string, number>();

  constructor(o: DpopVerifierOptions) {
    this.#o = o;
  }

  get algorithms(): string[] {
    return this.#o.algorithms;
  }

  #remember(key: string, now: number): boolean {
    for (const [k, until] of this.#seen) {
      if (until > now) break;
      this.#seen.delete(k);
    }
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#o.replayCacheSize) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(key, now + 2 * this.#o.iatWindowSeconds * 1000);
    return true;
  }

  /** Throws invalid_dpop_proof unless the request's proof binds it to `jkt` and `accessToken`. */
  async verify(req: DpopRequest, accessToken: string, jkt: string): Promise<void> {
    const proofs = req.proof === undefined ? [] : Array.isArray(req.proof) ? req.proof : [req.proof];
    if (proofs.length !== 1 || !proofs[0]) throw invalidDpopProof('exactly one DPoP proof header is required');
    const proof = proofs[0];
    if (proof.length > 8192) throw invalidDpopProof('the DPoP proof is too long');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw invalidDpopProof('the DPoP proof is not a JWS');
    }
    const jwk = header.jwk as JWK | undefined;
    if (!jwk || typeof jwk !== 'object') throw invalidDpopProof('the DPoP proof has no jwk header');
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'].some((f) => f in jwk)) {
      throw invalidDpopProof('the DPoP proof jwk must be a public key');
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: this.#o.algorithms }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEAlgNotAllowed) throw invalidDpopProof('the DPoP proof algorithm is not accepted');
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'typ') throw invalidDpopProof('the DPoP proof typ must be dpop+jwt');
      throw invalidDpopProof('the DPoP proof signature is invalid');
    }
    if (payload['htm'] !== req.method.toUpperCase()) throw invalidDpopProof('the DPoP proof htm does not match the request method');
    const htu = typeof payload['htu'] === 'string' ? withoutQuery(payload['htu']) : undefined;
    if (!htu || htu !== withoutQuery(req.url)) throw invalidDpopProof('the DPoP proof htu does not match the request URL');
    const iat = payload['iat'];
    const now = Date.now();
    if (typeof iat !== 'number' || Math.abs(now / 1000 - iat) > this.#o.iatWindowSeconds) {
      throw invalidDpopProof('the DPoP proof iat is not recent enough');
    }
    const jti = payload['jti'];
    if (typeof jti !== 'string' || !jti || jti.length > 512) throw invalidDpopProof('the DPoP proof has no jti');
    const ath = createHash('sha256').update(accessToken).digest('base64url');
    if (payload['ath'] !== ath) throw invalidDpopProof('the DPoP proof ath does not match the access token');
    if (await calculateJwkThumbprint(jwk) !== jkt) {
      throw new BearerError(401, 'invalid_token', 'the access token is bound to another key than the DPoP proof', undefined, 'DPoP');
    }
    // Last: a proof that failed a check above must not use up its jti.
    if (!this.#remember(`${jkt}:${jti}`, now)) throw invalidDpopProof('the DPoP proof was already used');
  }
}
