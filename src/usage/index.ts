/**
 * usage: tokens issued, introspections and failures per application, key set and hour.
 * Counted in memory by each instance, written in batches into documents only that instance
 * writes (`usage_hours`), summed on read, kept 31 days.
 */
export { createUsage, type Usage } from './context.js';
export { usageTap } from './usage-tap.js';
export type { UsageSeries, UsageBucket } from './usage-report.js';
