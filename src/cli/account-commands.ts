import { Option, type Command } from 'commander';

import { action, str, type Io } from './context.js';
import { details, table } from './output.js';

interface Account {
  username: string;
  role: string;
  status: string;
  email: string | null;
  created_at: string;
  invitation_url?: string;
  invitation_expires_at?: string | null;
}

interface Usage {
  application_id: string;
  key_sets: { key_type: string; last_24_hours: Record<string, number>; last_30_days: Record<string, number> }[];
}

const accountPath = (name: string) => `/accounts/${encodeURIComponent(name)}`;

/** keyforge accounts …, keyforge apps transfer, keyforge apps usage. */
export function accountCommands(program: Command, io: Io): void {
  const accounts = program.command('accounts').description('Portal accounts: invite, list, disable, enable, reset passwords, delete');

  accounts.command('list').description('List portal accounts').action(action(io, async (ctx) => {
    const { accounts: all } = await (await ctx.admin()).call<{ accounts: Account[] }>('GET', '/accounts');
    ctx.print(all, () => table(all.map((a) => ({ ...a })), [
      ['username', 'USERNAME'], ['role', 'ROLE'], ['status', 'STATUS'], ['email', 'E-MAIL'], ['created_at', 'SINCE'],
    ]));
  }));

  accounts.command('invite').description('Create an account and print its single-use link to choose a password')
    .argument('<username>')
    .addOption(new Option('--role <role>', 'what they may do').choices(['developer', 'admin']).default('developer'))
    .option('--email <address>', 'their e-mail address')
    .action(action(io, async (ctx, [username], opts) => {
      const email = str(opts, 'email');
      const a = await (await ctx.admin()).call<Account>('POST', '/accounts', {
        username, role: str(opts, 'role') ?? 'developer', ...(email ? { email } : {}),
      });
      ctx.print(a, () => `${details({ ...a }, ['username', 'role', 'status', 'invitation_url', 'invitation_expires_at'])}\n\nSend them the link; it works once.`);
    }));

  for (const [name, what] of [['disable', 'Disable an account: its sessions end at once; its applications keep working'], ['enable', 'Enable a disabled account']] as const) {
    accounts.command(name).description(what).argument('<username>').action(action(io, async (ctx, [username]) => {
      const a = await (await ctx.admin()).call<Account>('POST', `${accountPath(username!)}/${name}`);
      ctx.print(a, () => `${a.username} is ${a.status}`);
    }));
  }

  accounts.command('reset-password').description('End the password and sessions of an account and print a new link to choose one')
    .argument('<username>')
    .action(action(io, async (ctx, [username]) => {
      const r = await (await ctx.admin()).call<{ invitation_url: string; invitation_expires_at: string }>('POST', `${accountPath(username!)}/reset-password`);
      ctx.print(r, () => details({ ...r }, ['invitation_url', 'invitation_expires_at']));
    }));

  accounts.command('delete').description('Delete an account and every application it owns')
    .argument('<username>')
    .requiredOption('--yes', 'confirm: its applications, their keys and tokens go too')
    .action(action(io, async (ctx, [username]) => {
      const r = await (await ctx.admin()).call<{ deleted: string; applications_deleted: string[] }>('DELETE', accountPath(username!));
      ctx.print(r, () => `deleted ${r.deleted}${r.applications_deleted.length ? ` and applications ${r.applications_deleted.join(', ')}` : ''}`);
    }));

  const apps = program.commands.find((c) => c.name() === 'apps');
  if (!apps) return;
  apps.command('transfer').description('Give an application to another portal account').argument('<id>').argument('<username>')
    .action(action(io, async (ctx, [id, owner]) => {
      const r = await (await ctx.admin()).call<{ id: string; owner: string }>('POST', `/applications/${encodeURIComponent(id!)}/transfer`, { owner });
      ctx.print(r, () => `${r.id} now belongs to ${r.owner}`);
    }));
  apps.command('usage').description('Tokens issued, introspections and failures per key set (24 hours, 30 days)').argument('<id>')
    .action(action(io, async (ctx, [id]) => {
      const u = await (await ctx.admin()).call<Usage>('GET', `/applications/${encodeURIComponent(id!)}/usage`);
      const rows = u.key_sets.flatMap((k) => [
        { keys: k.key_type, span: '24 hours', ...k.last_24_hours },
        { keys: k.key_type, span: '30 days', ...k.last_30_days },
      ]);
      ctx.print(u, () => table(rows, [['keys', 'KEYS'], ['span', 'LAST'], ['issued', 'ISSUED'], ['introspected', 'INTROSPECTIONS'], ['invalid_client', 'INVALID_CLIENT'], ['invalid_scope', 'INVALID_SCOPE']]));
    }));
}
