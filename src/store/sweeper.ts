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

/**
 * A sweep costs the database one pass over each swept collection where filters are not
 * pushed down (FerretDB v1 reads every row of the token collection), so its cost grows with
 * the data. The next sweep waits at least this many times as long as the last one took:
 * the sweeper's share of database time stays under 1/SWEEP_DUTY_DIVISOR at any size.
 */
const SWEEP_DUTY_DIVISOR = 50;

/** When to sweep again after a sweep that took `lastMs`: never sooner than the interval. */
export function nextSweepDelayMs(intervalMs: number, lastMs: number): number {
  return Math.max(intervalMs, lastMs * SWEEP_DUTY_DIVISOR);
}

/** Sweeps every `intervalSeconds` or more (see nextSweepDelayMs) until the returned stop is called. */
export function startSweeper(
  collections: Collections,
  intervalSeconds: number,
  onError: (err: unknown) => void,
  onSwept?: (removed: number, tookMs: number) => void,
): () => void {
  const intervalMs = intervalSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => void sweepOnce(), delayMs);
    timer.unref();
  };
  const sweepOnce = async () => {
    const started = performance.now();
    try {
      const removed = await sweepExpired(collections);
      onSwept?.(removed, performance.now() - started);
    } catch (err) {
      onError(err);
    }
    schedule(nextSweepDelayMs(intervalMs, performance.now() - started));
  };
  schedule(intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
