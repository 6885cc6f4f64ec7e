import type { UsageBucket } from '../usage/index.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const hourFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

export interface ChartOptions {
  /** `hours`: 24 hourly buckets; `days`: 30 daily ones. */
  span: 'hours' | 'days';
  /** Names the chart for screen readers. */
  label: string;
}

/** A round number at or above `n`, so the axis reads 5, 10, 50, 100… rather than 37. */
function niceMax(n: number): number {
  if (n <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

const fmt = (n: number) => n.toLocaleString('en-GB');

/**
 * Tokens issued and introspections per bucket as paired bars, failures as marks under the
 * axis, drawn on the server as SVG: no script, no external file, readable with JavaScript off.
 * Each bar carries a <title> with its numbers, and the whole chart a label with the totals.
 */
export function usageChartSvg(buckets: UsageBucket[], o: ChartOptions): string {
  const W = 480;
  const H = 150;
  const left = 40;
  const right = 6;
  const top = 8;
  const plotH = 100;
  const base = top + plotH;
  const n = buckets.length;
  const slot = (W - left - right) / n;
  const bar = Math.max(2, Math.min(9, slot * 0.36));
  const max = niceMax(Math.max(0, ...buckets.map((b) => Math.max(b.issued, b.introspected))));
  const y = (v: number) => base - (v / max) * plotH;
  const when = (b: UsageBucket) => (o.span === 'hours'
    ? `${hourFormat.format(b.start)} UTC`
    : dayFormat.format(b.start));

  const parts: string[] = [];
  for (const frac of [0, 0.5, 1]) {
    const gy = y(max * frac);
    parts.push(`<line class="chart__grid" x1="${left}" x2="${W - right}" y1="${gy.toFixed(1)}" y2="${gy.toFixed(1)}"/>`);
    parts.push(`<text class="chart__tick" x="${left - 5}" y="${(gy + 3.5).toFixed(1)}" text-anchor="end">${fmt(max * frac)}</text>`);
  }
  buckets.forEach((b, i) => {
    const x = left + i * slot + (slot - 2 * bar - 1) / 2;
    const failures = b.invalid_client + b.invalid_scope;
    const title = escape(`${when(b)}: ${fmt(b.issued)} issued, ${fmt(b.introspected)} introspections`
      + (failures ? `, ${fmt(b.invalid_client)} invalid_client, ${fmt(b.invalid_scope)} invalid_scope` : ''));
    parts.push(`<g><title>${title}</title>`
      + `<rect class="chart__hit" x="${(left + i * slot).toFixed(1)}" y="${top}" width="${slot.toFixed(1)}" height="${plotH + 14}"/>`
      + (b.issued ? `<rect class="chart__issued" x="${x.toFixed(1)}" y="${y(b.issued).toFixed(1)}" width="${bar.toFixed(1)}" height="${(base - y(b.issued)).toFixed(1)}" rx="1"/>` : '')
      + (b.introspected ? `<rect class="chart__introspected" x="${(x + bar + 1).toFixed(1)}" y="${y(b.introspected).toFixed(1)}" width="${bar.toFixed(1)}" height="${(base - y(b.introspected)).toFixed(1)}" rx="1"/>` : '')
      + (failures ? `<circle class="chart__failure" cx="${(left + i * slot + slot / 2).toFixed(1)}" cy="${base + 7}" r="2.6"/>` : '')
      + '</g>');
  });
  parts.push(`<line class="chart__axis" x1="${left}" x2="${W - right}" y1="${base}" y2="${base}"/>`);
  const labelAt = (i: number, anchor: string) => {
    const b = buckets[i];
    if (!b) return '';
    const x = left + i * slot + slot / 2;
    return `<text class="chart__tick" x="${x.toFixed(1)}" y="${H - 4}" text-anchor="${anchor}">${escape(when(b))}</text>`;
  };
  parts.push(labelAt(0, 'start'), labelAt(Math.floor(n / 2), 'middle'), labelAt(n - 1, 'end'));

  const sum = (k: 'issued' | 'introspected') => buckets.reduce((t, b) => t + b[k], 0);
  const aria = escape(`${o.label}: ${fmt(sum('issued'))} tokens issued and ${fmt(sum('introspected'))} introspections`);
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${aria}" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg>`;
}
