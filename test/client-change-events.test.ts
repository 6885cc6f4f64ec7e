import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerClient } from './support/oauth.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// Client changes reach other instances' caches through change events that every instance's
// revocation sync reads twice a second. On FerretDB that read scans every event kept, so an
// event nobody needs (a brand-new client, which no cache can hold) costs every instance.

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv?.destroy());

const changeEvents = (clientId: string) => srv.store.collections.revocationEvents.countDocuments({ client_changed: clientId });

describe('client change events', () => {
  it('are not written for a newly registered client', async () => {
    const c = await registerClient(srv.url, { grant_types: ['client_credentials'] });
    expect(await changeEvents(c.client_id)).toBe(0);
  });

  it('are written when a client changes, and when it is deleted', async () => {
    const c = await registerClient(srv.url, { grant_types: ['client_credentials'] });
    const path = new URL(c.registration_client_uri).pathname;
    const put = await request(srv.url).put(path).set('Authorization', `Bearer ${c.registration_access_token}`)
      .send({ client_id: c.client_id, grant_types: ['client_credentials'], client_name: 'renamed' });
    expect(put.status).toBe(200);
    expect(await changeEvents(c.client_id)).toBeGreaterThanOrEqual(1);
    const before = await changeEvents(c.client_id);
    const del = await request(srv.url).delete(path).set('Authorization', `Bearer ${put.body.registration_access_token}`);
    expect(del.status).toBe(204);
    expect(await changeEvents(c.client_id)).toBeGreaterThan(before);
  });
});
