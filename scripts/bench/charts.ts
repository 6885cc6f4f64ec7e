// SVG charts of a bench run, written by hand (no chart library, nothing
// fetched when viewed): throughput per system, latency percentiles at a fixed
// rate, and the per-100 ms p99 timeline of each fixed-rate run with the
// server's events under it.

import type { SystemName } from './settings.js';
import { RATE_WORKLOADS, SYSTEM_LABELS, WORKLOADS, boundsFor, type Bounds, type SystemResults } from './report.js';
import type { Timeline } from './tails.js';

const COLORS: Record<SystemName, string> = { ours: '#1f6feb', hydra: '#d29922', keycloak: '#8957e5' };
const PCT_COLORS = ['#9ecbff', '#1f6feb', '#0a3069'];
const FONT = 'font-family="system-ui, sans-serif"';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function svg(width: number, height: number, title: string, subtitle: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${esc(title)}</text>`,
    `<text x="16" y="42" fill="#555">${esc(subtitle)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** A "nice" axis maximum and tick step for values up to `max`. */
function niceAxis(max: number, ticks = 5): { top: number; step: number } {
  const raw = Math.max(max, 1e-9) / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { top: step * Math.ceil(max / step), step };
}

function legend(x: number, y: number, items: { label: string; color: string; dash?: boolean }[]): string[] {
  return items.map((it, i) => {
    const lx = x + i * 150;
    const mark = it.dash
      ? `<line x1="${lx}" y1="${y - 4}" x2="${lx + 14}" y2="${y - 4}" stroke="${it.color}" stroke-width="2" stroke-dasharray="4 3"/>`
      : `<rect x="${lx}" y="${y - 10}" width="12" height="12" fill="${it.color}"/>`;
    return `${mark}<text x="${lx + 18}" y="${y}">${esc(it.label)}</text>`;
  });
}

export function throughputChart(systems: SystemName[], results: Partial<Record<SystemName, SystemResults>>, bounds: Bounds, subtitle: string): string {
  const W = 960, H = 450, left = 70, right = 20, top = 80, bottom = 100;
  const plotW = W - left - right, plotH = H - top - bottom;
  const values = WORKLOADS.flatMap((w) => systems.map((s) => results[s]?.throughput[w.key]?.reqPerSec ?? 0));
  const boundOf = (key: (typeof WORKLOADS)[number]) => Math.min(...boundsFor(key, bounds).filter((b) => b.name !== 'node:http').map((b) => b.perSec));
  const boundVals = WORKLOADS.map(boundOf).filter(Number.isFinite);
  const { top: yMax, step } = niceAxis(Math.max(...values, ...boundVals, 1));
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const body: string[] = [];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    body.push(`<line x1="${left}" y1="${y(v)}" x2="${W - right}" y2="${y(v)}" stroke="#eee"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v.toLocaleString('en-US')}</text>`);
  }
  body.push(`<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle" fill="#555">requests/s</text>`);
  const groupW = plotW / WORKLOADS.length;
  const barW = Math.min(40, (groupW - 24) / systems.length);
  WORKLOADS.forEach((w, gi) => {
    const gx = left + gi * groupW + (groupW - barW * systems.length) / 2;
    systems.forEach((s, si) => {
      const m = results[s]?.throughput[w.key];
      const x = gx + si * barW;
      if (!m) {
        body.push(`<text x="${x + barW / 2}" y="${y(0) - 4}" text-anchor="middle" fill="#999" font-size="10">n/a</text>`);
        return;
      }
      body.push(
        `<rect x="${x + 1}" y="${y(m.reqPerSec)}" width="${barW - 2}" height="${y(0) - y(m.reqPerSec)}" fill="${COLORS[s]}"${m.note ? ' fill-opacity="0.55"' : ''}><title>${esc(`${SYSTEM_LABELS[s]}: ${m.reqPerSec.toFixed(0)} req/s, p99 ${m.p99Ms.toFixed(1)} ms${m.note ? ` (${m.note})` : ''}`)}</title></rect>`,
        `<text x="${x + barW / 2}" y="${y(m.reqPerSec) - 4}" text-anchor="middle" font-size="10">${(m.reqPerSec / 1000).toFixed(1)}k</text>`,
      );
    });
    const b = boundOf(w);
    if (Number.isFinite(b)) {
      body.push(`<line x1="${gx - 6}" y1="${y(b)}" x2="${gx + barW * systems.length + 6}" y2="${y(b)}" stroke="#cf222e" stroke-width="2" stroke-dasharray="5 3"><title>${esc(`bound: ${b.toFixed(0)}/s`)}</title></line>`);
    }
    body.push(`<text x="${left + gi * groupW + groupW / 2}" y="${H - bottom + 18}" text-anchor="middle">${esc(w.label)}</text>`);
  });
  body.push(`<line x1="${left}" y1="${y(0)}" x2="${W - right}" y2="${y(0)}" stroke="#333"/>`);
  body.push(...legend(left, H - 40, [...systems.map((s) => ({ label: SYSTEM_LABELS[s], color: COLORS[s] })), { label: 'tightest bound (same run)', color: '#cf222e', dash: true }]));
  body.push(`<text x="${left}" y="${H - 14}" fill="#555" font-size="11">Pale bar: the same measurement as another row, or a request that differs from ours (see the run's notes).</text>`);
  body.push(`<text x="${left}" y="${H - 2}" fill="#555" font-size="11">Bound: the lowest of HMAC check + random token server, FerretDB group-commit inserts (issuance), RS256 signatures (JWT).</text>`);
  return svg(W, H, 'Throughput at 64 connections (median of runs)', subtitle, body);
}

export function rateLatencyChart(systems: SystemName[], results: Partial<Record<SystemName, SystemResults>>, subtitle: string): string {
  const W = 1000, H = 420, top = 80, bottom = 80, panelGap = 90, left = 80;
  const panelW = (W - left - 20 - panelGap) / RATE_WORKLOADS.length;
  const plotH = H - top - bottom;
  const body: string[] = [];
  const PCTS = [['p50', 'p50Ms'], ['p99', 'p99Ms'], ['p99.9', 'p999Ms']] as const;
  // Log scale: Hydra's and Keycloak's tails can be two orders above ours.
  const all = RATE_WORKLOADS.flatMap((w) => systems.flatMap((s) => PCTS.map(([, k]) => results[s]?.rate[w.key]?.[k] ?? NaN))).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 25)));
  const y = (v: number) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  RATE_WORKLOADS.forEach((w, pi) => {
    const px = left + pi * (panelW + panelGap);
    for (let v = lo; v <= hi * 1.0001; v *= 10) {
      body.push(`<line x1="${px}" y1="${y(v)}" x2="${px + panelW}" y2="${y(v)}" stroke="#eee"/>`, `<text x="${px - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v >= 1 ? v : v.toString()} ms</text>`);
    }
    const rate = systems.map((s) => results[s]?.rate[w.key]).find(Boolean);
    body.push(`<text x="${px + panelW / 2}" y="${top - 8}" text-anchor="middle" font-weight="600">${esc(`${w.key === 'rate-issue' ? 'issue opaque' : 'introspect (resource server)'}${rate ? `: ${rate.rate}/s, ${rate.connections} conn.` : ''}`)}</text>`);
    const limits: [number, string][] = [[w.p99Ms, `p99 limit ${w.p99Ms} ms`]];
    if (w.p999Ms) limits.push([w.p999Ms, `p99.9 limit ${w.p999Ms} ms`]);
    for (const [v, label] of limits) {
      body.push(`<line x1="${px}" y1="${y(v)}" x2="${px + panelW}" y2="${y(v)}" stroke="#cf222e" stroke-dasharray="5 3"/>`, `<text x="${px + panelW - 2}" y="${y(v) - 3}" text-anchor="end" fill="#cf222e" font-size="10">${label}</text>`);
    }
    const groupW = panelW / systems.length;
    const barW = Math.min(28, (groupW - 16) / PCTS.length);
    systems.forEach((s, si) => {
      const r = results[s]?.rate[w.key];
      const gx = px + si * groupW + (groupW - barW * PCTS.length) / 2;
      body.push(`<text x="${px + si * groupW + groupW / 2}" y="${H - bottom + 16}" text-anchor="middle" fill="${COLORS[s]}" font-weight="600">${SYSTEM_LABELS[s]}</text>`);
      if (!r) return;
      PCTS.forEach(([name, k], i) => {
        const v = r[k];
        if (!Number.isFinite(v)) return;
        body.push(
          `<rect x="${gx + i * barW + 1}" y="${y(v)}" width="${barW - 2}" height="${y(lo) - y(v)}" fill="${PCT_COLORS[i]}"><title>${esc(`${SYSTEM_LABELS[s]} ${name}: ${v.toFixed(2)} ms`)}</title></rect>`,
          `<text x="${gx + i * barW + barW / 2}" y="${y(v) - 3}" text-anchor="middle" font-size="9">${fmt(v)}</text>`,
        );
      });
      if (r.errors) body.push(`<text x="${px + si * groupW + groupW / 2}" y="${H - bottom + 30}" text-anchor="middle" fill="#cf222e" font-size="10">${r.errors} errors</text>`);
    });
    body.push(`<line x1="${px}" y1="${y(lo)}" x2="${px + panelW}" y2="${y(lo)}" stroke="#333"/>`);
  });
  body.push(...legend(left, H - 22, PCTS.map(([name], i) => ({ label: name, color: PCT_COLORS[i]! }))));
  body.push(`<text x="${left + 480}" y="${H - 22}" fill="#555" font-size="11">open loop: latency counted from each request's scheduled time</text>`);
  return svg(W, H, 'Latency at a fixed rate (median of runs, log scale)', subtitle, body);
}

const EVENT_ROWS: { name: string; color: string; test: (e: Timeline['events'][number]) => boolean }[] = [
  { name: 'GC major', color: '#cf222e', test: (e) => e.e === 'gc' && e.kind === 'major' },
  { name: 'GC minor/other >= 0.5 ms', color: '#fb8f44', test: (e) => e.e === 'gc' && e.kind !== 'major' },
  { name: 'sweeper', color: '#1a7f37', test: (e) => e.e === 'job' && e.job === 'sweeper' },
  { name: 'config refresh', color: '#8250df', test: (e) => e.e === 'job' && e.job === 'config refresh' },
  { name: 'revocation sync', color: '#0969da', test: (e) => e.e === 'job' && e.job === 'revocation sync' },
  { name: 'rate-limit flush', color: '#bf8700', test: (e) => e.e === 'job' && e.job === 'rate-limit flush' },
  { name: 'loop lag >= 5 ms', color: '#6e7781', test: (e) => e.e === 'loop' },
];

export function timelineChart(t: Timeline, limitMs: number, subtitle: string): string {
  const W = 1100, left = 150, right = 20, top = 70, plotH = 240, cpuH = 70, rowH = 14;
  const eventsTop = top + plotH + 30 + cpuH + 20;
  const H = eventsTop + EVENT_ROWS.length * rowH + 40;
  const plotW = W - left - right;
  const t0 = t.startedAt;
  const span = Math.max(1, (t.buckets.at(-1)?.at ?? t0) + 100 - t0);
  const x = (at: number) => left + ((at - t0) / span) * plotW;
  const vals = t.buckets.map((b) => b.p99Ms).filter(Number.isFinite);
  const lo = 0.1;
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...vals, limitMs * 2)));
  const y = (v: number) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const body: string[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    body.push(`<line x1="${left}" y1="${y(v)}" x2="${W - right}" y2="${y(v)}" stroke="#eee"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${+v.toPrecision(1)} ms</text>`);
  }
  body.push(`<line x1="${left}" y1="${y(limitMs)}" x2="${W - right}" y2="${y(limitMs)}" stroke="#cf222e" stroke-dasharray="5 3"/>`, `<text x="${W - right - 2}" y="${y(limitMs) - 3}" text-anchor="end" fill="#cf222e" font-size="10">p99 limit ${limitMs} ms</text>`);
  const path = (key: 'p99Ms' | 'p50Ms' | 'maxMs') =>
    t.buckets.filter((b) => Number.isFinite(b[key])).map((b, i) => `${i ? 'L' : 'M'}${x(b.at + 50).toFixed(1)},${y(b[key]).toFixed(1)}`).join('');
  body.push(`<path d="${path('maxMs')}" fill="none" stroke="#d0d7de" stroke-width="1"/>`);
  body.push(`<path d="${path('p50Ms')}" fill="none" stroke="#9ecbff" stroke-width="1"/>`);
  body.push(`<path d="${path('p99Ms')}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>`);
  for (let s = 0; s * 1000 <= span; s += Math.max(1, Math.round(span / 1000 / 20))) {
    body.push(`<text x="${x(t0 + s * 1000)}" y="${top + plotH + 16}" text-anchor="middle" fill="#555" font-size="10">${s}s</text>`);
  }
  // CPU of the server and its database per 100 ms.
  const cpuTop = top + plotH + 30;
  body.push(`<text x="${left - 6}" y="${cpuTop + 10}" text-anchor="end" fill="#555" font-size="10">CPU %</text>`);
  const cpuMax = 200;
  const cy = (v: number) => cpuTop + cpuH - (Math.min(v, cpuMax) / cpuMax) * cpuH;
  body.push(`<line x1="${left}" y1="${cy(100)}" x2="${W - right}" y2="${cy(100)}" stroke="#eee"/><text x="${left - 6}" y="${cy(100) + 4}" text-anchor="end" fill="#999" font-size="9">100</text>`);
  for (const [name, color] of [['server', '#1f6feb'], ['db', '#1a7f37']] as const) {
    const d = t.cpu.filter((p) => p.pct[name] !== undefined && p.at >= t0).map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${cy(p.pct[name]!).toFixed(1)}`).join('');
    if (d) body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1"/>`);
  }
  EVENT_ROWS.forEach((row, i) => {
    const ry = eventsTop + i * rowH;
    body.push(`<text x="${left - 6}" y="${ry + 10}" text-anchor="end" fill="${row.color}" font-size="10">${esc(row.name)}</text>`);
    for (const e of t.events.filter(row.test)) {
      if (e.at < t0 || e.at > t0 + span) continue;
      const w = Math.max(1, ((e.e === 'loop' ? e.lagMs ?? 0 : e.ms ?? 0) / span) * plotW);
      body.push(`<rect x="${x(e.at).toFixed(1)}" y="${ry + 1}" width="${w.toFixed(1)}" height="${rowH - 3}" fill="${row.color}"><title>${esc(JSON.stringify(e))}</title></rect>`);
    }
  });
  if (!t.events.length) body.push(`<text x="${left}" y="${eventsTop + 10}" fill="#999">no server events: only our server is traced</text>`);
  body.push(
    ...legend(left, H - 14, [
      { label: 'p99 per 100 ms', color: '#1f6feb' },
      { label: 'p50 per 100 ms', color: '#9ecbff' },
      { label: 'max per 100 ms', color: '#d0d7de' },
      { label: 'server CPU %', color: '#1f6feb' },
      { label: 'database CPU %', color: '#1a7f37' },
    ]),
  );
  return svg(W, H, `${SYSTEM_LABELS[t.system as SystemName] ?? t.system}: ${t.workload} at ${t.rate}/s, latency per 100 ms with server events`, `${subtitle}; run ${t.run} (the one with the highest p99)`, body);
}

/** One fixed-rate measurement of `npm run bench:flat` at one amount of stored data. */
export interface FlatCostPoint {
  /** Which curve: stored tokens grow (clients fixed), or registered clients grow (tokens fixed). */
  axis: 'tokens' | 'clients';
  storedTokens: number;
  clients: number;
  workload: 'issue' | 'introspect';
  rate: number;
  connections: number;
  achievedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: number;
  /** Server RSS, MB: peak while this workload ran, and at its end. */
  rssPeakMb: number;
  rssLastMb: number;
  dbRssMb: number;
  /** Periodic sweeper runs that started during the measured run (from the server's trace). */
  sweepsDuringRun: number;
  /** The sweeper's own delete query, timed from the bench at this level (nothing to delete); Infinity past its cap. */
  sweepQueryMs: number;
  /** The machine's 1-minute load average after the run: other work on the same cores shows here. */
  loadAvg1: number;
}

const FLAT_SERIES = [
  { workload: 'issue', key: 'p99Ms', label: 'issue p99', color: '#1f6feb', dash: false },
  { workload: 'issue', key: 'p999Ms', label: 'issue p99.9', color: '#1f6feb', dash: true },
  { workload: 'introspect', key: 'p99Ms', label: 'introspect p99', color: '#1a7f37', dash: false },
  { workload: 'introspect', key: 'p999Ms', label: 'introspect p99.9', color: '#1a7f37', dash: true },
] as const;

/** Two panels, log x and log y: latency against stored tokens, and against registered clients. */
export function flatCostChart(points: FlatCostPoint[], subtitle: string): string {
  const W = 1000, H = 440, top = 80, bottom = 90, left = 80, panelGap = 90;
  const panels = (['tokens', 'clients'] as const).filter((a) => points.some((p) => p.axis === a));
  const panelW = (W - left - 20 - panelGap * (panels.length - 1)) / Math.max(1, panels.length);
  const plotH = H - top - bottom;
  const vals = points.flatMap((p) => [p.p99Ms, p.p999Ms]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...vals, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...vals, 25)));
  const y = (v: number) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const body: string[] = [];
  panels.forEach((axis, pi) => {
    const px = left + pi * (panelW + panelGap);
    const level = (p: FlatCostPoint) => (axis === 'tokens' ? p.storedTokens : p.clients);
    const mine = points.filter((p) => p.axis === axis);
    const levels = [...new Set(mine.map(level))].sort((a, b) => a - b);
    const xLo = 10 ** Math.floor(Math.log10(Math.min(...levels)));
    const xHi = 10 ** Math.ceil(Math.log10(Math.max(...levels) * 1.0001));
    const x = (v: number) => px + 20 + ((Math.log10(v) - Math.log10(xLo)) / Math.max(1e-9, Math.log10(xHi) - Math.log10(xLo))) * (panelW - 40);
    for (let v = lo; v <= hi * 1.0001; v *= 10) {
      body.push(`<line x1="${px}" y1="${y(v)}" x2="${px + panelW}" y2="${y(v)}" stroke="#eee"/>`, `<text x="${px - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${+v.toPrecision(1)} ms</text>`);
    }
    for (let v = xLo; v <= xHi * 1.0001; v *= 10) {
      body.push(`<line x1="${x(v)}" y1="${top}" x2="${x(v)}" y2="${y(lo)}" stroke="#f3f3f3"/>`, `<text x="${x(v)}" y="${y(lo) + 16}" text-anchor="middle" fill="#555">${v.toLocaleString('en-US')}</text>`);
    }
    const fixed = axis === 'tokens' ? `${(mine[0]?.clients ?? 0).toLocaleString('en-US')} clients` : `${(mine[0]?.storedTokens ?? 0).toLocaleString('en-US')} stored tokens`;
    body.push(`<text x="${px + panelW / 2}" y="${top - 8}" text-anchor="middle" font-weight="600">${esc(`against ${axis === 'tokens' ? 'stored tokens' : 'registered clients'} (${fixed})`)}</text>`);
    body.push(`<text x="${px + panelW / 2}" y="${y(lo) + 34}" text-anchor="middle" fill="#555">${axis === 'tokens' ? 'stored tokens (log)' : 'registered clients (log)'}</text>`);
    for (const s of FLAT_SERIES) {
      const pts = mine.filter((p) => p.workload === s.workload && Number.isFinite(p[s.key])).sort((a, b) => level(a) - level(b));
      if (!pts.length) continue;
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(level(p)).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join('');
      body.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="5 3"' : ''}/>`);
      for (const p of pts) {
        const swept = p.sweepsDuringRun > 0;
        body.push(
          `<circle cx="${x(level(p)).toFixed(1)}" cy="${y(p[s.key]).toFixed(1)}" r="${swept ? 5 : 3}" fill="${swept ? '#fff' : s.color}" stroke="${s.color}" stroke-width="2">` +
            `<title>${esc(`${s.label} at ${level(p).toLocaleString('en-US')}: ${p[s.key].toFixed(2)} ms, p50 ${p.p50Ms.toFixed(2)} ms, ${p.errors} errors, RSS ${p.rssPeakMb.toFixed(0)} MB${swept ? `, ${p.sweepsDuringRun} sweep(s) during the run` : ''}`)}</title></circle>`,
          `<text x="${(x(level(p)) + 7).toFixed(1)}" y="${(y(p[s.key]) - 5).toFixed(1)}" font-size="9" fill="${s.color}">${fmt(p[s.key])}</text>`,
        );
      }
    }
    body.push(`<line x1="${px}" y1="${y(lo)}" x2="${px + panelW}" y2="${y(lo)}" stroke="#333"/>`);
  });
  body.push(...legend(left, H - 22, FLAT_SERIES.map((s) => ({ label: s.label, color: s.color, dash: s.dash }))));
  body.push(`<text x="${left}" y="${H - 4}" fill="#555" font-size="11">Open loop, latency from each request's scheduled time. Hollow point: the periodic sweeper started during that run.</text>`);
  return svg(W, H, 'Flat cost: fixed-rate latency against stored data (log-log)', subtitle, body);
}
