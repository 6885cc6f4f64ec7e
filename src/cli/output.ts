/** Plain-text tables and key/value lists for people; `--json` bypasses all of this. */

function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.map(cell).join(', ') : '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).replace(/\s+/g, ' ');
}

export type Columns = [key: string, header: string][];

export function table(rows: Record<string, unknown>[], columns: Columns): string {
  if (!rows.length) return '(none)';
  const cells = rows.map((r) => columns.map(([key]) => cell(r[key])));
  const widths = columns.map(([, header], i) => Math.max(header.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(columns.map(([, h]) => h)), ...cells.map(line)].join('\n');
}

/** One object as `key  value` lines; `keys` picks and orders them. */
export function details(obj: Record<string, unknown>, keys: string[] = Object.keys(obj)): string {
  const present = keys.filter((k) => obj[k] !== undefined);
  const width = Math.max(0, ...present.map((k) => k.length));
  return present.map((k) => `${k.padEnd(width)}  ${cell(obj[k])}`).join('\n');
}
