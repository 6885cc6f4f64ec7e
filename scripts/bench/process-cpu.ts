// CPU time of processes from /proc/<pid>/stat (Linux).

import { readFileSync } from 'node:fs';

import { treeOf } from './rss.js';

export const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of one process, in clock ticks; undefined once it is gone. */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

/** CPU time (ms) a process and every process below it have used so far. */
export function cpuMsOfTree(pid: number): number {
  return treeOf(pid).reduce((sum, p) => sum + (cpuTicks(p) ?? 0), 0) * (1000 / TICKS_PER_SECOND);
}
