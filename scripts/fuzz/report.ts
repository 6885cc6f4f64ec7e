// Counts by endpoint group and status, and the full story of every 5xx (and every request
// that got no answer at all).

import type { Answer, FuzzRequest } from './http-client.js';

export interface Finding {
  kind: string;
  request: FuzzRequest;
  status?: number;
  answer?: string;
}

const SHOWN_PER_SIGNATURE = 20;

export class Tally {
  readonly byGroup = new Map<string, Map<string, number>>();
  readonly byStatus = new Map<string, number>();
  readonly findings: Finding[] = [];
  sent = 0;
  /** The last changes that succeeded: what led up to the first 5xx (state, not input, may be the cause). */
  readonly #recentChanges: string[] = [];
  beforeFirst5xx: string[] | undefined;
  /** Successful changes whose path or body names something protected (ids, scopes): leads when the post-check fails. */
  readonly touchedProtected: string[] = [];
  watch: string[] = [];
  /** Tokens whose every mention is kept (protected clients' tokens): value -> owner id. */
  watchTokens: ReadonlyMap<string, { owner: { id: string } }> = new Map();
  /** Every answered request that named a watched id or token, any status, by what it named. */
  readonly mentions = new Map<string, string[]>();
  readonly #t0 = Date.now();

  /** Remembers successful changes; at the first 5xx, keeps the ones before it. */
  observe(req: FuzzRequest, status: number): void {
    if (status >= 500 && !this.beforeFirst5xx) this.beforeFirst5xx = [...this.#recentChanges];
    this.#remember(req, status);
    if (status < 200 || status >= 300 || req.method === 'GET' || req.method === 'HEAD') return;
    const text = `${req.path} ${req.body === undefined ? '' : Buffer.isBuffer(req.body) ? req.body.toString('latin1') : req.body}`;
    // Token requests change nothing protected (revocations of protected tokens are never sent with authority).
    const named = /^\/token/.test(req.path) ? [] : this.watch.filter((w) => text.includes(w) || text.includes(encodeURIComponent(w)));
    if (named.length && this.touchedProtected.length < 200) {
      this.touchedProtected.push(`${req.method} ${req.path.slice(0, 200)} -> ${status} (names ${named.join(', ')})${req.body !== undefined ? ` ${excerpt(req.body, 300)}` : ''}`);
    }
    this.#recentChanges.push(`${req.method} ${req.path.slice(0, 200)} -> ${status}${req.body !== undefined ? ` ${excerpt(req.body, 160)}` : ''}`);
    if (this.#recentChanges.length > 15) this.#recentChanges.shift();
  }

  /** Keeps the requests that named a protected client, API, application or token (a bounded number each). */
  #remember(req: FuzzRequest, status: number): void {
    // Token requests name their own client: thousands of them, none of them a change.
    if (/^\/token(\?|$)/.test(req.path)) return;
    const body = req.body === undefined ? '' : Buffer.isBuffer(req.body) ? req.body.toString('latin1') : req.body;
    const text = `${req.path} ${req.headers.map(([n, v]) => `${n}: ${v}`).join(' ')} ${body.length > 100_000 ? body.slice(0, 100_000) : body}`;
    const named = this.watch.filter((w) => text.includes(w) || text.includes(encodeURIComponent(w)));
    for (const m of text.matchAll(/[\w-]{20,}(?:\.[\w-]+){0,2}/g)) {
      if (this.watchTokens.has(m[0])) named.push(m[0]);
    }
    if (!named.length) return;
    const line = `+${((Date.now() - this.#t0) / 1000).toFixed(1)} s ${req.method} ${req.path.slice(0, 160)} -> ${status} [${req.headers.map(([n, v]) => `${n}: ${v.slice(0, 50)}`).join('; ')}]` +
      `${req.body !== undefined ? ` ${excerpt(req.body, 200)}` : ''}`;
    for (const key of named) {
      const list = this.mentions.get(key) ?? [];
      if (list.length < 300) list.push(line);
      this.mentions.set(key, list);
    }
  }

  count(group: string, status: string): void {
    this.sent++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    let g = this.byGroup.get(group);
    if (!g) this.byGroup.set(group, (g = new Map()));
    g.set(status, (g.get(status) ?? 0) + 1);
  }

  serverErrors(): number {
    let n = 0;
    for (const [status, count] of this.byStatus) if (/^5/.test(status)) n += count;
    return n;
  }

  noAnswers(): number {
    return this.byStatus.get('no answer') ?? 0;
  }

  table(): string {
    const statuses = [...this.byStatus.keys()].sort();
    const groups = [...this.byGroup.keys()].sort();
    const width = Math.max(16, ...groups.map((g) => g.length));
    const head = `${'group'.padEnd(width)} | ${statuses.map((s) => s.padStart(7)).join(' | ')} |   total`;
    const rows = groups.map((g) => {
      const counts = this.byGroup.get(g)!;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      return `${g.padEnd(width)} | ${statuses.map((s) => String(counts.get(s) ?? '').padStart(7)).join(' | ')} | ${String(total).padStart(7)}`;
    });
    const totals = `${'all'.padEnd(width)} | ${statuses.map((s) => String(this.byStatus.get(s)).padStart(7)).join(' | ')} | ${String(this.sent).padStart(7)}`;
    const rule = '-'.repeat(head.length);
    return [head, rule, ...rows, rule, totals].join('\n');
  }
}

const excerpt = (b: Buffer | string | undefined, n = 400) => {
  if (b === undefined) return '';
  const s = Buffer.isBuffer(b) ? b.toString('latin1') : b;
  return JSON.stringify(s.length > n ? `${s.slice(0, n)}… (${s.length} bytes)` : s);
};

/** The request as a reader (or curl) needs it to reproduce the answer. */
export function describeRequest(req: FuzzRequest): string {
  const headers = req.headers.map(([k, v]) => `    ${k}: ${v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v}`).join('\n');
  return `  ${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}… (${req.path.length} chars)` : req.path}\n${headers}${req.body !== undefined ? `\n    body: ${excerpt(req.body)}` : ''}`;
}

export function describeAnswer(a: Answer): string {
  return `  -> ${a.status} ${a.headers['content-type'] ?? ''}\n    ${excerpt(a.body)}`;
}

/** Every finding, but only a few per "METHOD group status" so that one bug does not drown the rest. */
export function printFindings(findings: Finding[], out: (line: string) => void): void {
  const shown = new Map<string, number>();
  for (const f of findings) {
    const signature = `${f.kind} ${f.request.method} ${f.request.group} ${f.request.path.replace(/[?].*$/, '').replace(/\/[^/]{12,}/g, '/…')}`;
    const n = (shown.get(signature) ?? 0) + 1;
    shown.set(signature, n);
    if (n > SHOWN_PER_SIGNATURE) continue;
    out(`\n[${f.kind}] ${f.status ?? ''}`);
    out(describeRequest(f.request));
    if (f.answer) out(f.answer);
  }
  const hidden = [...shown].filter(([, n]) => n > SHOWN_PER_SIGNATURE);
  for (const [sig, n] of hidden) out(`  (${n - SHOWN_PER_SIGNATURE} more like: ${sig})`);
}
