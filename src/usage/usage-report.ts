import type { Collection, Document } from 'mongodb';

import { KEY_TYPES, type KeyType } from '../applications/index.js';
import { emptyCounts, HOUR_MS, USAGE_EVENTS, type UsageCounts, type UsageHourDoc } from './model.js';

export interface UsageBucket extends UsageCounts {
  start: Date;
}

export interface UsageSeries {
  /** 24 hourly buckets, oldest first, the last one the current hour. */
  day: UsageBucket[];
  /** 30 daily buckets (UTC days), oldest first, the last one today. */
  month: UsageBucket[];
  totals: { day: UsageCounts; month: UsageCounts };
}

const DAY_MS = 24 * HOUR_MS;

const sums = Object.fromEntries(USAGE_EVENTS.map((e) => [e, { $sum: `$${e}` }]));

function add(into: UsageCounts, from: Partial<UsageCounts>): void {
  for (const e of USAGE_EVENTS) into[e] += Number(from[e] ?? 0);
}

function series(hours: Map<number, UsageCounts>, now: number): UsageSeries {
  const thisHour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const day: UsageBucket[] = Array.from({ length: 24 }, (_, i) => ({ start: new Date(thisHour - (23 - i) * HOUR_MS), ...emptyCounts() }));
  const month: UsageBucket[] = Array.from({ length: 30 }, (_, i) => ({ start: new Date(today - (29 - i) * DAY_MS), ...emptyCounts() }));
  const totals = { day: emptyCounts(), month: emptyCounts() };
  for (const [hour, counts] of hours) {
    const h = (hour - (thisHour - 23 * HOUR_MS)) / HOUR_MS;
    if (h >= 0 && h < 24) {
      add(day[h]!, counts);
      add(totals.day, counts);
    }
    const d = Math.floor((hour - (today - 29 * DAY_MS)) / DAY_MS);
    if (d >= 0 && d < 30) {
      add(month[d]!, counts);
      add(totals.month, counts);
    }
  }
  return { day, month, totals };
}

/**
 * Usage as people read it, summed in the database over instances and hours: the aggregation
 * returns at most one row per key set and hour (720 per key set for 30 days), however many
 * instances wrote counts.
 */
export class UsageReport {
  readonly #coll: Collection<UsageHourDoc>;

  constructor(coll: Collection<UsageHourDoc>) {
    this.#coll = coll;
  }

  #since(now: number): Date {
    return new Date(Math.floor(now / DAY_MS) * DAY_MS - 29 * DAY_MS);
  }

  /** Each key set of one application. */
  async forApplication(applicationId: string, now = Date.now()): Promise<Record<KeyType, UsageSeries>> {
    const rows = await this.#coll.aggregate<Document>([
      { $match: { application_id: applicationId, hour: { $gte: this.#since(now) } } },
      { $group: { _id: { k: '$key_type', h: '$hour' }, ...sums } },
    ]).toArray();
    const byType = new Map<KeyType, Map<number, UsageCounts>>(KEY_TYPES.map((k) => [k, new Map()]));
    for (const r of rows) {
      const id = r['_id'] as { k: KeyType; h: Date };
      const hours = byType.get(id.k);
      if (!hours) continue;
      const c = emptyCounts();
      add(c, r as Partial<UsageCounts>);
      hours.set(new Date(id.h).getTime(), c);
    }
    return Object.fromEntries(KEY_TYPES.map((k) => [k, series(byType.get(k)!, now)])) as Record<KeyType, UsageSeries>;
  }

  /** Everything, summed over all applications and key sets. */
  async overall(now = Date.now()): Promise<UsageSeries> {
    const rows = await this.#coll.aggregate<Document>([
      { $match: { hour: { $gte: this.#since(now) } } },
      { $group: { _id: '$hour', ...sums } },
    ]).toArray();
    const hours = new Map<number, UsageCounts>();
    for (const r of rows) {
      const c = emptyCounts();
      add(c, r as Partial<UsageCounts>);
      hours.set(new Date(r['_id'] as Date).getTime(), c);
    }
    return series(hours, now);
  }

  /** The busiest applications over the last `days` days, by tokens issued. */
  async top(limit: number, days = 30, now = Date.now()): Promise<({ application_id: string } & UsageCounts)[]> {
    const since = days >= 30 ? this.#since(now) : new Date(now - days * DAY_MS);
    const rows = await this.#coll.aggregate<Document>([
      { $match: { hour: { $gte: since } } },
      { $group: { _id: '$application_id', ...sums } },
    ]).toArray();
    return rows
      .map((r) => {
        const c = emptyCounts();
        add(c, r as Partial<UsageCounts>);
        return { application_id: String(r['_id']), ...c };
      })
      .sort((a, b) => b.issued - a.issued || b.introspected - a.introspected)
      .slice(0, limit);
  }
}
