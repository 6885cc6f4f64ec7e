import { PERSISTED_MODELS, type Collections } from './collections.js';

/**
 * Expired records of the collections that grow with traffic: tokens and provider models.
 * Reads never serve an expired record anyway (they check expiresAt themselves), so this only
 * reclaims space, and works where TTL indexes do not.
 */
async function sweepRecords(collections: Collections, now: Date): Promise<number> {
  const filter = { expiresAt: { $ne: null, $lte: now } };
  let removed = (await collections.tokens.deleteMany(filter)).deletedCount;
  for (const model of PERSISTED_MODELS) {
    removed += (await collections.model(model).deleteMany(filter)).deletedCount;
  }
  return removed;
}

/**
 * Expired bookkeeping: rate-limit windows and revocation events. These must stay small, since
 * every instance reads them every second or faster with filters FerretDB cannot push down.
 */
async function sweepBookkeeping(collections: Collections, now: Date): Promise<number> {
  return (await collections.rateLimits.deleteMany({ expiresAt: { $lte: now } })).deletedCount
    + (await collections.revocationEvents.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}

/** Deletes every expired record now. */
export async function sweepExpired(collections: Collections, now = new Date()): Promise<number> {
  return (await sweepRecords(collections, now)) + (await sweepBookkeeping(collections, now));
}

/**
 * Sweeping the records costs the database one pass over the token collection where filters are
 * not pushed down (FerretDB v1 reads every row), so its cost grows with the data. The next
 * records sweep waits at least this many times as long as the last one took: that sweeping
 * stays under 1/SWEEP_DUTY_DIVISOR of the database's time at any size.
 */
const SWEEP_DUTY_DIVISOR = 50;

/** When to sweep again after a sweep that took `lastMs`: never sooner than the interval. */
export function nextSweepDelayMs(intervalMs: number, lastMs: number): number {
  return Math.max(intervalMs, lastMs * SWEEP_DUTY_DIVISOR);
}

/** Runs `sweep` after `firstDelayMs`, then after whatever `nextDelayMs` says, never two at once. */
function repeat(
  sweep: () => Promise<number>,
  firstDelayMs: number,
  nextDelayMs: (tookMs: number) => number,
  onError: (err: unknown) => void,
  onSwept?: (removed: number, tookMs: number) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => void once(), delayMs);
    timer.unref();
  };
  const once = async () => {
    const started = performance.now();
    try {
      onSwept?.(await sweep(), performance.now() - started);
    } catch (err) {
      onError(err);
    }
    schedule(nextDelayMs(performance.now() - started));
  };
  schedule(firstDelayMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Sweeps bookkeeping every `intervalSeconds`, and records every `intervalSeconds` or more (see
 * nextSweepDelayMs), until the returned stop is called.
 */
export function startSweeper(
  collections: Collections,
  intervalSeconds: number,
  onError: (err: unknown) => void,
  onSwept?: (removed: number, tookMs: number) => void,
): () => void {
  const intervalMs = intervalSeconds * 1000;
  const stops = [
    repeat(() => sweepRecords(collections, new Date()), intervalMs, (took) => nextSweepDelayMs(intervalMs, took), onError, onSwept),
    repeat(() => sweepBookkeeping(collections, new Date()), intervalMs, () => intervalMs, onError, onSwept),
  ];
  return () => stops.forEach((stop) => stop());
}
