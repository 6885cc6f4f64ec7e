import type Router from '@koa/router';
import type { Context } from 'koa';

import { HttpError } from '../http/index.js';
import type { ClientSource, ClientView } from '../registration/index.js';
import { adminPagesOnly, noStore } from './admin-only.js';
import { audit, formOf, redirectWithFlash, renderPage, type Portal } from './context.js';
import { policyView } from './policy-view.js';

/** Clients per page: enough to scan, few enough to read on a phone. */
const PAGE_SIZE = 25;

/** The filter on the page; `all` is every source. Registered clients are what this page is for. */
const FILTERS = ['registration', 'application', 'system', 'all'] as const;
type Filter = (typeof FILTERS)[number];

const FILTER_LABELS: Record<Filter, string> = {
  registration: 'Registered',
  application: 'Application keys',
  system: 'System',
  all: 'All clients',
};

function filterOf(value: unknown): Filter {
  return typeof value === 'string' && (FILTERS as readonly string[]).includes(value) ? (value as Filter) : 'registration';
}

const listUrl = (filter: Filter, after?: string) =>
  `/portal/clients?source=${filter}${after ? `&after=${encodeURIComponent(after)}` : ''}`;

/** A cursor is the server's own (base64url of a client id); anything else starts from the top. */
const cursorOf = (value: unknown) => (typeof value === 'string' && /^[A-Za-z0-9_-]{1,400}$/.test(value) ? value : undefined);

interface Rotated {
  clientId: string;
  clientName?: string;
  token: string;
  uri: string;
}

export function clientPages(router: Router, p: Portal): void {
  const clients = p.s.registeredClients;

  async function listPage(ctx: Context, filter: Filter, after: string | undefined, rotated?: Rotated) {
    await p.s.registry.refresh();
    const page = await clients.list({ limit: PAGE_SIZE, ...(after ? { after } : {}), ...(filter !== 'all' ? { source: filter as ClientSource } : {}) });
    renderPage(p, ctx, 'clients/list', {
      title: 'Clients',
      section: 'clients',
      filter,
      filters: FILTERS.map((f) => ({ value: f, label: FILTER_LABELS[f], href: listUrl(f) })),
      rows: page.clients.map((c) => ({ ...c, policy: policyView(c.registration_policy, p.s.registry) })),
      next: page.next ? listUrl(filter, page.next) : undefined,
      first: after ? listUrl(filter) : undefined,
      back: listUrl(filter, after),
      rotated,
    });
  }

  /** Where a form on the list goes back to: the same filter and page, never elsewhere. */
  function backOf(ctx: Context): string {
    const form = formOf(ctx);
    return listUrl(filterOf(form.text('source')), cursorOf(form.text('after')));
  }

  /** The admin client stays; an application's key-set client goes with its key set, on the application's page. */
  async function deletable(ctx: Context): Promise<ClientView> {
    const c = await clients.get(ctx.params['id']!);
    if (c.source === 'system') throw new HttpError(400, 'invalid_request', 'The admin client is managed through the environment.');
    if (c.source === 'application') {
      throw new HttpError(409, 'conflict', 'This client is a key set of an application: remove the keys on the application\'s page.');
    }
    return c;
  }

  const label = (c: ClientView) => (c.client_name ? `${c.client_name} (${c.client_id})` : c.client_id);

  router.get('/clients', adminPagesOnly, async (ctx) => {
    // A cursor the server did not give is refused by the store; here it just starts over.
    const after = cursorOf(ctx.query['after']);
    try {
      await listPage(ctx, filterOf(ctx.query['source']), after);
    } catch (err) {
      if (after && err instanceof HttpError && err.status === 400) return listPage(ctx, filterOf(ctx.query['source']), undefined);
      throw err;
    }
  });

  router.post('/clients/:id/disable', adminPagesOnly, async (ctx) => {
    const c = await clients.setDisabled(ctx.params['id']!, true);
    audit(p, ctx, 'client.disable', c.client_id);
    await redirectWithFlash(p, ctx, backOf(ctx), {
      kind: 'success',
      text: `${label(c)} is disabled. It can no longer get tokens, and the tokens it had were revoked.`,
    });
  });

  router.post('/clients/:id/enable', adminPagesOnly, async (ctx) => {
    const c = await clients.setDisabled(ctx.params['id']!, false);
    audit(p, ctx, 'client.enable', c.client_id);
    await redirectWithFlash(p, ctx, backOf(ctx), { kind: 'success', text: `${label(c)} is enabled again.` });
  });

  router.get('/clients/:id/delete', adminPagesOnly, async (ctx) => {
    const c = await deletable(ctx);
    renderPage(p, ctx, 'clients/delete', {
      title: `Delete ${c.client_name ?? c.client_id}`,
      section: 'clients',
      client: c,
      filter: filterOf(ctx.query['source']),
      back: listUrl(filterOf(ctx.query['source'])),
    });
  });

  router.post('/clients/:id/delete', adminPagesOnly, async (ctx) => {
    const c = await deletable(ctx);
    await clients.delete(c.client_id);
    audit(p, ctx, 'client.delete', c.client_id, { source: c.source });
    await redirectWithFlash(p, ctx, backOf(ctx), {
      kind: 'success',
      text: `${label(c)} was deleted. Its tokens and registration access tokens no longer work.`,
    });
  });

  router.post('/clients/:id/registration-token', adminPagesOnly, async (ctx) => {
    const c = await clients.get(ctx.params['id']!);
    const token = await clients.rotateRegistrationAccessToken(c.client_id);
    audit(p, ctx, 'client.registration_token_rotate', c.client_id);
    noStore(ctx);
    const form = formOf(ctx);
    await listPage(ctx, filterOf(form.text('source')), cursorOf(form.text('after')), {
      clientId: c.client_id,
      ...(c.client_name ? { clientName: c.client_name } : {}),
      token,
      uri: `${p.s.config.issuer}/reg/${encodeURIComponent(c.client_id)}`,
    });
  });

  router.post('/clients/:id/registration-token/revoke', adminPagesOnly, async (ctx) => {
    const c = await clients.get(ctx.params['id']!);
    const revoked = await clients.revokeRegistrationAccessTokens(c.client_id);
    audit(p, ctx, 'client.registration_token_revoke', c.client_id, { revoked });
    await redirectWithFlash(p, ctx, backOf(ctx), {
      kind: 'success',
      text: `The registration access token of ${label(c)} was revoked. The client keeps working but can no longer read or change its registration.`,
    });
  });
}
