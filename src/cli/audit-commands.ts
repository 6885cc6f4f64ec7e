import { InvalidArgumentError, type Command } from 'commander';

import { action, integer, str, type Io } from './context.js';
import { table } from './output.js';

interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target?: string;
  ip?: string;
  details?: Record<string, unknown>;
}

/** The server's default page size. */
const DEFAULT_LIMIT = 100;

interface AuditPage {
  entries: AuditEntry[];
  next_before: string | null;
}

/** Any date the platform can read, sent as the RFC 3339 form the server's `before` expects. */
function instant(value: string): string {
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new InvalidArgumentError('--before must be a date, e.g. 2025-01-31T12:00:00Z.');
  return t.toISOString();
}

/** `keyforge audit-log`: GET /api/audit-log with the same filters, newest first. */
export function auditCommands(program: Command, io: Io): void {
  program.command('audit-log').description('Administrative changes, registrations, key generation and revocations, newest first')
    .option('--limit <n>', 'at most this many entries (1-500; default 100)', integer('--limit', 1))
    .option('--before <date>', 'only entries older than this (page with the NEXT line)', instant)
    .option('--action <action>', 'only this action, e.g. token.revoke or "POST /api/apis"')
    .option('--actor <actor>', 'only this actor, e.g. client:admin or user:alice')
    .option('--target <target>', 'only this target: an API identifier, client id or key id')
    .action(action(io, async (ctx, _args, opts) => {
      const query = new URLSearchParams();
      if (typeof opts['limit'] === 'number') query.set('limit', String(opts['limit']));
      for (const key of ['before', 'action', 'actor', 'target']) {
        const value = str(opts, key);
        if (value !== undefined) query.set(key, value);
      }
      const path = `/audit-log${query.size ? `?${query}` : ''}`;
      const page = await (await ctx.admin()).call<AuditPage>('GET', path);
      ctx.print(page, () => {
        const rows = page.entries.map((e) => ({ ...e, details: e.details ? JSON.stringify(e.details) : undefined }));
        const lines = table(rows, [['at', 'AT'], ['actor', 'ACTOR'], ['action', 'ACTION'], ['target', 'TARGET'], ['ip', 'IP'], ['details', 'DETAILS']]);
        // A full page may have more behind it; a shorter one is the end.
        const full = page.entries.length === (typeof opts['limit'] === 'number' ? opts['limit'] : DEFAULT_LIMIT);
        return full && page.next_before ? `${lines}\nNEXT  --before ${page.next_before}` : lines;
      });
    }));
}
