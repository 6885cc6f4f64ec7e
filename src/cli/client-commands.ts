import { Option, type Command } from 'commander';

import { action, integer, str, type CommandContext, type Io } from './context.js';
import { UsageError } from './errors.js';
import { details, table } from './output.js';

interface RegistrationPolicy {
  allowed_apis?: string[];
  allowed_scopes?: string[];
  all_apis?: boolean;
  token_formats: string[];
  max_access_token_ttl?: number;
}

interface Client {
  client_id: string;
  client_name?: string;
  source: string;
  disabled: boolean;
  scope?: string;
  access_token_strategy?: string;
  access_token_ttl?: number;
  token_endpoint_auth_method?: string;
  application_id?: string;
  key_type?: string;
  registration_policy?: RegistrationPolicy;
  created_at?: string;
  updated_at?: string;
}

interface Rotated {
  client_id: string;
  client_secret: string;
  previous_secret_expires_at: string;
}

interface ClientPage {
  clients: Client[];
  next: string | null;
}

interface RotatedToken {
  client_id: string;
  registration_access_token: string;
  registration_client_uri: string;
}

/** The management API answers at most this many per page. */
const MAX_PAGE = 500;
/** --all stops here rather than paging forever through a server that keeps answering `next`. */
const MAX_PAGES = 10_000;

const clientPath = (id: string) => `/clients/${encodeURIComponent(id)}`;

/** A registration policy in one line: what it allows, which formats, the longest TTL. */
export function policySummary(p: RegistrationPolicy | undefined): string {
  if (!p) return '-';
  const allows = p.all_apis ? 'all APIs' : [...(p.allowed_apis ?? []), ...(p.allowed_scopes ?? [])].join(' ') || 'nothing';
  return [allows, p.token_formats.join('/'), ...(p.max_access_token_ttl ? [`ttl<=${p.max_access_token_ttl}`] : [])].join('; ');
}

const row = (c: Client) => ({
  ...c,
  name: c.client_name,
  state: c.disabled ? 'disabled' : 'enabled',
  policy: policySummary(c.registration_policy),
});

function showClient(c: Client): string {
  return details({ ...row(c) }, [
    'client_id', 'name', 'source', 'state', 'scope', 'access_token_strategy', 'access_token_ttl', 'token_endpoint_auth_method',
    'application_id', 'key_type', 'policy', 'created_at', 'updated_at',
  ]);
}

function printClient(ctx: CommandContext, c: Client): void {
  ctx.print(c, () => showClient(c));
}

export function clientCommands(program: Command, io: Io): void {
  const clients = program.command('clients').description('Every OAuth client: dynamically registered, of an application, or the system\'s own');

  clients.command('list').description('List clients in id order, a page at a time')
    .addOption(new Option('--source <source>', 'only clients of this origin').choices(['registration', 'application', 'system']))
    .option('--limit <n>', `clients per page (at most ${MAX_PAGE})`, integer('--limit', 1))
    .option('--after <cursor>', 'continue after this cursor (the `next` of a previous page)')
    .option('--all', 'follow `next` cursors until the last page')
    .action(action(io, async (ctx, _args, opts) => {
      const limit = typeof opts['limit'] === 'number' ? opts['limit'] : undefined;
      if (limit !== undefined && limit > MAX_PAGE) throw new UsageError(`--limit must be at most ${MAX_PAGE}`);
      const admin = await ctx.admin();
      const all: Client[] = [];
      let after = str(opts, 'after');
      let next: string | null = null;
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        const q = new URLSearchParams({
          ...(str(opts, 'source') ? { source: str(opts, 'source')! } : {}),
          ...(limit ? { limit: String(limit) } : {}),
          ...(after ? { after } : {}),
        });
        const page = await admin.call<ClientPage>('GET', `/clients${q.size ? `?${q.toString()}` : ''}`);
        all.push(...page.clients);
        next = page.next;
        if (!opts['all'] || !next) break;
        after = next;
      }
      const done = opts['all'] ? { clients: all } : { clients: all, next };
      ctx.print(done, () => {
        const t = table(all.map(row), [
          ['client_id', 'CLIENT ID'], ['name', 'NAME'], ['source', 'SOURCE'], ['state', 'STATE'], ['scope', 'SCOPE'],
          ['access_token_strategy', 'FORMAT'], ['access_token_ttl', 'TTL'], ['policy', 'POLICY'],
        ]);
        return !opts['all'] && next ? `${t}\n\nmore: keyforge clients list --after ${next} (or --all)` : t;
      });
    }));

  clients.command('show').alias('get').description('Show one client').argument('<id>', 'client id')
    .action(action(io, async (ctx, [id]) => printClient(ctx, await (await ctx.admin()).call<Client>('GET', clientPath(id!)))));

  clients.command('disable').description('Disable a client: it can no longer authenticate and its tokens are revoked').argument('<id>', 'client id')
    .action(action(io, async (ctx, [id]) => printClient(ctx, await (await ctx.admin()).call<Client>('POST', `${clientPath(id!)}/disable`))));

  clients.command('enable').description('Enable a disabled client again (its revoked tokens stay revoked)').argument('<id>', 'client id')
    .action(action(io, async (ctx, [id]) => printClient(ctx, await (await ctx.admin()).call<Client>('POST', `${clientPath(id!)}/enable`))));

  clients.command('delete').description('Delete a client, its tokens and its registration access tokens').argument('<id>', 'client id')
    .option('--yes', 'confirm: this cannot be undone')
    .action(action(io, async (ctx, [id], opts) => {
      // Scripts and people alike say so explicitly; nothing waits on a prompt.
      if (!opts['yes']) throw new UsageError(`deleting ${id} cannot be undone: add --yes to confirm`);
      await (await ctx.admin()).call('DELETE', clientPath(id!));
      ctx.print({ deleted: id }, () => `deleted client ${id}`);
    }));

  clients.command('rotate-registration-token').description('New RFC 7592 registration access token; earlier ones stop working. Shown once')
    .argument('<id>', 'client id')
    .action(action(io, async (ctx, [id]) => {
      const r = await (await ctx.admin()).call<RotatedToken>('POST', `${clientPath(id!)}/registration-access-token`);
      ctx.print(r, () => `${details({ ...r })}\n\nThe registration access token is shown only now; store it safely.`);
    }));

  clients.command('revoke-registration-token').description('Revoke the client\'s registration access tokens: it can no longer read or change its registration')
    .argument('<id>', 'client id')
    .action(action(io, async (ctx, [id]) => {
      await (await ctx.admin()).call('DELETE', `${clientPath(id!)}/registration-access-token`);
      ctx.print({ revoked: id }, () => `revoked the registration access tokens of ${id}`);
    }));

  clients.command('rotate-secret').description('New client secret without downtime: the current one keeps working for the grace period (default 24 h)')
    .argument('<client_id>')
    .option('--grace <seconds>', 'how long the current secret keeps working (default 86400)', integer('--grace', 0))
    .action(action(io, async (ctx, [id], opts) => {
      const r = await (await ctx.admin()).call<Rotated>('POST', `${clientPath(id!)}/rotate-secret`, typeof opts['grace'] === 'number' ? { grace_seconds: opts['grace'] } : {});
      ctx.print(r, () => `${details({ ...r })}\n\nThe client secret is shown only now; store it safely.`);
    }));

  clients.command('end-previous-secret').description('End a rotation\'s grace period now: the previous secret stops working')
    .argument('<client_id>')
    .action(action(io, async (ctx, [id]) => {
      const r = await (await ctx.admin()).call<Record<string, unknown>>('POST', `${clientPath(id!)}/end-previous-secret`);
      ctx.print(r, () => `the previous secret of ${id} no longer works`);
    }));
}
