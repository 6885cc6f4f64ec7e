// Seeds applications and their key sets' clients straight into the collections, in the
// shape src/applications and the Client adapter write them, in batches: 100,000
// applications take seconds this way, and hours through the API.

import { randomBytes } from 'node:crypto';

import type { Db } from 'mongodb';

import type { ApplicationDoc } from '../../src/applications/model.js';
import type { ClientRecord } from '../../src/store/records.js';

export const WORDS = [
  'billing', 'orders', 'catalog', 'search', 'payments', 'shipping', 'returns', 'loyalty',
  'reports', 'inventory', 'pricing', 'reviews', 'accounts', 'alerts', 'exports', 'imports',
] as const;

/** Application i's name; unique, and 1/16 of them start with each word. */
export const nameOf = (i: number) => `${WORDS[i % WORDS.length]}-${String(i).padStart(6, '0')}`;

const BATCH = 1000;

/** Inserts applications [from, to) with a production key set each, and a sandbox one every other. */
export async function seedApplications(db: Db, from: number, to: number, api: string, scope: string): Promise<void> {
  const apps = db.collection<ApplicationDoc>('applications');
  const clients = db.collection<ClientRecord>('clients');
  for (let start = from; start < to; start += BATCH) {
    const end = Math.min(to, start + BATCH);
    const appDocs: ApplicationDoc[] = [];
    const clientDocs: ClientRecord[] = [];
    const now = new Date();
    for (let i = start; i < end; i++) {
      const id = `seed${String(i).padStart(7, '0')}`;
      const keys: ApplicationDoc['keys'] = {};
      for (const keyType of i % 2 === 0 ? ['production', 'sandbox'] as const : ['production'] as const) {
        const clientId = randomBytes(18).toString('base64url');
        keys[keyType] = { client_id: clientId, created_at: now, secret_updated_at: now };
        clientDocs.push({
          _id: clientId,
          metadata: {
            client_id: clientId,
            // A hash of nothing anyone holds: these clients exist but never authenticate.
            client_secret: randomBytes(32).toString('base64url'),
            grant_types: ['client_credentials'],
            response_types: [],
            token_endpoint_auth_method: 'client_secret_basic',
            scope,
            access_token_strategy: i % 3 === 0 ? 'jwt' : 'opaque',
            access_token_ttl: 3600,
            application_id: id,
            key_type: keyType,
          },
          created_at: now,
          updated_at: now,
        });
      }
      const name = nameOf(i);
      appDocs.push({
        _id: id,
        name,
        name_key: name.toLowerCase(),
        description: '',
        token_type: i % 3 === 0 ? 'JWT' : 'OAuth',
        access_token_ttl: 3600,
        subscriptions: [api],
        keys,
        created_at: now,
        updated_at: now,
      });
    }
    await clients.insertMany(clientDocs, { ordered: false });
    await apps.insertMany(appDocs, { ordered: false });
  }
}
