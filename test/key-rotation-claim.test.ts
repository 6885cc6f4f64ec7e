import { randomBytes } from 'node:crypto';

import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { RotationSchedule, SigningKeys } from '../src/keys/index.js';

const SECRET = 'rotation-claim-key-encryption-secret-0000000';
const DAY = 86_400_000;

/**
 * Several instances due at the same moment, each with its own connection, run their schedule
 * at once against one real database: each algorithm must be rotated exactly once.
 */
describe('scheduled rotation claims', () => {
  const clients: MongoClient[] = [];
  const dbName = `t_claim_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) clients.push(await MongoClient.connect(inject('mongoUri')));
    await new SigningKeys(clients[0]!.db(dbName), SECRET).ensure();
  });
  afterAll(async () => {
    await clients[0]?.db(dbName).dropDatabase().catch(() => undefined);
    await Promise.all(clients.map((c) => c.close()));
  });

  const scheduleOf = (c: MongoClient) => {
    const db = c.db(dbName);
    return new RotationSchedule({
      db,
      keys: new SigningKeys(db, SECRET),
      periodMs: DAY,
      activationDelaySeconds: 0,
      configRefreshSeconds: 1,
      longestLifetime: async () => ({ seconds: 3600 }),
      unexpiredJwtIssuedBy: async () => true,
    });
  };

  it('rotates each algorithm once when every instance is due together, several times over', async () => {
    const keys = clients[0]!.db(dbName).collection('signing_keys');
    for (let round = 1; round <= 3; round++) {
      // Every instance believes a period (and a bit) has passed since the newest key.
      const now = new Date(Date.now() + round * (DAY + 60_000));
      const results = await Promise.all(clients.map((c) => scheduleOf(c).tick(now)));
      const rotated = results.flatMap((r) => r.rotated.map((x) => x.alg)).sort();
      expect(rotated, `round ${round}`).toEqual(['ES256', 'EdDSA', 'RS256']);
      for (const alg of ['RS256', 'ES256', 'EdDSA']) {
        expect(await keys.countDocuments({ alg }), `${alg} round ${round}`).toBe(1 + round);
        expect(await keys.countDocuments({ alg, status: 'active' }), `${alg} active`).toBe(1);
      }
    }
  });
});

describe('scheduled rotation reads', () => {
  const dbName = `t_reads_${randomBytes(4).toString('hex')}`;
  let client: MongoClient;

  beforeAll(async () => {
    client = await MongoClient.connect(inject('mongoUri'));
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('reads the longest token lifetime (every JWT client) only while some key is retired', async () => {
    const db = client.db(dbName);
    const keys = new SigningKeys(db, SECRET);
    await keys.ensure();
    let reads = 0;
    const schedule = new RotationSchedule({
      db,
      keys,
      periodMs: DAY,
      activationDelaySeconds: 0,
      configRefreshSeconds: 1,
      longestLifetime: async () => {
        reads++;
        return { seconds: 3600 };
      },
      unexpiredJwtIssuedBy: async () => true,
    });
    for (let i = 0; i < 3; i++) await schedule.tick();
    expect(reads).toBe(0);
    // A period later the schedule rotates: the old keys are retired and now need their plan.
    await schedule.tick(new Date(Date.now() + DAY + 60_000));
    expect(reads).toBe(1);
    // Later ticks reuse that read for a minute; a plan asked for directly (GET /api/keys) reads afresh.
    for (let i = 0; i < 3; i++) await schedule.tick();
    expect(reads).toBe(1);
    expect((await schedule.removalPlan()).length).toBeGreaterThan(0);
    expect(reads).toBe(2);
  });
});
