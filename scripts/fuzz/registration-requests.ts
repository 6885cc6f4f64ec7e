// Dynamic registration (RFC 7591) and its management (RFC 7592): POST /reg, GET/PUT/DELETE
// /reg/{id}. Clients registered here join the pool as mutable clients.

import { jsonBody, randomJson, type Json } from './bodies.js';
import { PLAYGROUND_SCOPES, PROTECTED_SCOPES, type Fixtures } from './fixtures.js';
import type { FuzzRequest } from './http-client.js';
import type { Client } from './ledger.js';
import { hostileSegment, hostileString, type Rng } from './random.js';
import { abuseHeaders, contentType, JSON_TYPE, ODD_METHODS } from './request-kit.js';

/** Below this, a new client's tokens could expire before the post-check. */
const LONG_ENOUGH_TTL = 3600;

function metadata(rng: Rng): { [key: string]: Json } {
  const m: { [key: string]: Json } = {
    client_name: rng.chance(0.8) ? `fuzz ${rng.int(1e9)}` : hostileString(rng).slice(0, 300),
    grant_types: ['client_credentials'],
    scope: rng.pick([PROTECTED_SCOPES.join(' '), `${PROTECTED_SCOPES[0]!} ${PLAYGROUND_SCOPES[0]!}`, PLAYGROUND_SCOPES.join(' '), 'admin', 'p:read nope']),
  };
  if (rng.chance(0.6)) m['access_token_strategy'] = rng.pick(['jwt', 'opaque']);
  if (rng.chance(0.6)) m['token_endpoint_auth_method'] = rng.pick(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none', 'tls_client_auth']);
  if (rng.chance(0.4)) m['access_token_ttl'] = rng.pick([7200, -1, 1, 0, 2 ** 31, -(2 ** 40), 1.5]);
  if (rng.chance(0.1)) m['jwks'] = rng.pick<Json>([{ keys: [] }, { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] }, { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, { keys: 'x' }]);
  if (rng.chance(0.1)) m['redirect_uris'] = rng.pick<Json>([['https://evil.example/cb'], [], 'x']);
  if (rng.chance(0.1)) m[rng.pick(['key_type', 'application_id', 'client_id', 'client_secret', 'registration_access_token', 'response_types', 'contacts', 'software_statement'])] = randomJson(rng, 1);
  return m;
}

function ratHeader(rng: Rng, f: Fixtures, target: Client | undefined, allowOwn: boolean): { headers: [string, string][]; own: boolean } {
  const others = f.ledger.clients.filter((c) => c.rat && c !== target);
  return rng.weighted<{ headers: [string, string][]; own: boolean }>([
    [allowOwn && target?.rat ? 6 : 0, () => ({ headers: [['authorization', `Bearer ${target!.rat!}`]], own: true })],
    [2, () => ({ headers: others.length ? [['authorization', `Bearer ${rng.pick(others).rat!}`]] : [], own: false })],
    [1, () => ({ headers: [['authorization', `Bearer ${f.adminTokens[0]!}`]], own: false })],
    [1, () => ({ headers: [['authorization', `Bearer ${f.dcrToken}`]], own: false })],
    [1, () => ({ headers: [], own: false })],
    [1, () => ({ headers: [['authorization', rng.pick([`Bearer ${hostileString(rng).slice(0, 200)}`, 'Bearer', `Basic ${target?.rat ?? ''}`])]], own: false })],
    // Case-insensitive scheme, extra space: still the client's own token.
    [allowOwn && target?.rat ? 0.5 : 0, () => ({ headers: [['authorization', `bearer  ${target!.rat!}`]], own: true })],
  ]);
}

export function registrationRequest(rng: Rng, f: Fixtures): FuzzRequest {
  const { ledger } = f;
  const op = rng.weighted<string>([[4, () => 'POST'], [3, () => 'GET'], [3, () => 'PUT'], [1, () => 'DELETE'], [0.3, () => 'ODD']]);

  if (op === 'POST' || op === 'ODD') {
    const valid = rng.chance(0.6) && ledger.spend('register');
    const auth: [string, string][] = valid
      ? [['authorization', `Bearer ${rng.chance(0.7) || !ledger.iats.length ? f.dcrToken : rng.pick(ledger.iats).token}`]]
      : rng.pick<[string, string][]>([[], [['authorization', `Bearer ${hostileString(rng).slice(0, 100)}`]], [['authorization', `Bearer ${f.adminTokens[0]!}`]],
        [['authorization', `Bearer ${rng.pick(ledger.tokenPool)?.token ?? 'x'}`]], [['authorization', `Basic ${f.dcrToken}`]]]);
    const template = metadata(rng);
    const req: FuzzRequest = {
      group: 'registration',
      method: op === 'ODD' ? rng.pick(ODD_METHODS) : 'POST',
      path: rng.chance(0.05) ? rng.pick(['/reg/', '/reg?x=1', '/reg/%E0%A4%A', '/REG']) : '/reg',
      headers: abuseHeaders(rng, [...auth, ...contentType(rng, JSON_TYPE, valid ? 0.1 : 0.2)]),
      body: jsonBody(rng, template, valid ? 0.35 : 0.6),
    };
    req.onAnswer = (a) => {
      if (a.status !== 201) return;
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof json['client_id'] !== 'string' || typeof json['client_secret'] !== 'string') return;
      const client: Client = {
        id: json['client_id'],
        secret: json['client_secret'],
        auth: json['token_endpoint_auth_method'] === 'client_secret_post' ? 'post' : 'basic',
        protected: false,
        rat: typeof json['registration_access_token'] === 'string' ? json['registration_access_token'] : undefined,
        scope: typeof json['scope'] === 'string' ? json['scope'] : '',
      };
      ledger.addClient(client);
      const ttl = json['access_token_ttl'];
      if (typeof ttl === 'number' && ttl > 0 && ttl < LONG_ENOUGH_TTL) ledger.mayChange(client.id);
    };
    return req;
  }

  const target = rng.chance(0.85) ? rng.pick(ledger.clients.filter((c) => c.rat)) : undefined;
  const id = target ? target.id : hostileSegment(rng);
  // A protected client is only ever read with its own token; changes to it come with someone else's.
  const allowOwn = op === 'GET' || !target?.protected;
  const { headers, own } = ratHeader(rng, f, target, allowOwn);
  if (own && target && op !== 'GET') ledger.mayChange(target.id);
  const req: FuzzRequest = {
    group: 'registration',
    method: op,
    path: `/reg/${id}${rng.chance(0.05) ? rng.pick(['/', '/x', '?client_id=admin', '%00', '/..']) : ''}`,
    headers: abuseHeaders(rng, headers),
  };
  if (op === 'PUT') {
    const template = { ...metadata(rng), client_id: target?.id ?? id, ...(target && rng.chance(0.5) ? { client_secret: target.secret } : {}) };
    req.headers.push(...contentType(rng, JSON_TYPE, 0.15));
    req.body = jsonBody(rng, template, 0.5);
    req.onAnswer = (a) => {
      if (a.status !== 200 || !target) return;
      try {
        const json = JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;
        if (typeof json['registration_access_token'] === 'string') target.rat = json['registration_access_token'];
        if (typeof json['client_secret'] === 'string') target.secret = json['client_secret'];
        if (typeof json['scope'] === 'string') target.scope = json['scope'];
        target.auth = json['token_endpoint_auth_method'] === 'client_secret_post' ? 'post' : 'basic';
      } catch {
        // not JSON: nothing learned
      }
    };
  } else if (op === 'DELETE' && rng.chance(0.2)) {
    req.body = '{}';
  }
  return req;
}
