import { Option, type Command } from 'commander';

import { SIGNING_ALGS } from '../consts/index.js';

import { action, list, str, type Io } from './context.js';
import { CliError, UsageError } from './errors.js';
import { details, table, type Columns } from './output.js';
import { createResourceClient, showResourceClient } from './resource-client.js';
import { apiPath } from './server-client.js';

interface Api {
  identifier: string;
  name: string;
  scopes: { name: string; description: string }[];
  signing_alg: string;
  resource_server_clients: string[];
  system: boolean;
}

const API_COLUMNS: Columns = [['identifier', 'IDENTIFIER'], ['name', 'NAME'], ['scopes', 'SCOPES'], ['signing_alg', 'ALG'], ['resource_server_clients', 'RESOURCE SERVERS']];

const row = (a: Api) => ({ ...a, scopes: a.scopes.map((s) => s.name) });
const showApi = (a: Api) => details({
  ...row(a),
  scopes: a.scopes.map((s) => (s.description ? `${s.name} (${s.description})` : s.name)),
}, ['identifier', 'name', 'scopes', 'signing_alg', 'resource_server_clients', 'system']);

/** `name` or `name=description`; scope names never hold '=' in practice, descriptions may. */
function scopeSpec(spec: string): { name: string; description?: string } {
  const i = spec.indexOf('=');
  if (i === 0) throw new UsageError(`--scope ${spec}: the scope name is missing`);
  return i < 0 ? { name: spec } : { name: spec.slice(0, i), description: spec.slice(i + 1) };
}

// Scope specs keep their spaces (descriptions have them), so no splitting here.
const repeat = (value: string, previous: string[] = []) => [...previous, value];

export function apiCommands(program: Command, io: Io): void {
  const apis = program.command('apis').description('APIs (resource servers): identifiers, scopes, linked resource-server clients');

  apis.command('list').description('List APIs').action(action(io, async (ctx) => {
    const { apis: all } = await (await ctx.admin()).call<{ apis: Api[] }>('GET', '/apis');
    ctx.print(all, () => table(all.map(row), API_COLUMNS));
  }));

  apis.command('get').description('Show one API').argument('<identifier>', 'the API identifier (token audience)')
    .action(action(io, async (ctx, [id]) => {
      const api = await (await ctx.admin()).call<Api>('GET', apiPath(id!));
      ctx.print(api, () => showApi(api));
    }));

  apis.command('create').description('Create an API')
    .argument('<identifier>', 'absolute URI naming the API, e.g. https://orders.example.com')
    .requiredOption('--name <name>', 'display name')
    .option('--scope <name[=description]>', 'a scope of the API (repeatable)', repeat)
    .addOption(new Option('--signing-alg <alg>', 'JWT signing algorithm').choices(SIGNING_ALGS))
    .option('--resource-client <client_name>', 'also register a client for the API\'s resource server and link it; prints its id and secret once')
    .action(action(io, async (ctx, [identifier], opts) => {
      const body = {
        identifier,
        name: str(opts, 'name'),
        scopes: (list(opts, 'scope') ?? []).map(scopeSpec),
        ...(str(opts, 'signingAlg') ? { signing_alg: str(opts, 'signingAlg') } : {}),
      };
      const admin = await ctx.admin();
      const api = await admin.call<Api>('POST', '/apis', body);
      const clientName = str(opts, 'resourceClient');
      if (!clientName) return ctx.print(api, () => showApi(api));
      const client = await createResourceClient(admin, identifier!, clientName);
      const linked = await admin.call<Api>('GET', apiPath(identifier!));
      ctx.print({ ...linked, resource_client: client }, () => `${showApi(linked)}\n\n${showResourceClient(client, identifier!)}`);
    }));

  apis.command('update').description('Change an API; --scope replaces the whole scope list')
    .argument('<identifier>')
    .option('--name <name>', 'display name')
    .option('--scope <name[=description]>', 'the complete new scope list (repeatable)', repeat)
    .addOption(new Option('--signing-alg <alg>', 'JWT signing algorithm').choices(SIGNING_ALGS))
    .action(action(io, async (ctx, [identifier], opts) => {
      const body = {
        ...(str(opts, 'name') ? { name: str(opts, 'name') } : {}),
        ...(list(opts, 'scope') ? { scopes: list(opts, 'scope')!.map(scopeSpec) } : {}),
        ...(str(opts, 'signingAlg') ? { signing_alg: str(opts, 'signingAlg') } : {}),
      };
      if (!Object.keys(body).length) throw new UsageError('nothing to change: give --name, --scope or --signing-alg');
      const api = await (await ctx.admin()).call<Api>('PATCH', apiPath(identifier!), body);
      ctx.print(api, () => showApi(api));
    }));

  apis.command('delete').description('Delete an API').argument('<identifier>')
    .action(action(io, async (ctx, [identifier]) => {
      await (await ctx.admin()).call('DELETE', apiPath(identifier!));
      ctx.print({ deleted: identifier }, () => `deleted ${identifier}`);
    }));

  apis.command('link-client').description('Let a client act as resource server of the API (introspect its tokens, read its revocations)')
    .argument('<identifier>').argument('<client_id>')
    .action(action(io, async (ctx, [identifier, clientId]) => {
      const api = await (await ctx.admin()).call<Api>('POST', `${apiPath(identifier!)}/resource-servers`, { client_id: clientId });
      ctx.print(api, () => showApi(api));
    }));

  apis.command('create-resource-client').description('Register a client for the API\'s resource server and link it; prints its id and secret once')
    .argument('<identifier>')
    .requiredOption('--name <client_name>', 'a name for the client, e.g. orders-api')
    .action(action(io, async (ctx, [identifier], opts) => {
      const admin = await ctx.admin();
      await admin.call<Api>('GET', apiPath(identifier!));
      const client = await createResourceClient(admin, identifier!, str(opts, 'name')!);
      ctx.print(client, () => showResourceClient(client, identifier!));
    }));

  apis.command('unlink-client').description('Remove a resource-server client from the API')
    .argument('<identifier>').argument('<client_id>')
    .action(action(io, async (ctx, [identifier, clientId]) => {
      const api = await (await ctx.admin()).call<Api>('DELETE', `${apiPath(identifier!)}/resource-servers/${encodeURIComponent(clientId!)}`);
      ctx.print(api, () => showApi(api));
    }));

  const scopes = program.command('scopes').description('Scopes of one API (names are unique across APIs)');

  scopes.command('list').argument('<api>', 'API identifier').description('List the scopes of an API')
    .action(action(io, async (ctx, [identifier]) => {
      const api = await (await ctx.admin()).call<Api>('GET', apiPath(identifier!));
      ctx.print(api.scopes, () => table(api.scopes, [['name', 'SCOPE'], ['description', 'DESCRIPTION']]));
    }));

  scopes.command('add').description('Add a scope to an API (or change its description)')
    .argument('<api>', 'API identifier').argument('<scope>', 'scope name')
    .option('--description <text>', 'what the scope allows')
    .action(action(io, async (ctx, [identifier, name], opts) => {
      const admin = await ctx.admin();
      const api = await admin.call<Api>('GET', apiPath(identifier!));
      const description = str(opts, 'description');
      const others = api.scopes.filter((s) => s.name !== name);
      const existing = api.scopes.find((s) => s.name === name);
      const next = [...others, { name: name!, description: description ?? existing?.description ?? '' }];
      const updated = await admin.call<Api>('PATCH', apiPath(identifier!), { scopes: next });
      ctx.print(updated.scopes, () => table(updated.scopes, [['name', 'SCOPE'], ['description', 'DESCRIPTION']]));
    }));

  scopes.command('remove').description('Remove a scope from an API')
    .argument('<api>', 'API identifier').argument('<scope>', 'scope name')
    .action(action(io, async (ctx, [identifier, name]) => {
      const admin = await ctx.admin();
      const api = await admin.call<Api>('GET', apiPath(identifier!));
      if (!api.scopes.some((s) => s.name === name)) throw new CliError(`${identifier} has no scope ${name}`);
      const updated = await admin.call<Api>('PATCH', apiPath(identifier!), { scopes: api.scopes.filter((s) => s.name !== name) });
      ctx.print(updated.scopes, () => table(updated.scopes, [['name', 'SCOPE'], ['description', 'DESCRIPTION']]));
    }));

}
