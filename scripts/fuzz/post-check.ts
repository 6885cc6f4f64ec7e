// After the flood: every token answered 200 during the run is introspected by its own client
// and must still be active, unless a request with the right to do so may have revoked it or
// changed its client, or it is for an API the fuzzer may change (only the protected API is
// left alone).

import { basicAuth, type Fixtures } from './fixtures.js';
import type { IssuedToken } from './ledger.js';

export interface PostCheckResult {
  checked: number;
  checkedProtected: number;
  excused: { revoked: number; clientChanged: number; otherApi: number };
  failures: { token: IssuedToken; status: number; body: string }[];
}

const CONCURRENCY = 16;

async function introspect(url: string, t: IssuedToken): Promise<{ status: number; body: string }> {
  const { owner } = t;
  const form = new URLSearchParams({ token: t.token });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (owner.auth === 'basic') headers['authorization'] = basicAuth(owner.id, owner.secret);
  else {
    form.set('client_id', owner.id);
    form.set('client_secret', owner.secret);
  }
  const res = await fetch(`${url}/token/introspection`, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.text() };
}

export async function postCheck(f: Fixtures): Promise<PostCheckResult> {
  const { ledger } = f;
  const result: PostCheckResult = { checked: 0, checkedProtected: 0, excused: { revoked: 0, clientChanged: 0, otherApi: 0 }, failures: [] };
  const strict: IssuedToken[] = [];
  for (const t of ledger.tokens) {
    if (ledger.maybeRevoked.has(t.token)) result.excused.revoked++;
    else if (ledger.maybeChanged.has(t.owner.id)) result.excused.clientChanged++;
    else if (!ledger.holdsOnlyProtectedScopes(t.scope)) result.excused.otherApi++;
    else strict.push(t);
  }
  let next = 0;
  const worker = async () => {
    while (next < strict.length) {
      const t = strict[next++]!;
      const { status, body } = await introspect(f.url, t);
      result.checked++;
      if (t.owner.protected) result.checkedProtected++;
      let ok = false;
      try {
        const json = JSON.parse(body) as { active?: unknown; client_id?: unknown };
        ok = status === 200 && json.active === true && json.client_id === t.owner.id;
      } catch {
        ok = false;
      }
      if (!ok) result.failures.push({ token: t, status, body: body.slice(0, 300) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return result;
}
