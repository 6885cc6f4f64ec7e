import { PERSISTED_MODELS, type Collections } from './collections.js';

/**
 * Deletes expired records. Reads never serve an expired record anyway (they check
 * expiresAt themselves), so this only reclaims space, and works where TTL indexes do not.
 */
export async function sweepExpired(collections: Collections, now = new Date()): Promise<number> {
  const filter = { expiresAt: { $ne: null, $lte: now } };
  let removed = (await collections.tokens.deleteMany(filter)).deletedCount;
  for (const model of PERSISTED_MODELS) {
    removed += (await collections.model(model).deleteMany(filter)).deletedCount;
  }
  removed += (await collections.rateLimits.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  removed += (await collections.revocationEvents.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  return removed;
}

export function startSweeper(
  collections: Collections,
  intervalSeconds: number,
  onError: (err: unknown) => void,
): () => void {
  const timer = setInterval(() => {
    sweepExpired(collections).catch(onError);
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
