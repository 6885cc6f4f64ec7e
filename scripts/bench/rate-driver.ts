// Open-loop load at a fixed rate (issue 10, tails): request i is due at
// start + i/rate whatever happened to the ones before it, and its latency is
// counted from that due time, not from when a free connection let it leave.
// A server that stalls for 50 ms therefore shows 50 ms of queueing on every
// request that fell due meanwhile (no coordinated omission), which a
// closed-loop generator such as autocannon hides by simply sending less.
//
// At most `connections` keep-alive sockets are used; requests due while all
// are busy wait in the agent's queue (counted). The backlog is bounded: past
// REQUEST_TIMEOUT_S seconds' worth of due requests, new ones are counted as
// errors without being sent, so a dead server cannot grow memory here.

import { Agent } from 'node:http';

import { REQUEST_TIMEOUT_S, type HttpCall } from './load.js';
import { send } from './mix-driver.js';
import { Samples } from './stats.js';

/** Wall-clock milliseconds (sub-millisecond), comparable with the server trace's timestamps. */
export const wallNow = () => performance.timeOrigin + performance.now();

export const BUCKET_MS = 100;

export interface LatencyBucket {
  /** Start of the bucket, epoch ms; requests are put in the bucket of their due time. */
  at: number;
  count: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RateRunResult {
  startedAt: number;
  seconds: number;
  rate: number;
  connections: number;
  sent: number;
  ok: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Requests sent late by this process itself (its own timer was late), ms at p99: a sanity check of the driver. */
  driverLagP99Ms: number;
  buckets: LatencyBucket[];
}

export async function runAtRate(call: HttpCall, rate: number, seconds: number, connections: number): Promise<RateRunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(call.origin);
  const total = Math.round(rate * seconds);
  const maxBacklog = rate * REQUEST_TIMEOUT_S;
  const intervalMs = 1000 / rate;
  const due = new Float64Array(total);
  const latency = new Float64Array(total).fill(NaN);
  const failed = new Uint8Array(total);
  const lag = new Samples();
  let outstanding = 0;
  let next = 0;
  const pending: Promise<void>[] = [];

  // Warm the sockets up front so the first requests do not pay for connecting.
  const startedAt = wallNow() + 50;
  for (let i = 0; i < total; i++) due[i] = startedAt + i * intervalMs;

  await new Promise<void>((done) => {
    const pump = () => {
      const now = wallNow();
      while (next < total && due[next]! <= now) {
        const i = next++;
        lag.add(now - due[i]!);
        if (outstanding >= maxBacklog) {
          failed[i] = 1;
          continue;
        }
        outstanding++;
        pending.push(
          send(agent, url, call).then((reply) => {
            outstanding--;
            latency[i] = wallNow() - due[i]!;
            if (!reply.ok) failed[i] = 1;
          }),
        );
      }
      if (next >= total) return done();
      // setTimeout's floor is ~1 ms; the loop above catches up on whatever fell due meanwhile.
      setTimeout(pump, Math.max(0, Math.min(intervalMs, due[next]! - wallNow())));
    };
    setTimeout(pump, Math.max(0, startedAt - wallNow()));
  });
  await Promise.all(pending);
  agent.destroy();

  const all = new Samples();
  let ok = 0;
  let errors = 0;
  const buckets: LatencyBucket[] = [];
  const first = Math.floor(startedAt / BUCKET_MS) * BUCKET_MS;
  const perBucket = new Map<number, { s: Samples; errors: number }>();
  for (let i = 0; i < total; i++) {
    const b = Math.floor((due[i]! - first) / BUCKET_MS);
    let entry = perBucket.get(b);
    if (!entry) perBucket.set(b, (entry = { s: new Samples(), errors: 0 }));
    if (failed[i]) {
      errors++;
      entry.errors++;
    } else ok++;
    if (Number.isFinite(latency[i]!)) {
      all.add(latency[i]!);
      entry.s.add(latency[i]!);
    }
  }
  for (const [b, { s, errors: e }] of [...perBucket].sort((x, y) => x[0] - y[0])) {
    const [p50 = NaN, p99 = NaN, max = NaN] = s.percentiles([50, 99, 100]);
    buckets.push({ at: first + b * BUCKET_MS, count: s.count, errors: e, p50Ms: p50, p99Ms: p99, maxMs: max });
  }
  const [p50 = NaN, p99 = NaN, p999 = NaN, max = NaN] = all.percentiles([50, 99, 99.9, 100]);
  return {
    startedAt,
    seconds,
    rate,
    connections,
    sent: total,
    ok,
    errors,
    p50Ms: p50,
    p99Ms: p99,
    p999Ms: p999,
    maxMs: max,
    driverLagP99Ms: lag.percentiles([99])[0] ?? NaN,
    buckets,
  };
}
