// Fixed-rate tail runs (issue 10): N open-loop runs with server memory and
// CPU sampled meanwhile, then a per-100 ms latency timeline lined up with the
// server's own events (our server only: see trace-preload.ts), and which
// events coincide with the spikes.

import { readFile } from 'node:fs/promises';

import { CpuSampler, type CpuPoint } from './cpu-sampler.js';
import type { HttpCall } from './load.js';
import { BUCKET_MS, runAtRate, type LatencyBucket, type RateRunResult } from './rate-driver.js';
import type { RateResult } from './report.js';
import { RssSampler } from './rss.js';
import { median } from './stats.js';

export interface RateSettings {
  runs: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
}

export interface ServerEvent {
  e: 'gc' | 'job' | 'loop' | 'db';
  at: number;
  ms?: number;
  /** Database commands: the command and its collection. */
  cmd?: string;
  coll?: string;
  kind?: string;
  job?: string;
  lagMs?: number;
  elu?: number;
}

export interface Timeline {
  system: string;
  workload: string;
  /** Which run is drawn: the one with the highest p99 (the spikes are what need explaining). */
  run: number;
  rate: number;
  startedAt: number;
  buckets: LatencyBucket[];
  cpu: CpuPoint[];
  /** GC pauses >= 0.5 ms, every periodic job run, event-loop lag >= 5 ms, database commands >= 20 ms (ours only). */
  events: ServerEvent[];
}

export async function measureRate(
  label: string,
  call: HttpCall,
  rate: number,
  s: RateSettings,
  pids: { server: number; db?: number | undefined },
  log: (line: string) => void,
): Promise<{ result: RateResult; cpu: CpuPoint[][] }> {
  const rss = new RssSampler(pids.server).start();
  try {
    if (s.warmupSeconds > 0) await runAtRate(call, rate, s.warmupSeconds, s.connections);
    const runs: RateRunResult[] = [];
    const cpu: CpuPoint[][] = [];
    for (let i = 0; i < s.runs; i++) {
      const sampler = new CpuSampler({ server: pids.server, db: pids.db }).start();
      const r = await runAtRate(call, rate, s.seconds, s.connections);
      cpu.push(sampler.stop());
      runs.push(r);
      log(
        `  ${label} run ${i + 1}/${s.runs}: ${rate}/s over ${s.connections} connections: p50 ${r.p50Ms.toFixed(2)} ms, ` +
          `p99 ${r.p99Ms.toFixed(2)} ms, p99.9 ${r.p999Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(1)} ms, ${r.errors} errors ` +
          `(driver lag p99 ${r.driverLagP99Ms.toFixed(2)} ms)`,
      );
    }
    return {
      result: {
        rate,
        connections: s.connections,
        p50Ms: median(runs.map((r) => r.p50Ms)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
        p999Ms: median(runs.map((r) => r.p999Ms)),
        maxMs: median(runs.map((r) => r.maxMs)),
        achievedPerSec: median(runs.map((r) => r.ok / r.seconds)),
        errors: runs.reduce((sum, r) => sum + r.errors, 0),
        rss: rss.read(),
        runs,
      },
      cpu,
    };
  } finally {
    rss.stop();
  }
}

export async function readTrace(file: string): Promise<ServerEvent[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: ServerEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as ServerEvent);
    } catch {
      // a line cut short by the server's exit
    }
  }
  return out;
}

/** The timeline of the worst run, with the events that fell in its window. */
export function timelineOf(system: string, workload: string, result: RateResult, cpu: CpuPoint[][], events: ServerEvent[]): Timeline {
  let worst = 0;
  result.runs.forEach((r, i) => {
    if (r.p99Ms > result.runs[worst]!.p99Ms) worst = i;
  });
  const run = result.runs[worst]!;
  const from = run.startedAt - BUCKET_MS;
  const to = run.startedAt + run.seconds * 1000 + 2 * BUCKET_MS;
  const notable = (e: ServerEvent) =>
    (e.e === 'gc' && (e.ms ?? 0) >= 0.5) || e.e === 'job' || (e.e === 'loop' && (e.lagMs ?? 0) >= 5)
    || (e.e === 'db' && (e.ms ?? 0) >= SLOW_DB_MS);
  return {
    system,
    workload,
    run: worst + 1,
    rate: run.rate,
    startedAt: run.startedAt,
    buckets: run.buckets,
    cpu: cpu[worst] ?? [],
    events: events.filter((e) => e.at >= from && e.at <= to && notable(e)),
  };
}

/** On an overloaded machine answers take seconds; an event that long before one is no explanation. */
const NEAR_CAP_MS = 300;
/** A database command this long is worth naming next to a spike (an insert's group commit takes a few ms). */
const SLOW_DB_MS = 20;
const dbCommand = (e: ServerEvent) => `${e.cmd} ${e.coll}`.trim();

interface Cause {
  name: string;
  test: (e: ServerEvent) => boolean;
}

const CAUSES: Cause[] = [
  { name: 'major GC (mark-compact)', test: (e) => e.e === 'gc' && e.kind === 'major' },
  { name: 'minor GC >= 2 ms (scavenge)', test: (e) => e.e === 'gc' && e.kind === 'minor' && (e.ms ?? 0) >= 2 },
  { name: 'sweeper run', test: (e) => e.e === 'job' && e.job === 'sweeper' },
  { name: 'config refresh', test: (e) => e.e === 'job' && e.job === 'config refresh' },
  { name: 'revocation sync', test: (e) => e.e === 'job' && e.job === 'revocation sync' },
  { name: 'rate-limit flush', test: (e) => e.e === 'job' && e.job === 'rate-limit flush' },
  { name: 'mongodb driver timer', test: (e) => e.e === 'job' && e.job === 'mongodb driver' },
  { name: 'event loop blocked >= 10 ms', test: (e) => e.e === 'loop' && (e.lagMs ?? 0) >= 10 },
  { name: 'database command >= 100 ms under way', test: (e) => e.e === 'db' && (e.ms ?? 0) >= 100 },
  { name: 'rate-limit counters read or written', test: (e) => e.e === 'db' && e.coll === 'rateLimits' },
  { name: 'revocation events read', test: (e) => e.e === 'db' && e.coll === 'revocationEvents' },
  { name: 'token sweep (tokens delete)', test: (e) => e.e === 'db' && e.coll === 'tokens' && e.cmd === 'delete' },
];

/**
 * Markdown: which events coincide with the slowest 100 ms buckets, against how
 * often they coincide with any bucket (a job that runs every 500 ms touches
 * many buckets by chance; what matters is how much more often it meets spikes).
 */
export function attribute(t: Timeline): string {
  const withP99 = t.buckets.filter((b) => Number.isFinite(b.p99Ms));
  if (!withP99.length || !t.events.length) return `- ${t.system} ${t.workload}: no server events recorded (only our server is traced).\n`;
  const typical = median(withP99.map((b) => b.p99Ms));
  const spikes = [...withP99].sort((a, b) => b.p99Ms - a.p99Ms).slice(0, Math.max(5, Math.ceil(withP99.length / 100)));
  // Requests due in [at, at+100) wait for whatever ran from just before `at` until they finished.
  // A database command counts while it is under way, not only where it started.
  const near = (b: LatencyBucket, test: (e: ServerEvent) => boolean) =>
    t.events.filter((e) => test(e) && e.at + (e.e === 'db' ? e.ms ?? 0 : 0) >= b.at - BUCKET_MS
      && e.at <= b.at + BUCKET_MS + Math.min(b.maxMs, NEAR_CAP_MS));
  const lines = [
    `### ${t.system}, ${t.workload} at ${t.rate}/s (run ${t.run}, the one with the highest p99)`,
    '',
    `Median per-100 ms p99: ${typical.toFixed(2)} ms. The ${spikes.length} slowest buckets, p99 from ${spikes.at(-1)!.p99Ms.toFixed(1)} to ${spikes[0]!.p99Ms.toFixed(1)} ms.`,
    '',
    '| event near a bucket | share of the slowest buckets | share of all buckets |',
    '| --- | ---: | ---: |',
  ];
  for (const c of CAUSES) {
    const inSpikes = spikes.filter((b) => near(b, c.test).length).length / spikes.length;
    const inAll = withP99.filter((b) => near(b, c.test).length).length / withP99.length;
    if (inSpikes === 0 && inAll === 0) continue;
    lines.push(`| ${c.name} | ${(inSpikes * 100).toFixed(0)}% | ${(inAll * 100).toFixed(0)}% |`);
  }
  lines.push('', '| bucket (s from start) | p99 ms | max ms | server CPU % | db CPU % | events within 100 ms before to its slowest answer |', '| ---: | ---: | ---: | ---: | ---: | --- |');
  const cpuAt = (at: number, name: string) => {
    const p = t.cpu.find((c) => c.at >= at + BUCKET_MS) ?? t.cpu.at(-1);
    const v = p?.pct[name];
    return v === undefined ? 'n/a' : v.toFixed(0);
  };
  for (const b of spikes) {
    const around = near(b, () => true);
    const slowest = new Map<string, { n: number; ms: number }>();
    for (const e of around.filter((x) => x.e === 'db')) {
      const seen = slowest.get(dbCommand(e)) ?? { n: 0, ms: 0 };
      slowest.set(dbCommand(e), { n: seen.n + 1, ms: Math.max(seen.ms, e.ms ?? 0) });
    }
    const events = [
      ...around.filter((e) => e.e !== 'db')
        .map((e) => (e.e === 'gc' ? `GC ${e.kind} ${e.ms!.toFixed(1)} ms` : e.e === 'job' ? `${e.job}` : `loop lag ${e.lagMs!.toFixed(0)} ms`)),
      ...[...slowest].map(([name, v]) => `db ${name}${v.n > 1 ? ` ×${v.n}` : ''} up to ${v.ms.toFixed(0)} ms`),
    ].join(', ');
    lines.push(`| ${((b.at - t.startedAt) / 1000).toFixed(1)} | ${b.p99Ms.toFixed(1)} | ${b.maxMs.toFixed(1)} | ${cpuAt(b.at, 'server')} | ${cpuAt(b.at, 'db')} | ${events || 'none'} |`);
  }
  return `${lines.join('\n')}\n`;
}
