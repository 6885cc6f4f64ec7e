// The token endpoint, introspection, revocation and the revocation feed.

import { formBody, type FormPairs } from './bodies.js';
import { PLAYGROUND_API, PROTECTED_API, type Fixtures } from './fixtures.js';
import type { Answer, FuzzRequest } from './http-client.js';
import type { Client, IssuedToken } from './ledger.js';
import { encodeLoosely, hostileString, type Rng } from './random.js';
import { abuseHeaders, contentType, credentialsFor, FORM, ODD_METHODS } from './request-kit.js';

/** Findings that are not 5xx but break a security rule (a token for nobody, a foreign peek). */
export interface Violation {
  what: string;
  request: FuzzRequest;
  answer: Answer;
}
export type Report = (v: Violation) => void;

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function pickScope(rng: Rng, c: Client): string {
  const own = c.scope.split(' ').filter(Boolean);
  return rng.weighted<string>([
    [6, () => (own.length ? rng.pick(own) : '')],
    [2, () => own.filter(() => rng.chance(0.6)).join(' ')],
    [1, () => rng.pick(['admin', 'openid', 'g:read p:read admin', 'p:read p:read', ' p:read', 'p:read\tg:read', 'nope:x'])],
    [1, () => hostileString(rng)],
  ]);
}

/** A token to name in a request, or something that only looks like one. */
function tokenValue(rng: Rng, pool: readonly IssuedToken[]): { value: string; token?: IssuedToken } {
  const t = pool.length ? rng.pick(pool) : undefined;
  return rng.weighted<{ value: string; token?: IssuedToken }>([
    [7, () => (t ? { value: t.token, token: t } : { value: 'none' })],
    [1, () => ({ value: t ? t.token.slice(0, -1) + (t.token.endsWith('A') ? 'B' : 'A') : 'x' })],
    [1, () => ({ value: t ? `${t.token.split('.').slice(0, 2).join('.')}.` : 'a.b.' })],
    [1, () => ({ value: hostileString(rng) })],
  ]);
}

export function tokenRequest(rng: Rng, f: Fixtures, report: Report): FuzzRequest {
  const { ledger } = f;
  const c = rng.chance(0.02) ? f.admin : rng.pick(ledger.clients);
  const cred = credentialsFor(rng, f, c, 0.35);
  const pairs: FormPairs = [['grant_type', rng.chance(0.93) ? 'client_credentials' : rng.pick(['password', 'authorization_code', 'refresh_token', '', 'client_credentials '])]];
  pairs.push(['scope', c === f.admin ? 'admin' : pickScope(rng, c)]);
  if (rng.chance(0.25)) pairs.push(['resource', rng.pick([PROTECTED_API, PLAYGROUND_API, `${f.url}/api`, 'https://unknown.example', 'not a uri', `${PROTECTED_API}#frag`])]);
  if (c === f.admin) pairs.push(['resource', `${f.url}/api`]);
  const hostility = cred.valid.length ? 0.25 : 0.5;
  const body = formBody(rng, [...pairs, ...cred.form], hostility);
  const req: FuzzRequest = {
    group: 'token',
    method: rng.chance(0.03) ? rng.pick(ODD_METHODS) : 'POST',
    path: rng.chance(0.03) ? rng.pick(['/token?grant_type=client_credentials', '/token/', '/TOKEN', '/token;x', '/token%2f', '//token']) : '/token',
    headers: abuseHeaders(rng, [...cred.headers, ...contentType(rng, FORM, 0.15)]),
    body,
  };
  req.onAnswer = (a) => {
    if (a.status !== 200) return;
    const json = parseJson(a.body);
    const token = json?.['access_token'];
    if (typeof token !== 'string') return;
    const owners = [...new Set(cred.valid)];
    if (owners.length !== 1) {
      report({ what: `token answered 200 with ${owners.length} valid client credentials in the request`, request: req, answer: a });
      return;
    }
    ledger.recordToken({ token, owner: owners[0]!, scope: String(json?.['scope'] ?? ''), via: 'POST /token' });
  };
  return req;
}

/** Anyone may ask; only the owner, a linked resource server or the admin may learn "active". */
export function introspectionRequest(rng: Rng, f: Fixtures, report: Report): FuzzRequest {
  const { ledger } = f;
  const t = tokenValue(rng, ledger.tokenPool);
  const caller = rng.weighted<Client>([
    [5, () => t.token?.owner ?? rng.pick(ledger.clients)],
    [3, () => rng.pick(ledger.clients)],
    [1, () => f.resourceServer],
    [1, () => f.admin],
  ]);
  const cred = credentialsFor(rng, f, caller, 0.25);
  const clean = rng.chance(0.6);
  const pairs: FormPairs = [['token', t.value]];
  if (rng.chance(0.3)) pairs.push(['token_type_hint', rng.pick(['access_token', 'refresh_token', 'jwt', hostileString(rng)])]);
  const body = formBody(rng, [...pairs, ...cred.form], clean ? 0 : 0.5);
  const req: FuzzRequest = {
    group: 'introspection',
    method: rng.chance(0.03) ? rng.pick(ODD_METHODS) : 'POST',
    path: '/token/introspection',
    headers: clean ? [...cred.headers, ['content-type', FORM]] : abuseHeaders(rng, [...cred.headers, ...contentType(rng, FORM, 0.15)]),
    body,
  };
  const owner = t.token?.owner;
  const single = cred.valid.length === 1 ? cred.valid[0]! : undefined;
  // A client that is neither the owner, the admin, nor a resource server of the token's API.
  // Only tokens of the protected API: the fuzzer links clients to the others as resource servers.
  const foreign = clean && req.method === 'POST' && owner && single && single.id !== owner.id && single !== f.admin &&
    single !== f.resourceServer && ledger.holdsOnlyProtectedScopes(t.token?.scope ?? '');
  req.onAnswer = (a) => {
    if (!foreign || a.status !== 200) return;
    if (parseJson(a.body)?.['active'] === true) {
      report({ what: `introspection told client ${single.id} that a token of client ${owner.id} is active`, request: req, answer: a });
    }
  };
  return req;
}

/** Owner and admin revocations are recorded (the post-check then excuses the token); others must not revoke. */
export function revocationRequest(rng: Rng, f: Fixtures): FuzzRequest {
  const { ledger } = f;
  const caller = rng.weighted<Client>([[6, () => rng.pick(ledger.clients)], [1, () => f.admin], [1, () => f.resourceServer]]);
  const cred = credentialsFor(rng, f, caller, 0.25);
  const mayRevoke = (t: IssuedToken) => cred.valid.some((v) => v === f.admin || v.id === t.owner.id);
  // A protected token is only ever named by someone without the right to revoke it.
  const candidates = ledger.tokenPool.filter((t) => !t.owner.protected || !mayRevoke(t));
  const own = candidates.filter((t) => cred.valid.some((v) => v.id === t.owner.id));
  const pool = own.length && rng.chance(0.5) ? own : candidates;
  const t = tokenValue(rng, pool);
  const pairs: FormPairs = [['token', t.value]];
  if (rng.chance(0.3)) pairs.push(['token_type_hint', rng.pick(['access_token', 'refresh_token', hostileString(rng)])]);
  let body = formBody(rng, [...pairs, ...cred.form], 0.35);
  // The mutation may have duplicated a token param: every real token left in the body counts.
  for (const x of ledger.tokenPool) {
    if (body.includes(encodeLoosely(x.token)) && mayRevoke(x)) {
      if (x.owner.protected) body = body.split(encodeLoosely(x.token)).join('redacted');
      else ledger.mayRevoke(x.token);
    }
  }
  return {
    group: 'revocation',
    method: rng.chance(0.03) ? rng.pick(ODD_METHODS) : 'POST',
    path: '/token/revocation',
    headers: abuseHeaders(rng, [...cred.headers, ...contentType(rng, FORM, 0.15)]),
    body,
  };
}

export function revocationFeedRequest(rng: Rng, f: Fixtures): FuzzRequest {
  const caller = rng.weighted<Client>([[3, () => f.resourceServer], [1, () => f.admin], [3, () => rng.pick(f.ledger.clients)]]);
  const cred = credentialsFor(rng, f, caller, 0.3);
  const since = rng.weighted<string | undefined>([
    [3, () => undefined],
    [2, () => Buffer.from(JSON.stringify([Date.now() - rng.int(100_000), ''])).toString('base64url')],
    [1, () => Buffer.from(JSON.stringify(rng.pick([[-1, 'x'], [1e300, 'x'], ['a', 1], [0], {}, null, [0, { $gt: '' }]]))).toString('base64url')],
    [1, () => encodeLoosely(hostileString(rng))],
    [1, () => rng.pick(['%E0%A4%A', '', 'A'.repeat(2000), '____', 'e30'])],
  ]);
  let query = since === undefined ? '' : `?since=${since}`;
  if (rng.chance(0.15)) query += `${query ? '&' : '?'}${rng.pick(['since=a&since=b', 'limit=1000000', '__proto__=x', 'since[]=1', 'x=%ZZ'])}`;
  // The feed authenticates with Basic only; form credentials go into the query, where they do not belong.
  const formCreds = cred.form.map(([k, v]) => `${k}=${encodeLoosely(v)}`).join('&');
  if (formCreds) query += `${query ? '&' : '?'}${formCreds}`;
  return {
    group: 'revocation-feed',
    method: rng.chance(0.05) ? rng.pick(['POST', 'DELETE', 'HEAD', 'OPTIONS']) : 'GET',
    path: `/token/revocations${query}`,
    headers: abuseHeaders(rng, cred.headers),
  };
}
