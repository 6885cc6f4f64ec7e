import { randomBytes } from 'node:crypto';

import { MongoClient, type Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { RateLimiter, countsOf, type CounterDoc } from './rate-limiter.js';

// The run's shared database: the counts travel through real documents between two limiters,
// as they do between two server instances.
let client: MongoClient;
const dbName = `u_${randomBytes(6).toString('hex')}`;
let coll: Collection<CounterDoc>;
const limiters: RateLimiter[] = [];

const limiter = (): RateLimiter => {
  const l = new RateLimiter(coll, { windowSeconds: 3600, flushMs: 60_000, onError: (err) => { throw err; } });
  limiters.push(l);
  return l;
};

beforeAll(async () => {
  client = await new MongoClient(inject('mongoUri')).connect();
  coll = client.db(dbName).collection<CounterDoc>('rate_limits');
});

afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()));
  await client.db(dbName).dropDatabase().catch(() => undefined);
  await client.close();
});

describe('RateLimiter across instances', () => {
  it('shares counts for keys of any shape: addresses, dots, dollars, quotes, newlines', async () => {
    const a = limiter();
    const b = limiter();
    const keys = ['addr:10.0.0.1', 'addr:::ffff:127.0.0.1', 'client:$where.x', 'k"\\\n\t}', 'client:ключ'];
    for (const k of keys) for (let i = 0; i < 3; i++) a.hit(k, 100);
    await a.flush();
    await b.flush();
    for (const k of keys) {
      // b's own count is 0; with a's 3 the limit of 4 allows one more and a limit of 3 none.
      expect(b.exceeded(k, 4).allowed, k).toBe(true);
      expect(b.exceeded(k, 3).allowed, k).toBe(false);
    }
    expect(b.exceeded('addr:10.0.0.2', 1).allowed).toBe(true);
  });

  it('writes one packed string per window, with an empty list for instances not yet upgraded', async () => {
    const a = limiter();
    for (let i = 0; i < 2000; i++) a.hit(`client:${i}`, 10);
    await a.flush();
    const docs = await coll.find({}).toArray();
    const mine = docs.find((d) => countsOf(d).some(([k]) => k === 'client:1999'));
    expect(typeof mine?.packed).toBe('string');
    expect(mine?.counts).toEqual([]);
    expect(countsOf(mine!)).toHaveLength(2000);
  });

  it("counts a not-yet-upgraded instance's document, and ignores one it cannot read", async () => {
    const b = limiter();
    const window = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const expiresAt = new Date(window + 7_200_000);
    await coll.insertMany([
      { _id: `old:${window}`, window, counts: [{ k: 'client:legacy', n: 5 }], expiresAt },
      { _id: `odd:${window}`, window, packed: '{not json', counts: [], expiresAt },
      { _id: `odd2:${window}`, window, packed: '[["client:legacy","x"],[1,2],"z"]', counts: [], expiresAt },
    ]);
    await b.flush();
    expect(b.exceeded('client:legacy', 6).allowed).toBe(true);
    expect(b.exceeded('client:legacy', 5).allowed).toBe(false);
  });
});
