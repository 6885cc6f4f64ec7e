import { parse } from 'node:querystring';

import { decodeJwt } from 'jose';
import type { Context, Next } from 'koa';

import { readBodyBytes } from '../http/index.js';
import { authenticatedClientIdOf, setParsedBody } from '../provider/index.js';
import { tooManyRequests } from './endpoint-rate-limit.js';
import type { RateLimiter } from './rate-limiter.js';

export interface TokenLimits {
  perClient: number;
  perAddress: number;
}

const tooMany = (retryAfter: number, what: string) => tooManyRequests(retryAfter, what, 'token');

/** oidc-provider's own limit for a /token body, so a form it would take is read whole here. */
const TOKEN_BODY_LIMIT = 56 * 1024;

/**
 * The client id a token request names, before it is authenticated: from Basic, else from the
 * form (client_secret_post, client assertions). The form is read here and handed on, parsed by
 * the same `querystring` as oidc-provider's, so the id checked is the id it authenticates.
 */
async function presentedClientId(ctx: Context): Promise<string | undefined> {
  const header = ctx.get('authorization');
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    }
  }
  if (!ctx.is('application/x-www-form-urlencoded')) return undefined;
  const body = await readBodyBytes(ctx, TOKEN_BODY_LIMIT, `request body exceeds ${TOKEN_BODY_LIMIT} bytes`);
  setParsedBody(ctx, body);
  const form = parse(body.toString('utf8'));
  // Sent twice, a parameter is an array: oidc-provider refuses that request itself.
  const id = form['client_id'];
  if (typeof id === 'string' && id) return id;
  // A client assertion may leave client_id out; oidc-provider then takes the assertion's subject.
  const assertion = form['client_assertion'];
  if (typeof assertion !== 'string') return undefined;
  try {
    const sub = decodeJwt(assertion).sub;
    return typeof sub === 'string' && sub ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Token endpoint limits per source address (every request) and per client (requests that
 * authenticated, so nobody can use up another client's budget by sending its id with a bad
 * secret). A client's requests still under way on this instance count against it too, so a
 * parallel burst cannot pass the check before any of it is counted. Answered with 429 and
 * Retry-After.
 */
export function tokenRateLimit(limiter: RateLimiter, limits: () => TokenLimits) {
  const underWay = new Map<string, number>();
  return async function limitTokenRequests(ctx: Context, next: Next): Promise<void> {
    if (ctx.path !== '/token' || ctx.method !== 'POST') return next();
    const l = limits();
    const byAddress = limiter.hit(`addr:${ctx.ip}`, l.perAddress);
    if (!byAddress.allowed) throw tooMany(byAddress.retryAfter, 'address');
    // With no per-client limit the form is left for oidc-provider to read.
    const clientId = l.perClient > 0 ? await presentedClientId(ctx) : undefined;
    if (!clientId) return countAfter(ctx, next, limiter, l.perClient);
    const pending = underWay.get(clientId) ?? 0;
    const byClient = limiter.exceeded(`client:${clientId}`, l.perClient, Date.now(), pending);
    if (!byClient.allowed) throw tooMany(byClient.retryAfter, 'client');
    underWay.set(clientId, pending + 1);
    try {
      await countAfter(ctx, next, limiter, l.perClient);
    } finally {
      const left = (underWay.get(clientId) ?? 1) - 1;
      if (left > 0) underWay.set(clientId, left);
      else underWay.delete(clientId);
    }
  };
}

/** Counts the request against the client that authenticated; a refused secret counts for nobody. */
async function countAfter(ctx: Context, next: Next, limiter: RateLimiter, perClient: number): Promise<void> {
  await next();
  const authenticated = authenticatedClientIdOf(ctx);
  if (authenticated && ctx.status !== 401) limiter.hit(`client:${authenticated}`, perClient);
}
