// A bounded closed loop: `total` requests, `concurrency` in flight, each timed. Small and
// fixed on purpose: it shows whether per-request costs change with the data, not the peak.

import { percentile } from './cluster.js';

export interface LoopResult {
  count: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export async function loop(
  total: number,
  concurrency: number,
  request: (i: number) => Promise<Response>,
  deadlineMs = 60_000,
): Promise<LoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total && performance.now() - t0 < deadlineMs) {
      const i = next++;
      const s = performance.now();
      try {
        const res = await request(i);
        await res.arrayBuffer();
        if (!res.ok) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    count: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}
