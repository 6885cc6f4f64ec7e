import { Option, type Command } from 'commander';

import { action, collect, integer, list, str, type CommandContext, type Io, type Options } from './context.js';
import { UsageError } from './errors.js';
import { listApplicationPages, type ApplicationPage } from './app-list.js';
import { details, table } from './output.js';

interface KeySet {
  key_type: string;
  consumer_key: string;
  scopes: string[];
  access_token_ttl: number;
  created_at: string;
  secret_updated_at: string;
  previous_secret_expires_at?: string;
  dpop_bound?: boolean;
}

interface Application {
  id: string;
  name: string;
  description: string;
  token_type: string;
  access_token_ttl: number;
  subscriptions: string[];
  require_dpop?: boolean;
  key_sets: string[];
  keys?: { production: KeySet | null; sandbox: KeySet | null };
  created_at: string;
}

interface Credentials extends KeySet {
  consumer_secret: string;
  tokens: { api: string; access_token: string; expires_in?: number; scope?: string }[];
  token_error?: { code: string; description: string };
}

const KEY_TYPES = ['production', 'sandbox'];
const appPath = (id: string) => `/applications/${encodeURIComponent(id)}`;
const keyPath = (id: string, type: string) => `${appPath(id)}/keys/${type}`;

function showApp(a: Application): string {
  const head = details({ ...a }, ['id', 'name', 'description', 'token_type', 'access_token_ttl', 'subscriptions', 'require_dpop', 'key_sets', 'created_at']);
  const keys = a.keys ? Object.values(a.keys).filter((k): k is KeySet => !!k) : [];
  return keys.length
    ? `${head}\n\n${table(keys.map((k) => ({ ...k })), [['key_type', 'KEYS'], ['consumer_key', 'CONSUMER KEY'], ['scopes', 'SCOPES'], ['access_token_ttl', 'TTL'], ['dpop_bound', 'DPOP']])}`
    : head;
}

function showCredentials(c: Credentials): string {
  const lines = [
    details({ ...c }, ['key_type', 'consumer_key', 'consumer_secret', 'scopes', 'access_token_ttl', 'previous_secret_expires_at']),
    '',
    'The consumer secret is shown only now; store it safely.',
  ];
  if (c.tokens?.length) lines.push('', table(c.tokens.map((t) => ({ ...t })), [['api', 'API'], ['scope', 'SCOPE'], ['expires_in', 'EXPIRES IN'], ['access_token', 'ACCESS TOKEN']]));
  if (c.token_error) lines.push('', `no first token: ${c.token_error.description}`);
  return lines.join('\n');
}

function keyType(value: string | undefined): string {
  const t = (value ?? '').toLowerCase();
  if (!KEY_TYPES.includes(t)) throw new UsageError(`key type must be production or sandbox, got ${value}`);
  return t;
}

function applicationBody(opts: Options) {
  return {
    ...(str(opts, 'name') !== undefined ? { name: str(opts, 'name') } : {}),
    ...(str(opts, 'description') !== undefined ? { description: str(opts, 'description') } : {}),
    ...(str(opts, 'tokenType') !== undefined ? { token_type: str(opts, 'tokenType') } : {}),
    ...(typeof opts['ttl'] === 'number' ? { access_token_ttl: opts['ttl'] } : {}),
    ...(list(opts, 'subscribe') ? { subscriptions: list(opts, 'subscribe') } : {}),
    ...(typeof opts['requireDpop'] === 'boolean' ? { require_dpop: opts['requireDpop'] } : {}),
  };
}

const withApplicationOptions = (cmd: Command, create: boolean) => cmd
  .option('--description <text>', 'what the application is')
  .addOption(new Option('--token-type <type>', 'JWT, or OAuth for opaque tokens').choices(['JWT', 'OAuth']).makeOptionMandatory(create))
  .option('--ttl <seconds>', 'access token validity; negative: never expires (if the server allows)', integer('--ttl'))
  .option('--subscribe <api>', 'API identifier to subscribe to (repeatable; on update: the complete list)', collect)
  .option('--require-dpop', 'key sets get DPoP-bound tokens only (RFC 9449)')
  .option('--no-require-dpop', 'key sets may get bearer tokens again');

function printApp(ctx: CommandContext, app: Application): void {
  ctx.print(app, () => showApp(app));
}

export function appCommands(program: Command, io: Io): void {
  const apps = program.command('apps').description('Applications: API subscriptions and their production/sandbox key sets');

  apps.command('list').description('List applications in name order, a page at a time')
    .option('--limit <n>', 'applications per page (1-500; default 50)', integer('--limit', 1))
    .option('--after <cursor>', 'the page after this cursor (the NEXT line of the previous page)')
    .option('--search <prefix>', 'only names starting with this (any case)')
    .option('--all', 'follow every page to the end')
    .action(action(io, async (ctx, _args, opts) => {
      const admin = await ctx.admin();
      const { applications, next } = await listApplicationPages(
        (path) => admin.call<ApplicationPage>('GET', path),
        {
          ...(typeof opts['limit'] === 'number' ? { limit: opts['limit'] } : {}),
          ...(str(opts, 'after') !== undefined ? { after: str(opts, 'after')! } : {}),
          ...(str(opts, 'search') !== undefined ? { search: str(opts, 'search')! } : {}),
          all: opts['all'] === true,
        },
      );
      ctx.print(applications, () => {
        const lines = table(applications.map((a) => ({ ...a })), [
          ['id', 'ID'], ['name', 'NAME'], ['token_type', 'TOKEN TYPE'], ['access_token_ttl', 'TTL'], ['subscriptions', 'SUBSCRIPTIONS'], ['key_sets', 'KEYS'],
        ]);
        return next ? `${lines}\nNEXT  --after ${next}` : lines;
      });
    }));

  apps.command('get').description('Show an application and its key sets').argument('<id>')
    .action(action(io, async (ctx, [id]) => printApp(ctx, await (await ctx.admin()).call<Application>('GET', appPath(id!)))));

  withApplicationOptions(apps.command('create').description('Create an application').requiredOption('--name <name>', 'unique name'), true)
    .action(action(io, async (ctx, _args, opts) => {
      printApp(ctx, await (await ctx.admin()).call<Application>('POST', '/applications', applicationBody(opts)));
    }));

  withApplicationOptions(apps.command('update').description('Change an application').argument('<id>').option('--name <name>', 'new name'), false)
    .action(action(io, async (ctx, [id], opts) => {
      const body = applicationBody(opts);
      if (!Object.keys(body).length) throw new UsageError('nothing to change: give at least one option');
      printApp(ctx, await (await ctx.admin()).call<Application>('PATCH', appPath(id!), body));
    }));

  apps.command('delete').description('Delete an application; its key sets\' clients go and their tokens are revoked').argument('<id>')
    .action(action(io, async (ctx, [id]) => {
      await (await ctx.admin()).call('DELETE', appPath(id!));
      ctx.print({ deleted: id }, () => `deleted application ${id}`);
    }));

  const keys = program.command('keys').description('Key sets (consumer key and secret) of an application');
  const keyArgs = (cmd: Command) => cmd.argument('<app>', 'application id').argument('<type>', 'production or sandbox');

  keyArgs(keys.command('generate').description('Generate a key set: a new client and its first tokens; the secret is shown once'))
    .requiredOption('--scope <scope>', 'scope of a subscribed API (repeatable)', collect)
    .option('--ttl <seconds>', 'access token validity; default: the application\'s', integer('--ttl'))
    .action(action(io, async (ctx, [id, type], opts) => {
      const path = keyPath(id!, keyType(type));
      const body = { scopes: list(opts, 'scope'), ...(typeof opts['ttl'] === 'number' ? { access_token_ttl: opts['ttl'] } : {}) };
      const c = await (await ctx.admin()).call<Credentials>('POST', path, body);
      ctx.print(c, () => showCredentials(c));
    }));

  keyArgs(keys.command('get').description('Show a key set'))
    .action(action(io, async (ctx, [id, type]) => {
      const path = keyPath(id!, keyType(type));
      const k = await (await ctx.admin()).call<KeySet>('GET', path);
      ctx.print(k, () => details({ ...k }));
    }));

  keyArgs(keys.command('regenerate-secret').description('New consumer secret: the old one stops working and the key set\'s tokens are revoked'))
    .action(action(io, async (ctx, [id, type]) => {
      const path = `${keyPath(id!, keyType(type))}/regenerate-secret`;
      const c = await (await ctx.admin()).call<Credentials>('POST', path);
      ctx.print(c, () => showCredentials(c));
    }));

  keyArgs(keys.command('rotate-secret').description('New consumer secret without downtime: the current one keeps working for the grace period (default 24 h); issued tokens stay valid'))
    .option('--grace <seconds>', 'how long the current secret keeps working (default 86400)', integer('--grace', 0))
    .action(action(io, async (ctx, [id, type], opts) => {
      const path = `${keyPath(id!, keyType(type))}/rotate-secret`;
      const c = await (await ctx.admin()).call<Credentials>('POST', path, typeof opts['grace'] === 'number' ? { grace_seconds: opts['grace'] } : {});
      ctx.print(c, () => showCredentials(c));
    }));

  keyArgs(keys.command('end-previous-secret').description('End a rotation\'s grace period now: the previous secret stops working'))
    .action(action(io, async (ctx, [id, type]) => {
      const path = `${keyPath(id!, keyType(type))}/end-previous-secret`;
      const k = await (await ctx.admin()).call<KeySet>('POST', path);
      ctx.print(k, () => `the previous secret of the ${type} keys of ${id} no longer works`);
    }));

  keyArgs(keys.command('revoke-tokens').description('Revoke every token of the key set'))
    .action(action(io, async (ctx, [id, type]) => {
      const path = `${keyPath(id!, keyType(type))}/revoke`;
      const r = await (await ctx.admin()).call<{ revoked: number }>('POST', path);
      ctx.print(r, () => `revoked ${r.revoked} token(s)`);
    }));

  keyArgs(keys.command('delete').description('Remove the key set: its client is deleted and its tokens revoked'))
    .action(action(io, async (ctx, [id, type]) => {
      const path = keyPath(id!, keyType(type));
      await (await ctx.admin()).call('DELETE', path);
      ctx.print({ deleted: `${id}/${type}` }, () => `deleted the ${type} keys of ${id}`);
    }));
}
