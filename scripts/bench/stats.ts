// Latency samples kept whole (not bucketed) so p99 has sub-millisecond
// resolution: the targets are 10 and 20 ms, and autocannon's own histogram
// records whole milliseconds and only for 2xx responses.

export class Samples {
  private buf = new Float64Array(1 << 16);
  private n = 0;

  add(value: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = value;
  }

  get count(): number {
    return this.n;
  }

  /** Nearest-rank percentiles, e.g. percentiles([50, 99]). NaN when empty. */
  percentiles(ps: number[]): number[] {
    if (this.n === 0) return ps.map(() => NaN);
    const sorted = this.buf.slice(0, this.n).sort();
    return ps.map((p) => sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))]!);
  }
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}
