import type Router from '@koa/router';

import { AUDIT_ACTIONS, MANAGEMENT_ROUTE_ACTIONS, type AuditAction } from '../audit/index.js';
import { principalOfApi } from '../accounts/api-access.js';
import type { AdminState } from './admin-auth.js';
import { assertValid, badRequest, compile } from '../http/index.js';
import { decodeCursor, nextCursorSchema, numericQuery, pageOf, pageQueryProperties, setNextLink } from '../http/paging.js';
import type { Services } from '../services.js';

interface AuditQuery {
  limit?: number;
  after?: string;
  before?: string;
  action?: AuditAction;
  actor?: string;
  target?: string;
}

const DEFAULT_LIMIT = 100;

const queryProperties = {
  ...pageQueryProperties(DEFAULT_LIMIT, 500),
  before: { type: 'string', format: 'date-time', description: 'Only entries older than this (kept for older callers; `after` never skips entries of the same millisecond)' },
  action: { type: 'string', enum: [...AUDIT_ACTIONS], description: 'Only this action, e.g. token.revoke or api.create' },
  actor: { type: 'string', maxLength: 300, description: 'Only this actor: client:<id>, user:<name> or system' },
  target: { type: 'string', maxLength: 500, description: 'Only this target: an API identifier, a client id, a key id' },
} as const;

const validateQuery = compile<AuditQuery>({
  type: 'object',
  properties: queryProperties,
  additionalProperties: false,
});

function auditCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 2);
  const when = new Date(at!);
  if (Number.isNaN(when.getTime())) throw badRequest('after: not a cursor this server gave');
  return { at: when, id: id! };
}

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
    const person = principalOfApi(ctx)?.username;
    // Route parameters arrive decoded once already; a creation names what it created.
    const created = ctx.body && typeof ctx.body === 'object' ? ctx.body as Record<string, unknown> : {};
    const target = ctx.params?.['id'] ?? ctx.params?.['kid']
      ?? [created['id'], created['identifier'], created['kid']].find((v): v is string => typeof v === 'string');
    const extra = (ctx.state as { auditDetails?: Record<string, unknown> }).auditDetails;
    void s.audit.record({
      actor: person ? `user:${person}` : token ? `client:${token.record.client_id}` : 'unknown',
      action,
      ...(target ? { target } : {}),
      ip: ctx.ip,
      details: { status: ctx.status, ...(ctx.params ?? {}), ...extra },
    });
  });

  router.get('/audit-log', async (ctx) => {
    const query = numericQuery(ctx.query);
    assertValid(validateQuery, query);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const fetched = await s.audit.list({
      limit: limit + 1,
      ...(query.after ? { after: auditCursor(query.after) } : {}),
      ...(query.before ? { before: new Date(query.before) } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.actor ? { actor: query.actor } : {}),
      ...(query.target ? { target: query.target } : {}),
    });
    const page = pageOf(fetched, limit, (e) => [e.at.toISOString(), e._id]);
    setNextLink(ctx, `${s.config.issuer}/api/audit-log`, { ...query, before: undefined }, page.next);
    ctx.body = {
      entries: page.rows.map(({ _id, ...e }) => ({ id: _id, ...e })),
      next: page.next,
      next_before: page.rows.length ? page.rows[page.rows.length - 1]!.at : null,
    };
  });
}

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errorRef = { $ref: '#/components/schemas/Error' };

/** The audit log in the OpenAPI document; its query parameters are the ones validated above. */
export const auditOpenApi = {
  paths: {
    '/audit-log': {
      get: {
        summary: 'Read the audit log, newest first; page with after=next (or, as before, before=next_before)',
        parameters: Object.entries(queryProperties).map(([name, { description, ...schema }]) => ({
          name, in: 'query', required: false, description, schema,
        })),
        responses: {
          200: {
            description: 'A page of entries',
            ...json({
              type: 'object',
              properties: {
                entries: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } },
                next: nextCursorSchema,
                next_before: { type: ['string', 'null'], format: 'date-time', description: 'Pass as before for the next page (older form; entries sharing that millisecond are skipped)' },
              },
            }),
          },
          400: { description: 'Invalid query; the description names the parameter', ...json(errorRef) },
          401: { description: 'Missing or invalid bearer token', ...json(errorRef) },
          403: { description: 'The token lacks the admin scope', ...json(errorRef) },
        },
      },
    },
  },
  schemas: {
    AuditEntry: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        actor: { type: 'string', description: 'client:<id> for API callers, user:<name> for portal users, system' },
        action: { type: 'string' },
        target: { type: 'string', description: 'What was acted on; never a secret' },
        ip: { type: 'string' },
        details: { type: 'object', description: 'Further non-secret facts (status, key type, scopes)' },
      },
      required: ['id', 'at', 'actor', 'action'],
    },
  },
};
