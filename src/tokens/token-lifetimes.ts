import { effectiveTtl } from '../provider/client-metadata.js';
import type { Collections } from '../store/index.js';

/**
 * The longest lifetime a JWT can be given now: the longest effective access_token_ttl of any
 * client that gets JWTs. undefined when one of them gets tokens that never expire.
 */
export async function longestJwtLifetime(c: Collections, maxAccessTokenTtl: number): Promise<{ seconds: number | undefined }> {
  let longest = 0;
  const cursor = c.clients.find(
    { 'metadata.access_token_strategy': 'jwt' },
    { projection: { 'metadata.access_token_ttl': 1 } },
  );
  for await (const doc of cursor) {
    const ttl = effectiveTtl((doc.metadata as { access_token_ttl?: unknown }).access_token_ttl, maxAccessTokenTtl);
    if (ttl === undefined) return { seconds: undefined };
    longest = Math.max(longest, ttl);
  }
  return { seconds: longest };
}

/** True while a recorded JWT issued at or before `issuedBy` (epoch seconds) is unexpired. */
export async function unexpiredJwtIssuedBy(c: Collections, issuedBy: number, now: Date): Promise<boolean> {
  const doc = await c.tokens.findOne(
    { format: 'jwt', revoked: false, iat: { $lte: issuedBy }, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
    { projection: { _id: 1 } },
  );
  return doc !== null;
}
