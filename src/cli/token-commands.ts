import type { Command } from 'commander';

import { action, collect, str, type CommandContext, type Io, type Options } from './context.js';
import { CliError } from './errors.js';

export function tokenCommands(program: Command, io: Io): void {
  program
    .command('token')
    .description('Get an access token with the client credentials grant')
    .requiredOption('--client-id <id>', 'the client (consumer key) to get a token for')
    .requiredOption('--client-secret <secret>', 'its secret (consumer secret)')
    .option('--scope <scope>', 'scope to ask for (repeatable); default: all the client may have at one API', collect)
    .option('--resource <uri>', 'the API identifier (RFC 8707), when the scopes do not name it')
    .option('-q, --quiet', 'print only the access token')
    .action(action(io, async (ctx, _args, opts) => {
      const server = await ctx.server();
      const scope = opts['scope'] as string[] | undefined;
      const resource = str(opts, 'resource');
      const t = await server.clientCredentials(
        { clientId: str(opts, 'clientId')!, clientSecret: str(opts, 'clientSecret')! },
        { ...(scope?.length ? { scope: scope.join(' ') } : {}), ...(resource ? { resource } : {}) },
      );
      if (opts['quiet'] === true && !ctx.json) {
        io.out(t.access_token);
        return;
      }
      ctx.print(t, () => [
        `access_token  ${t.access_token}`,
        `token_type    ${t.token_type}`,
        `expires_in    ${t.expires_in ?? 'never'}`,
        `scope         ${t.scope ?? '-'}`,
      ].join('\n'));
    }));

  const asClient = (cmd: Command) => cmd
    .option('--client-id <id>', 'authenticate as this client instead of the admin client')
    .option('--client-secret <secret>', 'its secret');

  asClient(program
    .command('introspect')
    .description('Introspect a token (RFC 7662): is it active, for whom, with which scopes')
    .argument('<token>', 'the access token'))
    .action(action(io, async (ctx, [token], opts) => {
      const { server, credentials } = await callerOf(ctx, opts);
      const r = await server.introspect(credentials, token!);
      ctx.print(r, () => (r['active'] === true
        ? Object.entries(r).map(([k, v]) => `${k.padEnd(10)}  ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('\n')
        : 'active      false'));
    }));

  asClient(program
    .command('revoke')
    .description('Revoke a token (RFC 7009); JWTs too: resource servers using the kit refuse it within their bound')
    .argument('<token>', 'the access token'))
    .action(action(io, async (ctx, [token], opts) => {
      const { server, credentials } = await callerOf(ctx, opts);
      await server.revoke(credentials, token!);
      ctx.print({ revoked: true }, () => 'revoked (or was not an active token of this caller: RFC 7009 does not tell)');
    }));
}

async function callerOf(ctx: CommandContext, opts: Options) {
  const id = str(opts, 'clientId');
  const secret = str(opts, 'clientSecret');
  if (id || secret) {
    if (!id || !secret) throw new CliError('--client-id and --client-secret go together');
    return { server: await ctx.server(), credentials: { clientId: id, clientSecret: secret } };
  }
  const admin = await ctx.admin();
  return { server: admin.server, credentials: admin.credentials };
}
