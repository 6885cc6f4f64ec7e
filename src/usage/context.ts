import type { Db } from 'mongodb';
import type { Logger } from 'pino';

import type { UsageHourDoc } from './model.js';
import { UsageCounters } from './usage-counters.js';
import { UsageReport } from './usage-report.js';

export interface Usage {
  counters: UsageCounters;
  report: UsageReport;
}

/** One set of counters per process (built in createServices): each instance writes only its own documents. */
export function createUsage(db: Db, log: Logger): Usage {
  const coll = db.collection<UsageHourDoc>('usage_hours');
  return {
    counters: new UsageCounters(coll, {
      onError: (err) => log.warn({ error: err instanceof Error ? { type: err.name, message: err.message } : String(err) }, 'usage counters could not be written'),
    }),
    report: new UsageReport(coll),
  };
}
