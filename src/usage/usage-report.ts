import type { Collection } from 'mongodb';

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
 * Usage as people read it, summed over instances and hours. Sums are made here rather than by
 * `$group`, whose `$sum` FerretDB v1 answered with zeros for some fields in our tests; what is
 * read is bounded all the same: at most 720 hours per key set and instance, kept 31 days.
 */
export class UsageReport {
  readonly #coll: Collection<UsageHourDoc>;

  constructor(coll: Collection<UsageHourDoc>) {
    this.#coll = coll;
  }

  #since(now: number): Date {
    return new Date(Math.floor(now / DAY_MS) * DAY_MS - 29 * DAY_MS);
  }

  #rows(filter: Record<string, unknown>, now: number) {
    const projection = { _id: 0, application_id: 1, key_type: 1, hour: 1, ...Object.fromEntries(USAGE_EVENTS.map((e) => [e, 1])) };
    return this.#coll.find({ ...filter, hour: { $gte: this.#since(now) } }, { projection }).toArray();
  }

  /** Each key set of one application. */
  async forApplication(applicationId: string, now = Date.now()): Promise<Record<KeyType, UsageSeries>> {
    const byType = new Map<KeyType, Map<number, UsageCounts>>(KEY_TYPES.map((k) => [k, new Map()]));
    for (const r of await this.#rows({ application_id: applicationId }, now)) {
      const hours = byType.get(r.key_type);
      if (hours) addHour(hours, r.hour, r);
    }
    return Object.fromEntries(KEY_TYPES.map((k) => [k, series(byType.get(k)!, now)])) as Record<KeyType, UsageSeries>;
  }

  /** Everything, summed over all applications and key sets. */
  async overall(now = Date.now()): Promise<UsageSeries> {
    const hours = new Map<number, UsageCounts>();
    for (const r of await this.#rows({}, now)) addHour(hours, r.hour, r);
    return series(hours, now);
  }

  /** The busiest applications over the last 30 days, by tokens issued. */
  async top(limit: number, now = Date.now()): Promise<({ application_id: string } & UsageCounts)[]> {
    const byApp = new Map<string, UsageCounts>();
    for (const r of await this.#rows({}, now)) {
      let c = byApp.get(r.application_id);
      if (!c) byApp.set(r.application_id, (c = emptyCounts()));
      add(c, r);
    }
    return [...byApp]
      .map(([application_id, c]) => ({ application_id, ...c }))
      .sort((a, b) => b.issued - a.issued || b.introspected - a.introspected)
      .slice(0, limit);
  }
}

function addHour(hours: Map<number, UsageCounts>, hour: Date, counts: Partial<UsageCounts>): void {
  const t = new Date(hour).getTime();
  let c = hours.get(t);
  if (!c) hours.set(t, (c = emptyCounts()));
  add(c, counts);
}
