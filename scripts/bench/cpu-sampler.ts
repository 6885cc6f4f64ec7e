// CPU use of the processes under test per 100 ms (from /proc/<pid>/stat), so
// the tail timeline can show when the server or its database was busy: a
// FerretDB burst lines up with a commit or a WAL checkpoint, a server burst
// with a periodic job or a major GC.

import { readFileSync } from 'node:fs';

import { BUCKET_MS, wallNow } from './rate-driver.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuPoint {
  at: number;
  /** Percent of one core over the interval before `at`, per process name. */
  pct: Record<string, number>;
}

function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

export class CpuSampler {
  readonly points: CpuPoint[] = [];
  #timer: NodeJS.Timeout | undefined;
  #last = new Map<string, { ticks: number; at: number }>();

  constructor(private readonly pids: Record<string, number | undefined>) {}

  start(): this {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), BUCKET_MS);
    return this;
  }

  #sample(): void {
    const at = wallNow();
    const pct: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      if (pid === undefined) continue;
      const ticks = cpuTicks(pid);
      if (ticks === undefined) continue;
      const prev = this.#last.get(name);
      if (prev) pct[name] = ((ticks - prev.ticks) / TICKS_PER_SECOND / ((at - prev.at) / 1000)) * 100;
      this.#last.set(name, { ticks, at });
    }
    if (Object.keys(pct).length) this.points.push({ at, pct });
  }

  stop(): CpuPoint[] {
    clearInterval(this.#timer);
    return this.points;
  }
}
