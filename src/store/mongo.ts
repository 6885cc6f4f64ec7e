import { MongoClient, MongoServerError, type Db } from 'mongodb';

import { collectionsOf, PERSISTED_MODELS, type Collections } from './collections.js';

const NAMESPACE_NOT_FOUND = 26;

/** The sweeper's index where TTL indexes are refused. */
const EXPIRY_INDEX = 'expiresAt_1';
/** What per-client revocation and the revocation feed query tokens by. */
const TOKEN_QUERY_INDEXES = [
  { key: { client_id: 1 }, name: 'client_id_1' },
  { key: { revoked_at: 1 }, name: 'revoked_at_1' },
] as const;

export interface Store {
  client: MongoClient;
  db: Db;
  collections: Collections;
  /** False on servers such as FerretDB v1 that refuse TTL indexes; the sweeper covers both. */
  ttlIndexes: boolean;
  /** False on FerretDB v1, whose queries use no index but the one on `_id`: only unique indexes are made there. */
  secondaryIndexes: boolean;
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
  const secondaryIndexes = await secondaryIndexesServeQueries(db);
  const ttlIndexes = await ensureIndexes(db, collections, secondaryIndexes);
  return {
    client,
    db,
    collections,
    ttlIndexes,
    secondaryIndexes,
    close: () => client.close(),
  };
}

/**
 * FerretDB v1 answers every filter but `{_id: value}` by reading the whole table, so a
 * secondary index there serves no query and only costs each insert: about a fifth of its
 * CPU per issued token with the token collection's three. Unique indexes are kept
 * everywhere, since they enforce rules whatever serves the reads.
 */
async function secondaryIndexesServeQueries(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return info['ferretdbVersion'] === undefined;
}

/** True when the server expires records itself; otherwise the sweeper does. */
async function ensureExpiryIndex(db: Db, name: string, indexed: boolean): Promise<boolean> {
  const coll = db.collection(name);
  try {
    await coll.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 });
    return true;
  } catch (err) {
    if (!(err instanceof MongoServerError)) throw err;
    // No TTL support here: a plain index keeps the sweeper's deletes cheap where it serves them.
    if (indexed) await coll.createIndex({ expiresAt: 1 }, { name: EXPIRY_INDEX });
    return false;
  }
}

async function ensureIndexes(db: Db, collections: Collections, indexed: boolean): Promise<boolean> {
  let ttl = await ensureExpiryIndex(db, collections.tokens.collectionName, indexed);
  for (const model of PERSISTED_MODELS) {
    ttl = (await ensureExpiryIndex(db, collections.model(model).collectionName, indexed)) && ttl;
  }
  ttl = (await ensureExpiryIndex(db, collections.rateLimits.collectionName, indexed)) && ttl;
  ttl = (await ensureExpiryIndex(db, collections.revocationEvents.collectionName, indexed)) && ttl;
  if (indexed) {
    await collections.revocationEvents.createIndex({ at: 1 }, { name: 'at_1' });
    for (const { key, name } of TOKEN_QUERY_INDEXES) await collections.tokens.createIndex(key, { name });
  } else {
    // Created by earlier versions: dropped, so an upgraded database stops paying for them.
    const existing = await collections.tokens.listIndexes().toArray().catch((err: unknown) => {
      if (err instanceof MongoServerError && err.code === NAMESPACE_NOT_FOUND) return [];
      throw err;
    });
    const present = new Set(existing.map((i) => String(i['name'])));
    for (const name of [EXPIRY_INDEX, ...TOKEN_QUERY_INDEXES.map((i) => i.name)]) {
      if (present.has(name)) await collections.tokens.dropIndex(name);
    }
  }
  return ttl;
}
