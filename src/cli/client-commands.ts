import type { Command } from 'commander';

import { action, integer, type Io } from './context.js';
import { details } from './output.js';

interface Rotated {
  client_id: string;
  client_secret: string;
  previous_secret_expires_at: string;
}

/** Clients from dynamic registration: their secrets (application key sets are under `keys`). */
export function clientCommands(program: Command, io: Io): void {
  const clients = program.command('clients').description('Clients from dynamic registration (RFC 7591)');
  const path = (id: string, what: string) => `/clients/${encodeURIComponent(id)}/${what}`;

  clients.command('rotate-secret').description('New client secret without downtime: the current one keeps working for the grace period (default 24 h)')
    .argument('<client_id>')
    .option('--grace <seconds>', 'how long the current secret keeps working (default 86400)', integer('--grace', 0))
    .action(action(io, async (ctx, [id], opts) => {
      const r = await (await ctx.admin()).call<Rotated>('POST', path(id!, 'rotate-secret'), typeof opts['grace'] === 'number' ? { grace_seconds: opts['grace'] } : {});
      ctx.print(r, () => `${details({ ...r })}\n\nThe client secret is shown only now; store it safely.`);
    }));

  clients.command('end-previous-secret').description('End a rotation\'s grace period now: the previous secret stops working')
    .argument('<client_id>')
    .action(action(io, async (ctx, [id]) => {
      const r = await (await ctx.admin()).call<Record<string, unknown>>('POST', path(id!, 'end-previous-secret'));
      ctx.print(r, () => `the previous secret of ${id} no longer works`);
    }));
}
