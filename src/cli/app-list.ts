/** One page of GET /applications, as far as the CLI reads it. */
export interface ApplicationPage {
  applications: { id: string; name: string; [field: string]: unknown }[];
  next: string | null;
}

export interface ApplicationListOptions {
  limit?: number;
  after?: string;
  search?: string;
  /** Follow `next` to the last page. */
  all: boolean;
}

/** Pages --all asks for at most: 500 × 10,000 = five million applications, then it stops. */
const MAX_PAGES = 10_000;

/**
 * One page, or with `all` every page from `after` on, joined. `next` is what is left: null
 * after --all, or the cursor of the page after the one shown.
 */
export async function listApplicationPages(
  get: (path: string) => Promise<ApplicationPage>,
  o: ApplicationListOptions,
): Promise<ApplicationPage> {
  const applications: ApplicationPage['applications'] = [];
  let after = o.after;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const query = new URLSearchParams();
    // --all without --limit asks for the largest pages: fewer round trips.
    const limit = o.limit ?? (o.all ? 500 : undefined);
    if (limit !== undefined) query.set('limit', String(limit));
    if (o.search) query.set('search', o.search);
    if (after) query.set('after', after);
    const page = await get(`/applications${query.size ? `?${query}` : ''}`);
    applications.push(...page.applications);
    after = page.next ?? undefined;
    if (!o.all || !page.next) return { applications, next: o.all ? null : page.next ?? null };
  }
  return { applications, next: after ?? null };
}
