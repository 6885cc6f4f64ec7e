import { createHash } from 'node:crypto';

import type { Document } from 'mongodb';

/**
 * The shapes of stored records, and the two functions that make their ids. Types only besides
 * those, so any module may import it without pulling in a collection, a cache or a cycle.
 */

/** Shape of an issued access token, opaque or JWT; the one source of truth for introspection. */
export interface TokenRecord {
  /** tokenRecordId(value) for opaque tokens; jwtRecordId(jti) for JWTs, which no opaque lookup can reach. */
  _id: string;
  format: 'opaque' | 'jwt';
  jti?: string;
  client_id: string;
  scope?: string;
  aud?: string | string[];
  key_type?: string;
  /** DPoP-bound JWTs: the key thumbprint (cnf.jkt); opaque tokens keep it in their payload. */
  jkt?: string;
  iat: number;
  /** Seconds since epoch; absent for never-expiring opaque tokens. */
  exp?: number;
  /** Mirror of exp as a Date, for the sweeper and the TTL index where the server has one. */
  expiresAt: Date | null;
  revoked: boolean;
  revoked_at?: Date;
  /** oidc-provider's own payload for opaque tokens, minus the value itself. */
  payload?: Document;
}

export interface ClientRecord {
  _id: string;
  metadata: Document;
  created_at: Date;
  updated_at: Date;
}

export interface ModelRecord {
  _id: string;
  payload: Document;
  expiresAt: Date | null;
  consumed?: number;
  uid?: string;
  userCode?: string;
  grantId?: string;
}

/** What a revocation names: one token record, or every token of a client (for some audiences). */
export type RevocationTarget = { token: string } | { client: string; aud?: string[] };

/** A revocation as other instances read it, to drop what they cached (see revocations). */
export interface RevocationEvent {
  _id: string;
  at: Date;
  expiresAt: Date;
  token?: string;
  client?: string;
  aud?: string[];
  /** Not a revocation: this client's record changed, so instances forget their cached copy. */
  client_changed?: string;
}

/**
 * Opaque tokens, registration access tokens and initial access tokens are 256-bit random
 * values, so a plain SHA-256 is as good as a slow hash for them and lets us look them up
 * by hash in one indexed read. Also the id of an opaque token's record.
 */
export function hashToken(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** The record id of a JWT access token: prefixed so that no opaque token's hash can equal it. */
export function jwtRecordId(jti: string): string {
  return `jwt:${jti}`;
}
