// Load generation: one HTTP call shape driven by autocannon (workloads a-d
// and the node:http bound), and the measuring loop shared with the mix driver
// (warm-up, N bounded runs, medians, server RSS sampled meanwhile).

import autocannon from 'autocannon';

import { cpuMsOfTree } from './process-cpu.js';
import { RssSampler, type RssPeak } from './rss.js';
import type { BenchSettings } from './settings.js';
import { Samples, median } from './stats.js';

export interface RunResult {
  seconds: number;
  responses: number;
  /** 2xx responses whose body showed success (an issued token, an active introspection). */
  ok: number;
  /** Everything else: non-2xx, unexpected bodies, connection errors, timeouts. */
  errors: number;
  /** ok / seconds: failures do not count as throughput. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadTarget {
  run(seconds: number, connections: number, maxRequests: number): Promise<RunResult>;
}

/** One kind of request; `vary` is called for every request (a random client, a random token). */
export interface HttpCall {
  origin: string;
  path: string;
  headers: Record<string, string>;
  vary(): { authorization?: string; forwardedFor?: string; body: string };
  /** Substring present in every successful response body. */
  marker: string;
}

export const REQUEST_TIMEOUT_S = 10;

export function autocannonTarget(call: HttpCall): LoadTarget {
  return {
    run(seconds, connections, maxRequests) {
      const latencies = new Samples();
      let bad = 0;
      const started = performance.now();
      return new Promise<RunResult>((resolve, reject) => {
        const instance = autocannon(
          {
            url: call.origin,
            connections,
            duration: seconds,
            maxOverallRequests: maxRequests,
            timeout: REQUEST_TIMEOUT_S,
            requests: [
              {
                method: 'POST',
                path: call.path,
                headers: call.headers,
                setupRequest: (req) => {
                  const v = call.vary();
                  req.body = v.body;
                  if (v.authorization || v.forwardedFor) {
                    const headers = { ...req.headers };
                    if (v.authorization) headers['authorization'] = v.authorization;
                    if (v.forwardedFor) headers['x-forwarded-for'] = v.forwardedFor;
                    req.headers = headers;
                  }
                  return req;
                },
              },
            ],
            verifyBody: (body) => {
              const ok = String(body).includes(call.marker);
              if (!ok) bad++;
              return ok;
            },
          },
          (err, result) => {
            if (err) return reject(err instanceof Error ? err : new Error(String(err)));
            const secs = (performance.now() - started) / 1000;
            const [p50 = NaN, p99 = NaN] = latencies.percentiles([50, 99]);
            const ok = latencies.count - bad;
            resolve({
              seconds: secs,
              responses: latencies.count,
              ok,
              errors: bad + result.errors,
              reqPerSec: ok / secs,
              p50Ms: p50,
              p99Ms: p99,
            });
          },
        );
        instance.on('response', (_client, _status, _bytes, responseTime) => latencies.add(responseTime));
      });
    },
  };
}

export class StalledError extends Error {
  override name = 'StalledError';
}

export interface WorkloadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Server process memory over warm-up and runs. */
  rss: RssPeak;
  /**
   * CPU time per successful answer (median over runs), in microseconds: of the server's
   * process tree and of a separate database process. Unlike req/s it hardly depends on what
   * else shares the cores, and it says where each request's cost goes.
   */
  cpuUsPerOk: { server: number; db?: number | undefined };
  runs: RunResult[];
}

/** The processes whose CPU a measurement charges to the workload. */
export interface MeasuredPids {
  server: number;
  db?: number | undefined;
}

export async function measure(
  label: string,
  target: LoadTarget,
  settings: BenchSettings,
  pids: MeasuredPids,
  log: (line: string) => void,
): Promise<WorkloadResult> {
  const sampler = new RssSampler(pids.server).start();
  // A server that answers nothing for a whole run has stalled: later runs would only repeat that.
  const assertAnswering = (r: RunResult, what: string) => {
    if (r.responses === 0) throw new StalledError(`${label}: no response at all during the ${what} (${r.seconds.toFixed(0)} s): the server stalled`);
  };
  try {
    if (settings.warmupSeconds > 0) {
      const w = await target.run(settings.warmupSeconds, settings.connections, settings.maxRequestsPerRun);
      log(`  ${label} warm-up: ${w.reqPerSec.toFixed(0)} req/s, ${w.errors} errors`);
      assertAnswering(w, 'warm-up');
    }
    const runs: RunResult[] = [];
    const cpu: { server: number[]; db: number[] } = { server: [], db: [] };
    const perOk = (ms: number, ok: number) => (ok > 0 ? (ms * 1000) / ok : NaN);
    for (let i = 0; i < settings.runs; i++) {
      const before = { server: cpuMsOfTree(pids.server), db: pids.db ? cpuMsOfTree(pids.db) : 0 };
      const r = await target.run(settings.seconds, settings.connections, settings.maxRequestsPerRun);
      cpu.server.push(perOk(cpuMsOfTree(pids.server) - before.server, r.ok));
      if (pids.db) cpu.db.push(perOk(cpuMsOfTree(pids.db) - before.db, r.ok));
      assertAnswering(r, `run ${i + 1}`);
      runs.push(r);
      log(
        `  ${label} run ${i + 1}/${settings.runs}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
          `p99 ${r.p99Ms.toFixed(2)} ms, ${r.errors} errors, RSS ${sampler.read().lastMb.toFixed(0)} MB`,
      );
    }
    return {
      reqPerSec: median(runs.map((r) => r.reqPerSec)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      rss: sampler.read(),
      cpuUsPerOk: { server: median(cpu.server), ...(pids.db ? { db: median(cpu.db) } : {}) },
      runs,
    };
  } finally {
    sampler.stop();
  }
}
