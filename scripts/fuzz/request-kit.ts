// Pieces every generator uses: client credentials (right, wrong, someone else's, malformed),
// content types, odd methods, and header abuse.

import type { Fixtures } from './fixtures.js';
import { basicAuth } from './fixtures.js';
import type { FormPairs } from './bodies.js';
import type { Client } from './ledger.js';
import { hostileString, type Rng } from './random.js';

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

export interface Credentials {
  headers: [string, string][];
  /** Client authentication carried in the form (client_secret_post, or junk). */
  form: FormPairs;
  /** Every client whose real secret is in the request: what the request may do in its name. */
  valid: Client[];
}

/** Credentials as `c` uses them, or as an attacker or a broken client sends them. */
export function credentialsFor(rng: Rng, f: Fixtures, c: Client, hostility: number): Credentials {
  const proper = (x: Client): Credentials => x.auth === 'basic'
    ? { headers: [['authorization', basicAuth(x.id, x.secret)]], form: [], valid: [x] }
    : { headers: [], form: [['client_id', x.id], ['client_secret', x.secret]], valid: [x] };
  if (!rng.chance(hostility)) return proper(c);
  const other = rng.pick(f.ledger.clients);
  return rng.weighted<Credentials>([
    [3, () => ({ headers: [['authorization', basicAuth(c.id, hostileString(rng).slice(0, 200))]], form: [], valid: [] })],
    [2, () => ({ headers: [], form: [['client_id', c.id], ['client_secret', `${c.secret}x`]], valid: [] })],
    [2, () => ({ headers: [], form: [], valid: [] })],
    // A hostile id can be the real one ("admin" is among the hostile strings): then it is valid.
    [2, () => {
      const id = hostileString(rng).slice(0, 200);
      return { headers: [['authorization', basicAuth(id, c.secret)]], form: [], valid: id === c.id ? [c] : [] };
    }],
    [1, () => ({ headers: [['authorization', rng.pick([
      'Basic', 'Basic ', 'Basic !!!', 'Basic Og==', `Basic ${Buffer.from(c.id).toString('base64')}`,
      `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}==junk`, `Basic ${Buffer.from('%E0%A4%A:%').toString('base64')}`,
      `basic ${Buffer.from(`${c.id}:${c.secret}`).toString('hex')}`, `Bearer ${c.secret}`, 'Digest username="x"', 'Negotiate', hostileString(rng).slice(0, 300),
    ])]], form: [], valid: [] })],
    // Two methods at once (RFC 6749 §2.3: MUST NOT), and secrets of two different clients.
    [1, () => ({ headers: [['authorization', basicAuth(c.id, c.secret)]], form: [['client_id', c.id], ['client_secret', c.secret]], valid: [c] })],
    [1, () => ({ headers: [['authorization', basicAuth(other.id, other.secret)]], form: [['client_id', c.id], ['client_secret', c.secret]], valid: [c, other] })],
    // Node's server keeps the first of repeated Authorization headers.
    [1, () => ({ headers: [['authorization', basicAuth(c.id, c.secret)], ['authorization', basicAuth(other.id, other.secret)]], form: [], valid: [c] })],
    [1, () => ({ headers: [], form: [['client_id', c.id], ['client_id', other.id], ['client_secret', c.secret]], valid: [c] })],
    [1, () => ({ headers: [], form: [['client_id', c.id], ['client_secret', c.secret], ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'], ['client_assertion', rng.pick(['a.b.c', 'eyJhbGciOiJub25lIn0.e30.', hostileString(rng)])]], valid: [c] })],
    [1, () => ({ headers: [], form: [['client_id', c.id], ['client_assertion_type', hostileString(rng)], ['client_assertion', 'eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.sig']], valid: [] })],
  ]);
}

/** The content type a client should send, or one it should not. */
export function contentType(rng: Rng, intended: string, hostility: number): [string, string][] {
  if (!rng.chance(hostility)) return [['content-type', intended]];
  return rng.weighted<[string, string][]>([
    [3, () => [['content-type', rng.pick([
      'text/plain', 'application/json', FORM, 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/xml',
      `${intended}; charset=utf-16`, `${intended}; charset=latin1`, `${intended}; charset="`, `${intended};;;`, `${intended}, text/plain`,
      'application/x-www-form-urlencoded; charset=iso-8859-1', 'application/merge-patch+json', 'application/vnd.api+json', '*/*', '', ';', 'x/y/z',
    ])]]],
    [1, () => []],
    [1, () => [['content-type', intended], ['content-type', 'text/plain']]],
    [1, () => [['content-type', intended], ['content-encoding', rng.pick(['gzip', 'deflate', 'br', 'identity, gzip', 'x-unknown'])]]],
  ]);
}

export const ODD_METHODS = ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'MKCOL', 'SEARCH', 'PURGE', 'FOO', 'LINK', 'REPORT', 'M-SEARCH', 'get', 'Post'];

/** Now and then: headers that proxies, parsers and loggers get wrong. */
export function abuseHeaders(rng: Rng, headers: [string, string][]): [string, string][] {
  if (!rng.chance(0.12)) return headers;
  const out = [...headers];
  rng.weighted<void>([
    [2, () => { out.push(['x-forwarded-for', rng.pick(['1.1.1.1, 2.2.2.2', 'garbage', '999.999.999.999', '::1', '127.0.0.1'.repeat(500), hostileString(rng).slice(0, 500)])]); }],
    [1, () => { out.push(['x-forwarded-proto', rng.pick(['https', 'gopher', 'https, http', ''])], ['x-forwarded-host', rng.pick(['evil.example', 'a:b:c', ''])]); }],
    [1, () => { out.push(['host', rng.pick(['evil.example', '', 'a'.repeat(300), '127.0.0.1:1', '[::1', 'xn--80ak6aa92e.com'])]); }],
    [1, () => { out.push(['x-request-id', rng.pick(['', 'a'.repeat(5000), '\u00ff\u00fe', '../../x', '{"$ne":1}'])]); }],
    [1, () => { out.push(['cookie', rng.pick(['kf_session=', 'kf_session=x; kf_session=y', '=;=;=', 'a'.repeat(8000), 'kf_session=%E0%A4%A', `kf_session=${'x'.repeat(4000)}`])]); }],
    [1, () => { for (let i = 0; i < 60; i++) out.push([`x-fuzz-${i}`, 'v']); }],
    [1, () => { out.push(['x-big', 'b'.repeat(rng.pick([1000, 7000]))]); }],
    [1, () => { out.push(['accept', rng.pick(['application/json', 'text/html', '*/*;q=0', 'image/png', 'x'.repeat(500)])], ['accept-encoding', rng.pick(['gzip', 'br', 'zstd', 'x'])]); }],
    [1, () => { out.push(['origin', rng.pick(['https://evil.example', 'null', ''])], ['access-control-request-method', 'POST']); }],
    [0.5, () => { out.push(['expect', '100-continue']); }],
    [0.5, () => { out.push(['if-none-match', '*'], ['range', 'bytes=0-1']); }],
  ]);
  return out;
}
