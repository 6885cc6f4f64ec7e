// The printed tables, the target check of issue 10, and the results file.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { InsertBound } from './bounds.js';
import type { WorkloadResult } from './load.js';
import type { RateRunResult } from './rate-driver.js';
import type { RssPeak } from './rss.js';
import type { SystemName } from './settings.js';

export type WorkloadKey = 'issue-opaque' | 'issue-jwt' | 'introspect-own' | 'introspect-rs' | 'introspect-admin';
export type RateKey = 'rate-issue' | 'rate-introspect';

export interface WorkloadSpec {
  key: WorkloadKey;
  label: string;
  kind: 'issue' | 'introspect';
}

export const WORKLOADS: WorkloadSpec[] = [
  { key: 'issue-opaque', label: 'issue, opaque', kind: 'issue' },
  { key: 'issue-jwt', label: 'issue, JWT (RS256)', kind: 'issue' },
  { key: 'introspect-own', label: 'introspect, own client', kind: 'introspect' },
  { key: 'introspect-rs', label: 'introspect, resource server', kind: 'introspect' },
  { key: 'introspect-admin', label: 'introspect, admin', kind: 'introspect' },
];

export interface RateSpec {
  key: RateKey;
  label: string;
  /** Issue 10's limits for this run. */
  p99Ms: number;
  p999Ms?: number;
}

export const RATE_WORKLOADS: RateSpec[] = [
  { key: 'rate-issue', label: 'issue opaque at a fixed rate', p99Ms: 10, p999Ms: 20 },
  { key: 'rate-introspect', label: 'introspect (resource server) at a fixed rate', p99Ms: 5 },
];

export const SYSTEM_LABELS: Record<SystemName, string> = { ours: 'keyforge', hydra: 'Hydra', keycloak: 'Keycloak' };

/** Issue 10's throughput and footprint targets for our server. */
export const TARGETS = { opaqueIssue: 5_000, introspect: 10_000, jwtOfSigning: 0.7, rssMb: 150 } as const;

export interface Measured extends WorkloadResult {
  /** Set when this figure is another row's measurement, or the request differs from ours (said why). */
  note?: string;
}

export interface RateResult {
  rate: number;
  connections: number;
  /** Medians over the runs. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  achievedPerSec: number;
  errors: number;
  rss: RssPeak;
  runs: RateRunResult[];
}

export interface SystemResults {
  throughput: Partial<Record<WorkloadKey, Measured>>;
  rate: Partial<Record<RateKey, RateResult>>;
}

export interface Bounds {
  nodeHttp?: WorkloadResult;
  hmac?: WorkloadResult;
  rs256AllCores?: number;
  rs256OneCore?: number;
  inserts?: InsertBound;
}

const num = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const pct = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : `${((a / b) * 100).toFixed(0)}%`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

/** The bound each workload is held against, by name and req/s. */
export function boundsFor(spec: WorkloadSpec, b: Bounds): { name: string; perSec: number }[] {
  const out: { name: string; perSec: number }[] = [];
  if (b.nodeHttp) out.push({ name: 'node:http', perSec: b.nodeHttp.reqPerSec });
  if (b.hmac && spec.key !== 'issue-jwt') out.push({ name: 'HMAC+random', perSec: b.hmac.reqPerSec });
  if (spec.key === 'issue-jwt' && b.rs256AllCores) out.push({ name: 'RS256 signs', perSec: b.rs256AllCores });
  if (spec.kind === 'issue' && b.inserts) out.push({ name: 'FerretDB inserts', perSec: b.inserts.insertsPerSecond });
  return out;
}

export function formatThroughput(systems: SystemName[], results: Partial<Record<SystemName, SystemResults>>, bounds: Bounds): string {
  const header = ['workload (64 connections)'];
  for (const s of systems) header.push(`${SYSTEM_LABELS[s]} req/s`, 'p50 ms', 'p99 ms', 'err', 'RSS MB');
  header.push('ours vs bounds');
  const rows = WORKLOADS.map((spec) => {
    const row = [spec.label];
    for (const s of systems) {
      const m = results[s]?.throughput[spec.key];
      row.push(m ? `${num(m.reqPerSec, 0)}${m.note ? '*' : ''}` : 'n/a', num(m?.p50Ms, 2), num(m?.p99Ms, 2), m ? String(m.errors) : 'n/a', num(m?.rss.peakMb, 0));
    }
    const ours = results.ours?.throughput[spec.key]?.reqPerSec;
    row.push(boundsFor(spec, bounds).map((b) => `${pct(ours, b.perSec)} of ${b.name}`).join(', ') || 'n/a');
    return row;
  });
  return table(header, rows);
}

/**
 * Where each answer's CPU goes, per system: server process (tree) and its separate database
 * process, in µs per successful response at 64 connections. Two cores give 2,000,000 µs per
 * second to share with the load generator, so 2e6 / (server + db) caps req/s on this box.
 */
export function formatCpu(systems: SystemName[], results: Partial<Record<SystemName, SystemResults>>, bounds: Bounds): string {
  const header = ['CPU per answer, µs (64 connections)'];
  for (const s of systems) header.push(`${SYSTEM_LABELS[s]} server`, 'db');
  header.push('bare node:http', 'HMAC+random');
  const rows = WORKLOADS.map((spec) => {
    const row = [spec.label];
    for (const s of systems) {
      const c = results[s]?.throughput[spec.key]?.cpuUsPerOk;
      row.push(num(c?.server, 0), c?.db === undefined ? '-' : num(c.db, 0));
    }
    row.push(num(bounds.nodeHttp?.cpuUsPerOk.server, 0), num(bounds.hmac?.cpuUsPerOk.server, 0));
    return row;
  });
  return table(header, rows);
}

export function formatRate(systems: SystemName[], results: Partial<Record<SystemName, SystemResults>>): string {
  const header = ['fixed rate (open loop)', 'system', 'target/s', 'done/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'err', 'RSS MB', 'issue 10 limit'];
  const rows: string[][] = [];
  for (const spec of RATE_WORKLOADS) {
    for (const s of systems) {
      const r = results[s]?.rate[spec.key];
      const limit = `p99<${spec.p99Ms}${spec.p999Ms ? `, p99.9<${spec.p999Ms}` : ''}`;
      const met = r && r.p99Ms < spec.p99Ms && (!spec.p999Ms || r.p999Ms < spec.p999Ms) && r.errors === 0;
      rows.push([
        spec.label,
        SYSTEM_LABELS[s],
        r ? `${r.rate}x${r.connections}c` : 'n/a',
        num(r?.achievedPerSec, 0),
        num(r?.p50Ms, 2),
        num(r?.p99Ms, 2),
        num(r?.p999Ms, 2),
        num(r?.maxMs, 1),
        r ? String(r.errors) : 'n/a',
        num(r?.rss.peakMb, 0),
        r ? `${limit}: ${met ? 'met' : 'MISSED'}` : limit,
      ]);
    }
  }
  return table(header, rows);
}

export function formatBounds(b: Bounds): string {
  const rows = [
    ['bare node:http (fixed body), autocannon 64c', b.nodeHttp ? `${num(b.nodeHttp.reqPerSec, 0)} req/s, p99 ${num(b.nodeHttp.p99Ms, 2)} ms` : 'n/a'],
    ['node:http + HMAC secret check + random token, 64c', b.hmac ? `${num(b.hmac.reqPerSec, 0)} req/s, p99 ${num(b.hmac.p99Ms, 2)} ms` : 'n/a'],
    ['RS256 2048-bit signatures, node:crypto, all cores', b.rs256AllCores ? `${num(b.rs256AllCores, 0)} /s` : 'n/a'],
    ['RS256 2048-bit signatures, node:crypto, one thread', b.rs256OneCore ? `${num(b.rs256OneCore, 0)} /s` : 'n/a'],
    [
      `FerretDB acknowledged inserts, BatchInserter${b.inserts ? `, ${b.inserts.writers} writers` : ''}`,
      b.inserts ? `${num(b.inserts.insertsPerSecond, 0)} /s (${b.inserts.database})` : 'n/a',
    ],
  ];
  return table(['bound (same run, same cores)', 'measured'], rows);
}

export function checkTargets(results: Partial<Record<SystemName, SystemResults>>, bounds: Bounds): string[] {
  const ours = results.ours;
  if (!ours) return ['ours not measured'];
  const out: string[] = [];
  const check = (what: string, ok: boolean | undefined, shown: string) => out.push(`${what}: ${ok === undefined ? 'n/a' : ok ? 'met' : 'MISSED'} (${shown})`);
  const t = ours.throughput;
  check(`opaque issuance >= ${TARGETS.opaqueIssue}/s`, t['issue-opaque'] && t['issue-opaque'].reqPerSec >= TARGETS.opaqueIssue, num(t['issue-opaque']?.reqPerSec, 0));
  for (const key of ['introspect-own', 'introspect-rs', 'introspect-admin'] as const) {
    check(`${key} >= ${TARGETS.introspect}/s`, t[key] && t[key].reqPerSec >= TARGETS.introspect, num(t[key]?.reqPerSec, 0));
  }
  const jwt = t['issue-jwt']?.reqPerSec;
  const sign = bounds.rs256AllCores;
  check(`JWT issuance >= ${TARGETS.jwtOfSigning * 100}% of the RS256 signing bound`, jwt !== undefined && sign !== undefined ? jwt / sign >= TARGETS.jwtOfSigning : undefined, pct(jwt, sign));
  for (const spec of RATE_WORKLOADS) {
    const r = ours.rate[spec.key];
    check(`${spec.label}: p99 < ${spec.p99Ms} ms`, r && r.p99Ms < spec.p99Ms, `${num(r?.p99Ms, 2)} ms`);
    if (spec.p999Ms) check(`${spec.label}: p99.9 < ${spec.p999Ms} ms`, r && r.p999Ms < spec.p999Ms, `${num(r?.p999Ms, 2)} ms`);
  }
  const peaks = [...Object.values(t), ...Object.values(ours.rate)].map((m) => m.rss.peakMb).filter(Number.isFinite);
  if (peaks.length) check(`RSS <= ${TARGETS.rssMb} MB at saturation`, Math.max(...peaks) <= TARGETS.rssMb, `${Math.max(...peaks).toFixed(0)} MB peak`);
  return out;
}

export async function writeResults(projectRoot: string, results: unknown): Promise<string> {
  const dir = join(projectRoot, 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
