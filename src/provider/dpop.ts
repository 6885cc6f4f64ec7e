import { hkdfSync } from 'node:crypto';

import type { Collection } from 'mongodb';
import type Provider from 'oidc-provider';

import { claimReplay, type ModelRecord } from '../store/index.js';
import { onProviderEvent, replaceReplayDetection } from './internals.js';

/**
 * DPoP (RFC 9449) at the token endpoint is oidc-provider's own (features.dPoP): it checks the
 * proof's typ (dpop+jwt), alg, embedded public jwk, htm, htu (without query and fragment), iat
 * (within 5 minutes, or a server nonce), and binds the token to the key (cnf.jkt in JWTs,
 * `jkt` in opaque token payloads, token_type DPoP). What is ours: the algorithm allow-list,
 * the operator's nonce switch, and a replay check that holds across instances.
 */

/** Asymmetric only: a symmetric proof key would have to be shared with the verifier. */
export const DPOP_PROOF_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA', 'Ed25519'] as const;

export interface DpopOptions {
  /** DPOP_REQUIRE_NONCE: every proof must carry a nonce the server gave (RFC 9449 §8). */
  requireNonce: boolean;
  /** Nonces are derived from it, so every instance issues and accepts the same ones. */
  keyEncryptionSecret: string;
}

export function dpopFeature(o: DpopOptions) {
  return {
    enabled: true,
    allowReplay: false,
    ...(o.requireNonce
      ? { nonceSecret: Buffer.from(hkdfSync('sha256', o.keyEncryptionSecret, 'keyforge', 'dpop-nonce', 32)) }
      : {}),
    requireNonce: () => o.requireNonce,
  };
}

/**
 * oidc-provider's ReplayDetection.unique reads, then writes: two instances given the same
 * proof (or client assertion) at once would both accept it. claimReplay inserts a unique _id
 * instead, which exactly one of them wins; the record is the one client assertions at our
 * own endpoints claim too.
 */
export function atomicReplayDetection(provider: Provider, replays: Collection<ModelRecord>): void {
  replaceReplayDetection(provider, (iss, jti, exp) => claimReplay(replays, iss, jti, exp));
}

/** The key a token is bound to, as recorded (JWT records keep it; opaque ones in their payload). */
export function boundKeyOf(record: { jkt?: string; payload?: Record<string, unknown> }): string | undefined {
  if (typeof record.jkt === 'string') return record.jkt;
  const fromPayload = record.payload?.['jkt'];
  return typeof fromPayload === 'string' ? fromPayload : undefined;
}

/**
 * oidc-provider answers a replayed proof, and a missing proof from a client that must send
 * one, with a bare invalid_grant ("grant request is invalid"); RFC 9449 §5 says
 * invalid_dpop_proof, and the client is better served by knowing which it was.
 */
export function dpopTokenErrors(provider: Provider): void {
  onProviderEvent(provider, 'grant.error', (ctx, err: { error?: string; error_detail?: unknown }) => {
    if (err.error !== 'invalid_grant' || typeof err.error_detail !== 'string') return;
    const description = DPOP_GRANT_ERRORS[err.error_detail];
    if (description && ctx.body && typeof ctx.body === 'object') {
      ctx.body = { error: 'invalid_dpop_proof', error_description: description };
    }
  });
}

const DPOP_GRANT_ERRORS: Record<string, string> = {
  'DPoP proof JWT Replay detected': 'the DPoP proof was already used',
  'DPoP proof JWT not provided': 'this client must send a DPoP proof with every token request (dpop_bound_access_tokens)',
};
