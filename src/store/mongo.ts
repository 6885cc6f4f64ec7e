import { MongoClient, MongoServerError, type Db } from 'mongodb';

import { collectionsOf, PERSISTED_MODELS, type Collections } from './collections.js';

export interface Store {
  client: MongoClient;
  db: Db;
  collections: Collections;
  /** False on servers such as FerretDB v1 that refuse TTL indexes; the sweeper covers both. */
  ttlIndexes: boolean;
  close(): Promise<void>;
}

export async function connectStore(uri: string, dbName: string, o: { tokenCacheSize?: number } = {}): Promise<Store> {
  const client = new MongoClient(uri, {
    // A write that the server acknowledged must survive a primary failover (replica sets);
    // standalone servers treat majority as the single node.
    writeConcern: { w: 'majority' },
    // Fail fast when the database is away (requests answer 503), notice its return quickly.
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    heartbeatFrequencyMS: 2000,
    maxPoolSize: 50,
    // Command events feed the database latency metric.
    monitorCommands: true,
  });
  await client.connect();
  const db = client.db(dbName);
  const collections = collectionsOf(db, o);
  const ttlIndexes = await ensureIndexes(db, collections);
  return {
    client,
    db,
    collections,
    ttlIndexes,
    close: () => client.close(),
  };
}

async function ensureExpiryIndex(
  db: Db,
  name: string,
): Promise<boolean> {
  const coll = db.collection(name);
  try {
    await coll.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 });
    return true;
  } catch (err) {
    if (!(err instanceof MongoServerError)) throw err;
    // No TTL support here: a plain index keeps the sweeper's deletes cheap.
    await coll.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    return false;
  }
}

async function ensureIndexes(db: Db, collections: Collections): Promise<boolean> {
  let ttl = await ensureExpiryIndex(db, collections.tokens.collectionName);
  for (const model of PERSISTED_MODELS) {
    ttl = (await ensureExpiryIndex(db, collections.model(model).collectionName)) && ttl;
  }
  ttl = (await ensureExpiryIndex(db, collections.rateLimits.collectionName)) && ttl;
  ttl = (await ensureExpiryIndex(db, collections.revocationEvents.collectionName)) && ttl;
  await collections.revocationEvents.createIndex({ at: 1 }, { name: 'at_1' });
  await collections.tokens.createIndex({ client_id: 1 }, { name: 'client_id_1' });
  await collections.tokens.createIndex({ revoked_at: 1 }, { name: 'revoked_at_1' });
  return ttl;
}
