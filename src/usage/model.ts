import type { KeyType } from '../applications/index.js';

/** What is counted for a key set. */
export const USAGE_EVENTS = ['issued', 'introspected', 'invalid_client', 'invalid_scope'] as const;
export type UsageEvent = (typeof USAGE_EVENTS)[number];
export type UsageCounts = Record<UsageEvent, number>;

export const HOUR_MS = 3_600_000;
/** Hours are kept a little over 30 days, so the 30-day view is always whole. */
export const RETENTION_MS = 31 * 24 * HOUR_MS;

export const emptyCounts = (): UsageCounts => ({ issued: 0, introspected: 0, invalid_client: 0, invalid_scope: 0 });

/**
 * One instance's counts for one key set of one application in one hour (`usage_hours`). Only
 * the instance that made it writes it, so its `$inc`s never race, even where the database
 * implements updates as read-then-write (FerretDB v1); readers sum over instances.
 */
export interface UsageHourDoc extends UsageCounts {
  _id: string;
  application_id: string;
  key_type: KeyType;
  hour: Date;
  instance: string;
}
