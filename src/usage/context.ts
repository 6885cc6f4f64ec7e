import type { Services } from '../services.js';
import type { UsageHourDoc } from './model.js';
import { UsageCounters } from './usage-counters.js';
import { UsageReport } from './usage-report.js';

export interface Usage {
  counters: UsageCounters;
  report: UsageReport;
}

const built = new WeakMap<Services, Usage>();

/** One set of counters per process (per Services): each instance writes only its own documents. */
export function usageOf(s: Services): Usage {
  let u = built.get(s);
  if (!u) {
    const coll = s.store.db.collection<UsageHourDoc>('usage_hours');
    u = {
      counters: new UsageCounters(coll, {
        onError: (err) => s.log.warn({ error: err instanceof Error ? { type: err.name, message: err.message } : String(err) }, 'usage counters could not be written'),
      }),
      report: new UsageReport(coll),
    };
    built.set(s, u);
  }
  return u;
}

/** Counters not yet written are written before the store closes. */
export async function closeUsage(s: Services): Promise<void> {
  await built.get(s)?.counters.close();
}
