import type { ApplicationListQuery } from '../applications/index.js';

/** Rows per page of the portal's application list. */
export const PORTAL_PAGE = 50;

const first = (v: unknown): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() ? s.trim() : undefined;
};

/**
 * `?q=` (a name prefix) and `?after=` (the cursor of the previous page) from the list's URL.
 * A search longer than any name cannot match; it is cut rather than refused.
 */
export function listPageQuery(query: Record<string, unknown>): ApplicationListQuery {
  const search = first(query['q'])?.slice(0, 100);
  const after = first(query['after'])?.slice(0, 1000);
  return { limit: PORTAL_PAGE, ...(search ? { search } : {}), ...(after ? { after } : {}) };
}

export function listPageHref(search: string | undefined, after?: string): string {
  const params = new URLSearchParams();
  if (search) params.set('q', search);
  if (after) params.set('after', after);
  const qs = params.toString();
  return `/portal/applications${qs ? `?${qs}` : ''}`;
}
