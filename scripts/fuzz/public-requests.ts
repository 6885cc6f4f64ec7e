// What anyone may call: discovery, JWKS, probes, metrics; and what nobody should: odd
// methods, traversal and broken escapes in paths, unknown routes.

import type { FuzzRequest } from './http-client.js';
import { hostileSegment, type Rng } from './random.js';
import { abuseHeaders, ODD_METHODS } from './request-kit.js';

const PUBLIC = [
  '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks', '/healthz', '/readyz', '/metrics',
  '/', '/api/openapi.json',
];

const ODD_PATHS = [
  '/reg/%E0%A4%A', '/reg/%', '/reg/%%', '/reg/%ff', '/api/apis/%E0%A4%A', '/api/applications/%E0%A4%A/keys/production',
  '/portal/applications/%E0%A4%A', '/token/%E0%A4%A', '/%E0%A4%A', '/..%2f..%2fetc%2fpasswd', '/portal/assets/..%2f..%2fpackage.json',
  '/portal/assets/%2e%2e/%2e%2e/package.json', '/api/../portal', '/./token', '/token/../jwks', '//jwks', '/jwks/', '/jwks?x=%ZZ',
  '/.well-known/', '/.well-known/openid-configuration/..', '/auth', '/session/end', '/me', '/device', '/request', '/token/introspection/x',
  '/api', '/api/', '/api/apis/', '/api//apis', '/api/apis?__proto__[x]=1', '/favicon.ico', '/robots.txt', '/%00', '/a%0d%0aSet-Cookie:x=1',
  '/?%E0%A4%A', '/portal?next=%E0%A4%A', `/${'a/'.repeat(2000)}`, `/reg/${'%41'.repeat(3000)}`,
];

export function publicRequest(rng: Rng): FuzzRequest {
  const path = rng.weighted<string>([
    [5, () => rng.pick(PUBLIC)],
    [3, () => rng.pick(ODD_PATHS)],
    [2, () => `/${rng.pick(['reg', 'api/apis', 'api/applications', 'api/keys', 'token', 'portal/applications', 'jwks', '.well-known'])}/${hostileSegment(rng)}`],
  ]);
  const method = rng.weighted<string>([[6, () => 'GET'], [1, () => 'HEAD'], [1, () => 'OPTIONS'], [1, () => 'POST'], [1, () => rng.pick(ODD_METHODS)]]);
  const req: FuzzRequest = { group: 'public', method, path, headers: abuseHeaders(rng, []) };
  if (method === 'POST' || method === 'PUT') {
    req.headers.push(['content-type', rng.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain'])]);
    req.body = rng.pick(['{}', 'a=b', '', '{"__proto__":{"x":1}}']);
  }
  return req;
}
