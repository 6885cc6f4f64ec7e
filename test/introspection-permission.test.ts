import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';

import { adminToken, createApi, introspect, registerClient, revoke, tokenRequest, type RegisteredClient } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// Who may ask about a token, and what the others are told (docs/resource-server.md, "Who may introspect").
let srv: TestServer;
let url: string;
let admin: string;
const LEDGER = 'https://ledger.example.com';
const PAYROLL = 'https://payroll.example.com';

const link = (api: string, clientId: string) => request(url).post(`/api/apis/${encodeURIComponent(api)}/resource-servers`)
  .set('Authorization', `Bearer ${admin}`).send({ client_id: clientId }).expect(200);

async function tokenOf(c: RegisteredClient): Promise<string> {
  const res = await tokenRequest(url, c.client_id, c.client_secret);
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

beforeAll(async () => {
  srv = await startTestServer();
  url = srv.url;
  admin = await adminToken(url, srv.config.issuer);
  await createApi(url, admin, { identifier: LEDGER, name: 'Ledger', scopes: [{ name: 'ledger:read' }] });
  await createApi(url, admin, { identifier: PAYROLL, name: 'Payroll', scopes: [{ name: 'payroll:read' }] });
});
afterAll(() => srv?.destroy());

describe('a client that is a resource server of no API', () => {
  it('is told so with a 403 error, whatever the token, and learns nothing about it', async () => {
    const owner = await registerClient(url, { scope: 'ledger:read', access_token_strategy: 'opaque' });
    const unlinked = await registerClient(url, {});
    const foreign = await tokenOf(owner);
    const expected = {
      status: 403,
      body: {
        error: 'unauthorized_client',
        error_description: expect.stringMatching(/not a resource server of any API.*link it/),
      },
    };
    // Someone else's live token, a garbage token, a revoked one: the same answer, so no existence oracle.
    const answers = [];
    for (const t of [foreign, 'no-such-token', 'garbage.not.jwt']) {
      const res = await introspect(url, unlinked.client_id, unlinked.client_secret, t);
      answers.push({ status: res.status, body: res.body as unknown });
    }
    await revoke(url, owner.client_id, owner.client_secret, foreign);
    const afterRevoke = await introspect(url, unlinked.client_id, unlinked.client_secret, foreign);
    answers.push({ status: afterRevoke.status, body: afterRevoke.body as unknown });
    for (const a of answers) {
      expect(a).toEqual(expected);
      expect(Object.keys(a.body as object).sort()).toEqual(['error', 'error_description']);
      expect(JSON.stringify(a.body)).not.toContain(owner.client_id);
      expect(JSON.stringify(a.body)).not.toMatch(/ledger/);
    }
  });

  it('may still introspect its own tokens, live or revoked, in both formats', async () => {
    for (const access_token_strategy of ['opaque', 'jwt']) {
      const self = await registerClient(url, { scope: 'payroll:read', access_token_strategy });
      const tok = await tokenOf(self);
      const res = await introspect(url, self.client_id, self.client_secret, tok);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ active: true, client_id: self.client_id, aud: PAYROLL });
      await revoke(url, self.client_id, self.client_secret, tok);
      const revoked = await introspect(url, self.client_id, self.client_secret, tok);
      expect({ status: revoked.status, body: revoked.body as unknown }).toEqual({ status: 200, body: { active: false } });
    }
  });
});

describe('a resource server of another API', () => {
  it('gets active:false for a token of an API it does not serve, exactly as for an unknown token', async () => {
    const owner = await registerClient(url, { scope: 'ledger:read', access_token_strategy: 'jwt' });
    const payrollRs = await registerClient(url, {});
    await link(PAYROLL, payrollRs.client_id);
    const ledgerToken = await tokenOf(owner);
    const foreign = await introspect(url, payrollRs.client_id, payrollRs.client_secret, ledgerToken);
    const unknown = await introspect(url, payrollRs.client_id, payrollRs.client_secret, 'no-such-token');
    expect({ status: foreign.status, body: foreign.body as unknown }).toEqual({ status: 200, body: { active: false } });
    expect({ status: unknown.status, body: unknown.body as unknown }).toEqual({ status: 200, body: { active: false } });
  });
});
