import { randomBytes } from 'node:crypto';

import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { BatchInserter, SharedFinder } from './batching.js';

// A real database (the run's shared server), as everywhere else: the error mapping depends on
// what the driver actually reports for a bulk write.
let client: MongoClient;
const dbName = `u_${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  client = await new MongoClient(inject('mongoUri')).connect();
});

afterAll(async () => {
  await client.db(dbName).dropDatabase().catch(() => undefined);
  await client.close();
});

interface Doc { _id: string; n: number }

describe('BatchInserter', () => {
  it('rejects only the caller whose document failed; the rest of its batch is stored', async () => {
    const coll = client.db(dbName).collection<Doc>('batch_dup');
    await coll.insertOne({ _id: 'taken', n: 0 });
    const inserter = new BatchInserter(coll);
    const results = await Promise.allSettled([
      inserter.insert({ _id: 'a', n: 1 }),
      inserter.insert({ _id: 'taken', n: 2 }),
      inserter.insert({ _id: 'b', n: 3 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await coll.find({}, { sort: { _id: 1 } }).toArray()).map((d) => d._id)).toEqual(['a', 'b', 'taken']);
    expect((await coll.findOne({ _id: 'taken' }))?.n).toBe(0);
  });

  it('settles every caller when many inserts arrive at once', async () => {
    const coll = client.db(dbName).collection<Doc>('batch_many');
    const inserter = new BatchInserter(coll);
    await Promise.all(Array.from({ length: 700 }, (_, i) => inserter.insert({ _id: `d${i}`, n: i })));
    expect(await coll.countDocuments()).toBe(700);
  });

  it('rejects the whole batch when the write itself fails', async () => {
    const other = await new MongoClient(inject('mongoUri')).connect();
    const coll = other.db(dbName).collection<Doc>('batch_closed');
    await other.close();
    const inserter = new BatchInserter(coll);
    const results = await Promise.allSettled([inserter.insert({ _id: 'x', n: 1 }), inserter.insert({ _id: 'y', n: 2 })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('SharedFinder', () => {
  it('answers concurrent lookups of one id from one read, and reads again afterwards', async () => {
    const coll = client.db(dbName).collection<Doc>('finder');
    await coll.insertOne({ _id: 'k', n: 1 });
    const finder = new SharedFinder(coll);
    const first = finder.find('k');
    expect(finder.find('k')).toBe(first);
    expect((await first)?.n).toBe(1);
    await coll.updateOne({ _id: 'k' }, { $set: { n: 2 } });
    expect((await finder.find('k'))?.n).toBe(2);
  });
});
