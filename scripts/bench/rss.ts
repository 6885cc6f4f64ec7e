// Server memory as the kernel sees it (/proc/<pid>/status), sampled while a
// workload runs: the peak of VmRSS samples, and VmHWM (the kernel's own peak
// since the process started).

import { readdirSync, readFileSync } from 'node:fs';

export interface MemoryReading {
  rssKb: number;
  hwmKb: number;
}

function readOne(pid: number): MemoryReading | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // exited, or not Linux
  }
  const field = (name: string) => Number(/^\s*(\d+)/.exec(status.split(`\n${name}:`)[1] ?? '')?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** The process and every process below it: a launcher script (kc.sh) starts the real server. */
export function treeOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i += 1) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** Resident memory of the process and its children, summed (a peak per process for VmHWM). */
export function readMemory(pid: number): MemoryReading | undefined {
  const own = readOne(pid);
  if (!own) return undefined;
  let rssKb = 0;
  let hwmKb = 0;
  for (const p of treeOf(pid)) {
    const m = readOne(p);
    if (!m) continue;
    if (Number.isFinite(m.rssKb)) rssKb += m.rssKb;
    if (Number.isFinite(m.hwmKb)) hwmKb += m.hwmKb;
  }
  return { rssKb, hwmKb };
}

export interface RssPeak {
  /** Highest VmRSS seen by the sampler, MB. */
  peakMb: number;
  /** VmHWM at the end, MB. */
  hwmMb: number;
  lastMb: number;
}

export class RssSampler {
  private peakKb = 0;
  private lastKb = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 200,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  private sample(): void {
    const m = readMemory(this.pid);
    if (!m || !Number.isFinite(m.rssKb)) return;
    this.lastKb = m.rssKb;
    if (m.rssKb > this.peakKb) this.peakKb = m.rssKb;
  }

  /** Current figures without stopping. */
  read(): RssPeak {
    this.sample();
    const hwm = readMemory(this.pid)?.hwmKb ?? NaN;
    return { peakMb: this.peakKb / 1024, hwmMb: hwm / 1024, lastMb: this.lastKb / 1024 };
  }

  stop(): RssPeak {
    const result = this.read();
    clearInterval(this.timer);
    return result;
  }
}

/** A direct child of `parentPid` whose command name starts with `prefix` (e.g. the embedded FerretDB). */
export function findChildPid(parentPid: number, prefix: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // comm is parenthesised and may contain spaces; fields after it are space separated.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === parentPid && comm.startsWith(prefix)) return Number(entry);
    } catch {
      // the process went away while we looked
    }
  }
  return undefined;
}
