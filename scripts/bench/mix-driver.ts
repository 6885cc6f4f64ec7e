// Workload (e): each of N virtual resource-server users issues one token,
// then introspects 20 times, and starts over. autocannon cannot do this
// against Hydra, whose token endpoint (public port) and introspection
// (admin port) listen on different ports while an autocannon connection is
// tied to one; so this closed loop over keep-alive node:http agents drives
// the mix for every server alike (including the node:http bound, for an
// honest ratio).

import { Agent, request } from 'node:http';

import { REQUEST_TIMEOUT_S, type HttpCall, type LoadTarget, type RunResult } from './load.js';
import { Samples } from './stats.js';

export const INTROSPECTIONS_PER_ISSUE = 20;

export interface Reply {
  ok: boolean;
}

export function send(agent: Agent, url: URL, call: HttpCall): Promise<Reply> {
  const v = call.vary();
  const headers: Record<string, string | number> = { ...call.headers, 'content-length': Buffer.byteLength(v.body) };
  if (v.authorization) headers['authorization'] = v.authorization;
  if (v.forwardedFor) headers['x-forwarded-for'] = v.forwardedFor;
  return new Promise((resolve) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, method: 'POST', path: call.path, headers, timeout: REQUEST_TIMEOUT_S * 1000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ ok: res.statusCode !== undefined && res.statusCode < 300 && body.includes(call.marker) }));
        res.on('error', () => resolve({ ok: false }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false }));
    req.end(v.body);
  });
}

export function mixTarget(issue: HttpCall, introspect: HttpCall): LoadTarget {
  return {
    async run(seconds, connections, maxRequests) {
      // One agent per origin; at most `connections` requests are ever in flight.
      const agents = new Map<string, Agent>();
      const agentFor = (origin: string) => {
        let agent = agents.get(origin);
        if (!agent) {
          agent = new Agent({ keepAlive: true, maxSockets: connections });
          agents.set(origin, agent);
        }
        return agent;
      };
      const issueUrl = new URL(issue.origin);
      const introspectUrl = new URL(introspect.origin);
      const issueAgent = agentFor(issue.origin);
      const introspectAgent = agentFor(introspect.origin);

      const latencies = new Samples();
      let ok = 0;
      let errors = 0;
      let sent = 0;
      const started = performance.now();
      const endAt = started + seconds * 1000;
      const more = () => performance.now() < endAt && sent < maxRequests;

      const timed = async (agent: Agent, url: URL, call: HttpCall) => {
        sent++;
        const t0 = performance.now();
        const reply = await send(agent, url, call);
        latencies.add(performance.now() - t0);
        if (reply.ok) ok++;
        else errors++;
      };

      // Users start at different points of the cycle so that issues are
      // spread over time rather than all fired together at the start.
      const cycle = INTROSPECTIONS_PER_ISSUE + 1;
      const user = async (_: unknown, k: number) => {
        for (let step = k % cycle; more(); step++) {
          if (step % cycle === 0) await timed(issueAgent, issueUrl, issue);
          else await timed(introspectAgent, introspectUrl, introspect);
        }
      };
      await Promise.all(Array.from({ length: connections }, user));
      const secs = (performance.now() - started) / 1000;
      for (const agent of agents.values()) agent.destroy();
      const [p50 = NaN, p99 = NaN] = latencies.percentiles([50, 99]);
      return { seconds: secs, responses: latencies.count, ok, errors, reqPerSec: ok / secs, p50Ms: p50, p99Ms: p99 } satisfies RunResult;
    },
  };
}
