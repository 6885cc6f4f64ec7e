// CPU use of the processes under test per 100 ms (from /proc/<pid>/stat), so
// the tail timeline can show when the server or its database was busy: a
// FerretDB burst lines up with a commit or a WAL checkpoint, a server burst
// with a periodic job or a major GC.

import { BUCKET_MS, wallNow } from './rate-driver.js';
import { cpuTicks, TICKS_PER_SECOND } from './process-cpu.js';

export interface CpuPoint {
  at: number;
  /** Percent of one core over the interval before `at`, per process name. */
  pct: Record<string, number>;
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
