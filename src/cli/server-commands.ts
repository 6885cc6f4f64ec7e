import { readFile, writeFile } from 'node:fs/promises';

import { Option, type Command } from 'commander';

import { action, collect, integer, list, str, type Io } from './context.js';
import { CliError } from './errors.js';
import { details, table } from './output.js';

interface SigningKey {
  kid: string;
  alg: string;
  status: string;
  created_at: string;
  retired_at?: string;
  imported_at?: string;
  imported_from?: string;
  removed_after?: string | null;
}

/** Whose key: this server's, or one that came with an import (and from where). */
const origin = (k: SigningKey) => (k.imported_at ? `imported${k.imported_from ? ` from ${k.imported_from}` : ''}` : 'own');

interface InitialAccessToken {
  id: string;
  expires_at: string | null;
  description?: string;
  from_env?: boolean;
  initial_access_token?: string;
  all_apis?: boolean;
  allowed_apis?: string[];
  allowed_scopes?: string[];
  remaining_uses?: number | null;
}

const SECRET_CAVEAT = `
Client secrets are exported as the keyed hashes the server stores, and signing keys as
stored (private halves wrapped). Both are bound to KEY_ENCRYPTION_SECRET: the server that
imports the document must run with the same KEY_ENCRYPTION_SECRET as the one that exported
it. The built-in admin client and the management API are not exported.`;

/** A retired key's automatic removal: when, or never (tokens that never expire). */
function removal(k: SigningKey): string {
  if (k.removed_after === undefined) return '';
  return k.removed_after ?? 'never (tokens that never expire)';
}

export function serverCommands(program: Command, io: Io): void {
  const keys = program.command('signing-keys').description('The server\'s token signing keys');

  keys.command('list').description('List signing keys (public halves)').action(action(io, async (ctx) => {
    const { keys: all } = await (await ctx.admin()).call<{ keys: SigningKey[] }>('GET', '/keys');
    ctx.print(all, () => table(all.map((k) => ({ ...k, origin: origin(k), removal: removal(k) })), [['kid', 'KID'], ['alg', 'ALG'], ['status', 'STATUS'], ['created_at', 'CREATED'], ['retired_at', 'RETIRED'], ['removal', 'REMOVED AFTER'], ['origin', 'ORIGIN']]));
  }));

  keys.command('rotate').description('New signing keys; the old ones stay published (retired) so their tokens keep verifying')
    .addOption(new Option('--alg <alg>', 'only this algorithm (repeatable); default: all').choices(['RS256', 'ES256', 'EdDSA']).argParser((v: string, p: string[] = []) => [...p, v]))
    .action(action(io, async (ctx, _args, opts) => {
      const algs = list(opts, 'alg');
      const r = await (await ctx.admin()).call<{ rotated: string[] }>('POST', '/keys/rotate', algs ? { algs } : {});
      ctx.print(r, () => `new signing keys: ${r.rotated.join(', ')}`);
    }));

  keys.command('remove').description('Remove a retired key (tokens it signed stop verifying)').argument('<kid>')
    .action(action(io, async (ctx, [kid]) => {
      await (await ctx.admin()).call('DELETE', `/keys/${encodeURIComponent(kid!)}`);
      ctx.print({ removed: kid }, () => `removed ${kid}`);
    }));

  const iat = program.command('initial-access-tokens').description('Initial access tokens for dynamic client registration (RFC 7591)');

  iat.command('create').description('Create one with its registration policy; its value is shown once')
    .option('--api <identifier>', 'clients may register scopes of this API (repeatable)', collect)
    .option('--scope <name>', 'clients may register this scope (repeatable)', collect)
    .addOption(new Option('--format <format>', 'token format allowed (repeatable); default: both').choices(['jwt', 'opaque']).argParser((v: string, p: string[] = []) => [...p, v]))
    .option('--max-ttl <seconds>', 'longest access_token_ttl a client may register', integer('--max-ttl', 1))
    .option('--max-uses <n>', 'registrations it allows (default 1)', integer('--max-uses', 1))
    .option('--unlimited-uses', 'no limit on registrations')
    .option('--expires-in <seconds>', 'lifetime (>= 60); default: one day', integer('--expires-in', 60))
    .option('--description <text>', 'what it is for')
    .action(action(io, async (ctx, _args, opts) => {
      const apis = list(opts, 'api');
      const scopes = list(opts, 'scope');
      const formats = list(opts, 'format');
      const body = {
        ...(apis ? { allowed_apis: apis } : {}),
        ...(scopes ? { allowed_scopes: scopes } : {}),
        ...(formats ? { token_formats: formats } : {}),
        ...(typeof opts['maxTtl'] === 'number' ? { max_access_token_ttl: opts['maxTtl'] } : {}),
        ...(typeof opts['maxUses'] === 'number' ? { max_uses: opts['maxUses'] } : {}),
        ...(opts['unlimitedUses'] ? { max_uses: null } : {}),
        ...(typeof opts['expiresIn'] === 'number' ? { expires_in: opts['expiresIn'] } : {}),
        ...(str(opts, 'description') ? { description: str(opts, 'description') } : {}),
      };
      const t = await (await ctx.admin()).call<InitialAccessToken>('POST', '/initial-access-tokens', body);
      ctx.print(t, () => details({ ...t }, ['id', 'initial_access_token', 'expires_at', 'max_uses', 'allowed_apis', 'allowed_scopes', 'token_formats', 'max_access_token_ttl', 'description']));
    }));

  iat.command('list').description('List live ones (ids only: values are not kept)').action(action(io, async (ctx) => {
    const { initial_access_tokens: all } = await (await ctx.admin()).call<{ initial_access_tokens: InitialAccessToken[] }>('GET', '/initial-access-tokens');
    ctx.print(all, () => table(all.map((t) => ({ ...t, allows: t.all_apis ? 'all APIs' : [...(t.allowed_apis ?? []), ...(t.allowed_scopes ?? [])].join(' ') })), [['id', 'ID'], ['expires_at', 'EXPIRES'], ['remaining_uses', 'USES LEFT'], ['allows', 'ALLOWS'], ['from_env', 'FROM ENV'], ['description', 'DESCRIPTION']]));
  }));

  iat.command('revoke').description('Revoke one').argument('<id>').action(action(io, async (ctx, [id]) => {
    await (await ctx.admin()).call('DELETE', `/initial-access-tokens/${encodeURIComponent(id!)}`);
    ctx.print({ revoked: id }, () => `revoked ${id}`);
  }));

  program.command('export').description('Export the configuration as one JSON document (APIs, clients, applications, signing keys)')
    .option('--file <path>', 'write here (mode 0600) instead of standard output')
    .addHelpText('after', SECRET_CAVEAT)
    .action(action(io, async (ctx, _args, opts) => {
      const doc = await (await ctx.admin()).call<Record<string, unknown[]>>('GET', '/export');
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      const file = str(opts, 'file');
      if (!file) {
        io.out(text.trimEnd());
        return;
      }
      // Hashed secrets and wrapped keys are still worth protecting.
      await writeFile(file, text, { mode: 0o600 });
      const counts = countsOf(doc);
      ctx.print({ file, ...counts }, () => `exported ${describe(counts)} to ${file}`);
    }));

  program.command('import').description('Apply an exported (or hand-written) document: entries are created or replaced by id, nothing is removed')
    .requiredOption('--file <path>', 'the document; - reads standard input')
    .addHelpText('after', SECRET_CAVEAT)
    .action(action(io, async (ctx, _args, opts) => {
      const file = str(opts, 'file')!;
      let text: string;
      try {
        text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new CliError(`${file} is not valid JSON`);
      }
      const r = await (await ctx.admin()).call<{ imported: Record<string, number> }>('POST', '/import', doc);
      ctx.print(r, () => `imported ${describe(r.imported)}`);
    }));
}

function countsOf(doc: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['apis', 'clients', 'applications', 'signing_keys']) {
    out[key] = Array.isArray(doc[key]) ? doc[key].length : 0;
  }
  return out;
}

const describe = (counts: Record<string, number>) =>
  Object.entries(counts).map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', ');
