import type { Context, Next } from 'koa';

import { isKeyType, type KeyType } from '../applications/index.js';
import { INTROSPECTION_PATH } from '../consts/index.js';
import { tokenRequestClientIdOf } from '../provider/index.js';
import type { UsageEvent } from './model.js';
import type { UsageCounters } from './usage-counters.js';

const TOKEN_PATH = '/token';
const COUNTED_ERRORS = new Set<UsageEvent>(['invalid_client', 'invalid_scope']);

/** The client a token request named, also when it failed to authenticate (Basic or form). */
function clientIdOf(ctx: Context): string | undefined {
  const known = tokenRequestClientIdOf(ctx);
  if (known) return known;
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(ctx.get('authorization'));
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, i).replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

/**
 * Watches the token and introspection endpoints' answers and counts them for the application
 * and key set of the client concerned. The count happens after the answer is made and never
 * delays or fails it.
 */
export interface UsageTapDeps {
  counters: Pick<UsageCounters, 'record'>;
  /** Clients as stored (store/oidc-adapter's 'Client' adapter): their application and key type. */
  clients: { find(id: string): Promise<unknown> };
}

export function usageTap({ counters, clients }: UsageTapDeps) {
  async function keySetOf(clientId: string): Promise<{ app: string; type: KeyType } | undefined> {
    const metadata = await clients.find(clientId) as Record<string, unknown> | undefined;
    const app = metadata?.['application_id'];
    const type = String(metadata?.['key_type'] ?? '').toLowerCase();
    return typeof app === 'string' && isKeyType(type) ? { app, type } : undefined;
  }
  function count(clientId: string | undefined, event: UsageEvent): void {
    if (!clientId || clientId.length > 200) return;
    keySetOf(clientId).then((k) => {
      if (k) counters.record(k.app, k.type, event);
    }, () => undefined);
  }

  return async function tapUsage(ctx: Context, next: Next): Promise<void> {
    const watched = ctx.method === 'POST' && (ctx.path === TOKEN_PATH || ctx.path === INTROSPECTION_PATH);
    if (!watched) return next();
    await next();
    const body = ctx.body && typeof ctx.body === 'object' ? ctx.body as Record<string, unknown> : undefined;
    if (ctx.path === TOKEN_PATH) {
      if (ctx.status === 200) count(clientIdOf(ctx), 'issued');
      else if (typeof body?.['error'] === 'string' && COUNTED_ERRORS.has(body['error'] as UsageEvent)) {
        count(clientIdOf(ctx), body['error'] as UsageEvent);
      }
      return;
    }
    // An introspection counts for the key set whose token was looked at.
    if (ctx.status === 200 && body?.['active'] === true && typeof body['client_id'] === 'string') {
      count(body['client_id'], 'introspected');
    }
  };
}
