import type { Context } from 'koa';

import { badRequest } from './errors.js';

/**
 * Cursor paging shared by every list of the management API: `limit` (a default and a
 * maximum), `after` (an opaque cursor: the sort key of the last row seen), a `next` field and
 * a `Link: <…>; rel="next"` header. Pages follow an indexed sort key rather than an offset, so
 * the 1,000th page costs what the first does wherever the database can use the index.
 */

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

/** JSON Schema properties for the query, to spread into a route's own ajv schema. */
export function pageQueryProperties(defaultLimit = DEFAULT_PAGE_LIMIT, maxLimit = MAX_PAGE_LIMIT) {
  return {
    limit: { type: 'integer', minimum: 1, maximum: maxLimit, description: `Rows per page (default ${defaultLimit}, at most ${maxLimit})` },
    after: { type: 'string', minLength: 1, maxLength: 1000, description: 'Opaque cursor: the `next` of the previous page' },
  } as const;
}

/** The same parameters as OpenAPI query parameters. */
export function pageQueryParameters(defaultLimit = DEFAULT_PAGE_LIMIT, maxLimit = MAX_PAGE_LIMIT) {
  return Object.entries(pageQueryProperties(defaultLimit, maxLimit)).map(([name, { description, ...schema }]) => ({
    name, in: 'query', required: false, description, schema,
  }));
}

/** OpenAPI schema of the `next` field. */
export const nextCursorSchema = {
  type: ['string', 'null'],
  description: 'Cursor of the next page (pass as `after`); null on the last page. The Link header (rel="next") carries the same as a URL.',
} as const;

/**
 * Query strings are text; the names given (`limit` at least) become numbers when they are
 * all digits, so that ajv can check them as integers and name the parameter otherwise.
 */
export function numericQuery(query: Record<string, unknown>, names: readonly string[] = ['limit']): unknown {
  const out: Record<string, unknown> = { ...query };
  for (const name of names) {
    const v = out[name];
    if (typeof v === 'string' && /^\d{1,9}$/.test(v)) out[name] = Number(v);
  }
  return out;
}

/** A cursor is the base64url of a JSON array of strings: the sort key of the last row. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The sort key inside a cursor this server gave, with `parts` strings; anything else is a 400
 * naming `after` (never a 500, never a silently restarted list).
 */
export function decodeCursor(cursor: string, parts: number, param = 'after'): string[] {
  const bad = () => badRequest(`${param}: not a cursor this server gave`);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(key) || key.length !== parts || !key.every((k) => typeof k === 'string' && k.length > 0)) throw bad();
  if (encodeCursor(key as string[]) !== cursor) throw bad();
  return key as string[];
}

export interface Page<T> {
  rows: T[];
  /** Cursor of the next page; null on the last one. */
  next: string | null;
}

/**
 * Cuts `limit + 1` fetched rows into a page: the extra row only says that there is more, so
 * no count is ever needed.
 */
export function pageOf<T>(fetched: T[], limit: number, keyOf: (row: T) => readonly string[]): Page<T> {
  const rows = fetched.slice(0, limit);
  const last = rows[rows.length - 1];
  return { rows, next: fetched.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/**
 * Sets `Link: <url>; rel="next"` (RFC 8288) when there is a next page: the same query with
 * `after` replaced. `base` is the absolute URL of the list, built from ISSUER.
 */
export function setNextLink(ctx: Context, base: string, query: Record<string, unknown>, next: string | null): void {
  if (!next) return;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k === 'after' || v === undefined || v === null) continue;
    params.set(k, String(v));
  }
  params.set('after', next);
  ctx.set('Link', `<${base}?${params.toString()}>; rel="next"`);
}
