import type { Collection } from 'mongodb';

import { hashToken, type ModelRecord } from './records.js';

/**
 * Claims a jti (a client assertion's or a DPoP proof's) for `iss` until `exp`: true for the
 * first claim, false for every later one. The record is the one oidc-provider's
 * ReplayDetection keeps (its id is sha256(iss + jti), hashed once more by our adapter), so a
 * jti spent at /token is spent at introspection and revocation too. An insert of that unique
 * _id is won by exactly one caller, also across instances, on MongoDB and FerretDB alike.
 */
export async function claimReplay(
  replays: Collection<ModelRecord>, iss: string, jti: string, exp: number,
): Promise<boolean> {
  try {
    await replays.insertOne({
      _id: hashToken(hashToken(`${iss}${jti}`)),
      payload: { kind: 'ReplayDetection', iss, iat: Math.floor(Date.now() / 1000), exp },
      expiresAt: new Date(exp * 1000),
    });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}
