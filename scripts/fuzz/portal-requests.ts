// The portal: pages with and without a session, and every form, posted with the session
// cookie and its CSRF token (the way the browser does), without them, or with the wrong ones.
// With a valid session and token, forms change only mutable applications and the playground
// API; the main session is never signed out (spare sessions are, one each).

import { formBody, type FormPairs } from './bodies.js';
import { PLAYGROUND_API, PLAYGROUND_SCOPES, PROTECTED_API, PROTECTED_SCOPES, type Fixtures } from './fixtures.js';
import type { FuzzRequest } from './http-client.js';
import type { Application } from './ledger.js';
import { encodeLoosely, hostileSegment, hostileString, type Rng } from './random.js';
import { abuseHeaders, contentType, FORM, ODD_METHODS } from './request-kit.js';

const KEY_TYPES = ['production', 'sandbox'];

function appId(rng: Rng, f: Fixtures, mutableOnly: boolean): { id: string; app?: Application } {
  const apps = f.ledger.applications.filter((a) => !mutableOnly || !a.protected);
  if (!apps.length || rng.chance(0.08)) return { id: hostileSegment(rng) };
  const app = rng.pick(apps);
  return { id: app.id, app };
}

function page(rng: Rng, f: Fixtures): string {
  const { id } = appId(rng, f, false);
  return rng.pick([
    '/portal', '/portal/', '/', '/portal/applications', '/portal/applications/new', `/portal/applications/${id}`,
    `/portal/applications/${id}?tab=${rng.pick(['sandbox', 'production', hostileString(rng).slice(0, 50)].map(encodeLoosely))}`,
    `/portal/applications/${id}/edit`, `/portal/applications/${id}/delete`, '/portal/apis', '/portal/apis/new',
    `/portal/apis/edit?id=${encodeURIComponent(rng.pick([PROTECTED_API, PLAYGROUND_API, `${f.url}/api`]))}`,
    `/portal/apis/edit?id=${encodeLoosely(hostileString(rng).slice(0, 200))}`, '/portal/apis/edit', '/portal/apis/edit?id=a&id=b',
    `/portal/sign-in?next=${encodeLoosely(rng.pick(['//evil.example/', '/portal/../api/apis', '/\\evil', 'javascript:x', '/portal/apis', hostileString(rng).slice(0, 100)]))}&notice=${rng.pick(['expired', 'signed-out', '__proto__', 'constructor'])}`,
    `/portal/assets/${rng.pick(['portal.css', 'portal.js', '..%2f..%2fpackage.json', '../../package.json', '%E0%A4%A', 'x'])}`,
    `/portal/${hostileSegment(rng)}`, `/portal/applications/${id}/keys/${rng.pick(KEY_TYPES)}`,
  ]);
}

interface Form {
  path: string;
  fields: FormPairs;
  /** Changes state: with valid session and CSRF only on mutable targets. */
  changes: boolean;
  app?: Application;
}

function appFields(rng: Rng): FormPairs {
  const fields: FormPairs = [
    ['name', rng.chance(0.8) ? `Portal app ${rng.int(1e9)}` : hostileString(rng).slice(0, 300)],
    ['description', rng.chance(0.7) ? 'made by the fuzzer' : hostileString(rng)],
    ['token_type', rng.pick(['JWT', 'OAuth', 'jwt', ''])],
    ['access_token_ttl', rng.pick(['7200', '3600', '-1', '0', '1.5', '1e9', 'abc', ''])],
  ];
  for (const api of [PLAYGROUND_API, PROTECTED_API]) if (rng.chance(0.5)) fields.push(['subscriptions', api]);
  return fields;
}

function keyFields(rng: Rng): FormPairs {
  const fields: FormPairs = [['access_token_ttl', rng.pick(['7200', '-1', '60', 'x', ''])]];
  for (const s of [...PLAYGROUND_SCOPES, ...PROTECTED_SCOPES]) if (rng.chance(0.4)) fields.push(['scopes', s]);
  return fields;
}

function form(rng: Rng, f: Fixtures, mutableOnly: boolean): Form {
  const { id, app } = appId(rng, f, mutableOnly);
  const type = rng.chance(0.95) ? rng.pick(KEY_TYPES) : rng.pick(['both', '__proto__', '%E0%A4%A']);
  const keyClient = app?.keys[type as 'production' | 'sandbox'];
  return rng.weighted<Form>([
    [3, () => ({ path: '/portal/applications', fields: appFields(rng), changes: false })],
    [3, () => ({ path: `/portal/applications/${id}`, fields: appFields(rng), changes: true, app })],
    [0.5, () => ({ path: `/portal/applications/${id}/delete`, fields: [], changes: true, app })],
    [2, () => ({ path: `/portal/applications/${id}/keys/${type}`, fields: keyFields(rng), changes: true, app })],
    [2, () => ({ path: `/portal/applications/${id}/keys/${type}/token`, fields: [['client_secret', rng.chance(0.7) && keyClient ? keyClient.secret : hostileString(rng)], ...keyFields(rng).slice(1)], changes: false, app })],
    [1, () => ({ path: `/portal/applications/${id}/keys/${type}/secret`, fields: [], changes: true, app })],
    [2, () => ({ path: `/portal/applications/${id}/keys/${type}/settings`, fields: keyFields(rng), changes: true, app })],
    [1, () => ({ path: `/portal/applications/${id}/keys/${type}/revoke`, fields: [], changes: true, app })],
    [0.5, () => ({ path: `/portal/applications/${id}/keys/${type}/remove`, fields: [], changes: true, app })],
    [1, () => ({
      path: '/portal/apis',
      fields: [['identifier', rng.chance(0.8) ? `https://portal-${rng.int(1e9)}.fuzz.test/` : hostileString(rng)], ['name', `Portal API ${rng.int(1e6)}`],
        ['signing_alg', rng.pick(['RS256', 'ES256', 'EdDSA', 'none', ''])], ['scope_name', `ps${rng.int(1e9)}:x`], ['scope_description', 'x'], ['scope_name', rng.chance(0.3) ? 'p:read' : '']],
      changes: false,
    })],
    [1, () => ({
      path: `/portal/apis/edit?id=${encodeURIComponent(mutableOnly ? PLAYGROUND_API : rng.pick([PLAYGROUND_API, PROTECTED_API, `${f.url}/api`]))}`,
      fields: [['name', rng.chance(0.8) ? 'Playground' : hostileString(rng)], ['signing_alg', rng.pick(['ES256', 'RS256', 'x'])],
        ...PLAYGROUND_SCOPES.map((s): [string, string] => ['scope_name', s]), ['scope_name', rng.chance(0.3) ? 'p:write' : `gs${rng.int(1e6)}:x`]],
      changes: true,
    })],
  ]);
}

export function portalRequest(rng: Rng, f: Fixtures): FuzzRequest {
  const { session } = f;
  const kind = rng.weighted<string>([[5, () => 'page'], [6, () => 'form'], [1, () => 'sign-in'], [0.3, () => 'sign-out'], [0.3, () => 'odd']]);

  if (kind === 'page' || kind === 'odd') {
    const cookie = rng.weighted<[string, string][]>([[8, () => [['cookie', session.cookie]]], [1, () => []], [1, () => [['cookie', `kf_session=${hostileString(rng).replace(/[;\s]/g, '').slice(0, 200)}`]]]]);
    return { group: 'portal', method: kind === 'odd' ? rng.pick(ODD_METHODS) : rng.chance(0.05) ? 'HEAD' : 'GET', path: page(rng, f), headers: abuseHeaders(rng, cookie) };
  }

  if (kind === 'sign-in') {
    // Never with the main session's cookie: a successful sign-in replaces the session it carries.
    const valid = rng.chance(0.3) && f.ledger.spend('signIn');
    const fields: FormPairs = [
      ['_csrf', rng.chance(0.85) ? f.signInCsrf : hostileString(rng)],
      ['username', valid || rng.chance(0.3) ? f.portalUser : hostileString(rng).slice(0, 200)],
      ['password', valid ? f.portalPassword : hostileString(rng)],
      ['next', rng.pick(['', '/portal/apis', '//evil.example/', '/portal/../api', hostileString(rng).slice(0, 100)])],
    ];
    return {
      group: 'portal',
      method: 'POST',
      path: '/portal/sign-in',
      headers: abuseHeaders(rng, [['cookie', `kf_signin=${f.signInCsrf}`], ...contentType(rng, FORM, 0.1)]),
      body: formBody(rng, fields, valid ? 0 : 0.4),
    };
  }

  if (kind === 'sign-out') {
    const spare = rng.chance(0.5) ? f.spareSessions.pop() : undefined;
    const s = spare ?? session;
    // The main session only ever sends a wrong token here.
    const csrf = spare ? spare.csrf : rng.pick(['', 'x', session.csrf.slice(0, -1), f.signInCsrf]);
    return { group: 'portal', method: 'POST', path: '/portal/sign-out', headers: [['cookie', s.cookie], ['content-type', FORM]], body: `_csrf=${encodeURIComponent(csrf)}` };
  }

  let validCsrf = rng.chance(0.7);
  const withSession = validCsrf || rng.chance(0.6);
  const fm = form(rng, f, validCsrf && withSession);
  // Creating is capped like in the management API; past the cap the token is wrong.
  const budget = fm.path === '/portal/applications' ? 'createApplication' : fm.path === '/portal/apis' ? 'createApi' : undefined;
  if (validCsrf && budget && !f.ledger.spend(budget)) validCsrf = false;
  if (validCsrf && withSession && fm.changes && fm.app) f.ledger.mayChangeApplication(fm.app);
  const csrf = validCsrf ? session.csrf : rng.pick(['', 'x', session.csrf.toUpperCase(), f.signInCsrf, hostileString(rng)]);
  const fields: FormPairs = rng.chance(0.05) ? fm.fields : [['_csrf', csrf], ...fm.fields];
  const headers: [string, string][] = withSession ? [['cookie', session.cookie]] : [];
  return {
    group: 'portal',
    method: 'POST',
    path: fm.path,
    headers: abuseHeaders(rng, [...headers, ...contentType(rng, FORM, 0.1)]),
    body: formBody(rng, fields, 0.3),
  };
}
