import type { Context } from 'koa';
import type { Collection, Filter } from 'mongodb';

import type { ApiRegistry } from '../apis/index.js';
import { assertValid, badRequest, compile } from '../http/index.js';
import type { TokenRecord } from '../store/index.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';


const PAGE_SIZE = 1000;
/**
 * Each answer's cursor starts this far back, so the next poll reads the last few seconds
 * again: a revocation written by another instance whose clock is a little behind, or whose
 * write landed just after our read, is still seen. Pollers keep a set, so repeats cost nothing.
 */
const OVERLAP_MS = 5000;

export interface RevocationFeedDeps extends ClientAuthDeps {
  tokens: Collection<TokenRecord>;
  registry: ApiRegistry;
  adminClientId: string;
  endpointUrl: string;
}

interface Cursor {
  t: number;
  id: string;
}

const validateQuery = compile<{ since?: string }>({
  type: 'object',
  properties: {
    since: { type: 'string', maxLength: 1024, pattern: '^[A-Za-z0-9_-]*$', expects: 'the cursor of a previous response' },
  },
  additionalProperties: false,
});

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([c.t, c.id])).toString('base64url');

function decodeCursor(value: string): Cursor {
  try {
    const [t, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown[];
    if (typeof t === 'number' && Number.isSafeInteger(t) && t >= 0 && typeof id === 'string') return { t, id };
  } catch {
    // fall through to the 400
  }
  throw badRequest('since is not a cursor this server gave out');
}

/**
 * Revoked JWTs that have not expired yet, in revocation order, for resource servers that
 * verify JWTs locally and need to learn of revocations within a bounded delay
 * (the @keyforge/resource-server kit in packages/resource-server polls this). A client sees the tokens of the APIs it is a linked
 * resource server of; the admin client sees all. Opaque tokens are not listed: they are
 * introspected, which already answers for revocation.
 *
 * GET /token/revocations[?since=<cursor>] with client authentication (Basic) answers
 * { revoked: [{ jti, exp }], cursor, has_more, audiences, all_audiences }.
 */
export function revocationFeedEndpoint(d: RevocationFeedDeps) {
  return async function revocationFeed(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    // A GET has no form: Basic is the one client authentication it can carry.
    const caller = await authenticateClient(ctx, new Map(), d, d.endpointUrl);
    const query = { ...ctx.query };
    assertValid(validateQuery, query);
    const since = query.since ? decodeCursor(query.since) : undefined;

    await d.registry.refresh();
    const all = caller.clientId === d.adminClientId;
    const audiences = all
      ? []
      : d.registry.list().filter((a) => a.resource_server_clients.includes(caller.clientId)).map((a) => a.identifier);
    const now = Date.now();
    const restart = encodeCursor({ t: Math.max(0, now - OVERLAP_MS), id: '' });
    if (!all && !audiences.length) {
      ctx.body = { revoked: [], cursor: restart, has_more: false, audiences, all_audiences: false };
      return;
    }

    const filter: Filter<TokenRecord> = {
      format: 'jwt',
      revoked: true,
      expiresAt: { $gt: new Date(now) },
      ...(all ? {} : { aud: { $in: audiences } }),
      ...(since
        ? { $or: [{ revoked_at: { $gt: new Date(since.t) } }, { revoked_at: new Date(since.t), _id: { $gt: since.id } }] }
        : {}),
    };
    const docs = await d.tokens
      // One batch for the whole page: no cursor is left open on the server between batches
      // (FerretDB v1 holds a SQLite connection for each, which can exhaust its pool under load).
      .find(filter, {
        projection: { _id: 1, jti: 1, exp: 1, revoked_at: 1 },
        sort: { revoked_at: 1, _id: 1 },
        limit: PAGE_SIZE + 1,
        batchSize: PAGE_SIZE + 1,
      })
      .toArray();
    const hasMore = docs.length > PAGE_SIZE;
    const page = docs.slice(0, PAGE_SIZE);
    const last = page.at(-1);
    ctx.body = {
      revoked: page.map((r) => ({ jti: r.jti ?? r._id.replace(/^jwt:/, ''), exp: r.exp })),
      // A full page continues exactly after its last entry; otherwise the next poll starts a little back (OVERLAP_MS).
      cursor: hasMore && last?.revoked_at ? encodeCursor({ t: last.revoked_at.getTime(), id: last._id }) : restart,
      has_more: hasMore,
      audiences,
      all_audiences: all,
    };
  };
}
