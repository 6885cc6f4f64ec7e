import type { Command } from 'commander';

import { action, str, type Io } from './context.js';
import { CliError } from './errors.js';
import { forgetLogin, saveLogin } from './profile.js';

export function loginCommands(program: Command, io: Io): void {
  program
    .command('login')
    .description('Check admin client credentials against the server and remember them for later commands')
    .option('--client-id <id>', 'admin client id (env KEYFORGE_CLIENT_ID)')
    .option('--client-secret <secret>', 'admin client secret (env KEYFORGE_CLIENT_SECRET)')
    .addHelpText('after', `
The server comes from --url or KEYFORGE_URL. The credentials are kept, for this server only,
in $KEYFORGE_CONFIG_DIR or ~/.config/keyforge/credentials.json (mode 0600); every later
command fetches a fresh admin token with them. In CI, set KEYFORGE_URL, KEYFORGE_CLIENT_ID
and KEYFORGE_CLIENT_SECRET instead of logging in.`)
    .action(action(io, async (ctx, _args, opts) => {
      const clientId = str(opts, 'clientId') ?? io.env['KEYFORGE_CLIENT_ID'];
      const clientSecret = str(opts, 'clientSecret') ?? io.env['KEYFORGE_CLIENT_SECRET'];
      if (!clientId || !clientSecret) {
        throw new CliError('login needs --client-id and --client-secret (or KEYFORGE_CLIENT_ID and KEYFORGE_CLIENT_SECRET)');
      }
      const server = await ctx.server();
      // An admin token is the proof: the credentials work and carry the admin scope.
      await server.adminToken({ clientId, clientSecret });
      const file = await saveLogin(io.env, server.url, { clientId, clientSecret });
      ctx.print({ url: server.url, client_id: clientId, credentials_file: file },
        () => `logged in to ${server.url} as ${clientId} (credentials saved in ${file})`);
    }));

  program
    .command('logout')
    .description('Forget the credentials saved for the server')
    .action(action(io, async (ctx) => {
      const target = (await ctx.server()).url;
      const forgot = await forgetLogin(io.env, target);
      ctx.print({ url: target, logged_out: forgot }, () => (forgot ? `logged out of ${target}` : `was not logged in to ${target}`));
    }));
}
