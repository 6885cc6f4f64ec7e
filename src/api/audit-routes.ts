import type Router from '@koa/router';

import { AUDIT_ACTIONS, MANAGEMENT_ROUTE_ACTIONS, type AuditAction } from '../audit/index.js';
import type { AdminState } from './admin-auth.js';
import { assertValid, compile } from '../http/index.js';
import type { Services } from '../services.js';

interface AuditQuery {
  limit?: number;
  before?: string;
  action?: AuditAction;
  actor?: string;
  target?: string;
}

const validateQuery = compile<AuditQuery>({
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 500 },
    before: { type: 'string', format: 'date-time' },
    action: { type: 'string', enum: [...AUDIT_ACTIONS] },
    actor: { type: 'string', maxLength: 300 },
    target: { type: 'string', maxLength: 500 },
  },
  additionalProperties: false,
});

/**
 * Every successful change through the management API is recorded; GET /audit-log reads the
 * log newest first (page with `before`).
 */
export function auditRoutes(router: Router, s: Services): void {
  router.use(async (ctx, next) => {
    await next();
    if (ctx.status >= 400) return;
    const route = (ctx as { _matchedRoute?: string })._matchedRoute;
    const action = route ? MANAGEMENT_ROUTE_ACTIONS[`${ctx.method} ${route}`] : undefined;
    if (!action) return;
    const token = (ctx.state as Partial<AdminState>).token;
    // Route parameters arrive decoded once already; a creation names what it created.
    const created = ctx.body && typeof ctx.body === 'object' ? ctx.body as Record<string, unknown> : {};
    const target = ctx.params?.['id'] ?? ctx.params?.['kid']
      ?? [created['id'], created['identifier'], created['kid']].find((v): v is string => typeof v === 'string');
    const extra = (ctx.state as { auditDetails?: Record<string, unknown> }).auditDetails;
    void s.audit.record({
      actor: token ? `client:${token.record.client_id}` : 'unknown',
      action,
      ...(target ? { target } : {}),
      ip: ctx.ip,
      details: { status: ctx.status, ...(ctx.params ?? {}), ...extra },
    });
  });

  router.get('/audit-log', async (ctx) => {
    const { limit, ...rest } = ctx.query;
    // Query strings are text; only `limit` is a number, and only when it is all digits.
    const query: unknown = {
      ...rest,
      ...(limit !== undefined ? { limit: typeof limit === 'string' && /^\d+$/.test(limit) ? Number(limit) : limit } : {}),
    };
    assertValid(validateQuery, query);
    const entries = await s.audit.list({
      limit: query.limit ?? 100,
      ...(query.before ? { before: new Date(query.before) } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.actor ? { actor: query.actor } : {}),
      ...(query.target ? { target: query.target } : {}),
    });
    ctx.body = {
      entries: entries.map(({ _id, ...e }) => ({ id: _id, ...e })),
      next_before: entries.length ? entries[entries.length - 1]!.at : null,
    };
  });
}
