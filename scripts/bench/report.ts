// The printed table, the target check of issue 5, and the results file.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { WorkloadResult } from './load.js';

export type WorkloadKey = 'a' | 'b' | 'c' | 'd' | 'e';

export interface WorkloadSpec {
  key: WorkloadKey;
  label: string;
  kind: 'issue' | 'introspect' | 'mix';
}

export const WORKLOADS: WorkloadSpec[] = [
  { key: 'a', label: '(a) issue, opaque', kind: 'issue' },
  { key: 'b', label: '(b) issue, JWT', kind: 'issue' },
  { key: 'c', label: '(c) introspect opaque', kind: 'introspect' },
  { key: 'd', label: '(d) introspect JWT', kind: 'introspect' },
  { key: 'e', label: '(e) mix 1:20, opaque', kind: 'mix' },
];

/** Issue 5: at least 3x Hydra; p99 under 20 ms (issuance) or 10 ms (introspection). */
export const TARGETS = { ratio: 3, issueP99Ms: 20, introspectP99Ms: 10, rssMb: 250 } as const;

export interface Row {
  spec: WorkloadSpec;
  ours?: WorkloadResult;
  hydra?: WorkloadResult;
  /** The node:http bound measured with the same load generator as this row. */
  bound?: WorkloadResult;
}

const num = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;

export function formatTable(rows: Row[], bounds: { autocannon?: WorkloadResult; mix?: WorkloadResult }): string {
  const header = ['workload', 'ours req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS MB', 'hydra req/s', 'p50 ms', 'p99 ms', 'h.errors', 'ours/hydra', 'ours/bound'];
  const body = rows.map((r) => [
    r.spec.label,
    num(r.ours?.reqPerSec, 0),
    num(r.ours?.p50Ms, 2),
    num(r.ours?.p99Ms, 2),
    r.ours ? String(r.ours.errors) : 'n/a',
    num(r.ours?.rss.peakMb, 0),
    num(r.hydra?.reqPerSec, 0),
    num(r.hydra?.p50Ms, 2),
    num(r.hydra?.p99Ms, 2),
    r.hydra ? String(r.hydra.errors) : 'n/a',
    ratio(r.ours?.reqPerSec, r.hydra?.reqPerSec),
    ratio(r.ours?.reqPerSec, r.bound?.reqPerSec),
  ]);
  const boundRows = [
    ['bound: node:http, autocannon', bounds.autocannon],
    ['bound: node:http, mix driver', bounds.mix],
  ] as const;
  for (const [label, b] of boundRows) {
    body.push([label, num(b?.reqPerSec, 0), num(b?.p50Ms, 2), num(b?.p99Ms, 2), b ? String(b.errors) : 'n/a', num(b?.rss.peakMb, 0), '', '', '', '', '', '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(header), rule, ...body.slice(0, rows.length).map(line), rule, ...body.slice(rows.length).map(line)].join('\n');
}

export function checkTargets(rows: Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.spec.kind === 'mix' || !r.ours) continue;
    const p99Limit = r.spec.kind === 'issue' ? TARGETS.issueP99Ms : TARGETS.introspectP99Ms;
    const p99Ok = r.ours.p99Ms < p99Limit;
    const rel = r.hydra ? r.ours.reqPerSec / r.hydra.reqPerSec : undefined;
    const relText = rel === undefined ? `>= ${TARGETS.ratio}x Hydra: n/a` : `>= ${TARGETS.ratio}x Hydra: ${rel >= TARGETS.ratio ? 'met' : 'MISSED'} (${rel.toFixed(2)}x)`;
    const errText = r.ours.errors > 0 ? `, ${r.ours.errors} errors` : '';
    out.push(`${r.spec.label.padEnd(24)} ${relText}; p99 < ${p99Limit} ms: ${p99Ok ? 'met' : 'MISSED'} (${r.ours.p99Ms.toFixed(2)} ms)${errText}`);
  }
  return out;
}

export async function writeResults(projectRoot: string, results: unknown): Promise<string> {
  const dir = join(projectRoot, 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
