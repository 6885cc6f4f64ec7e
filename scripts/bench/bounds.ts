// Bounds measured in the same run as the servers (issue 10), each on this
// machine's cores:
// - RS256 signatures/s with 2048-bit keys by node:crypto, one worker thread
//   per core (and on one thread): JWT issuance cannot sign faster than this.
// - Single-document inserts/s that FerretDB acknowledges through our group
//   commit (src/store/batching.ts BatchInserter, the same class the token
//   endpoint uses), with as many concurrent writers as load connections:
//   opaque or JWT issuance cannot store records faster than this.
// The HTTP bounds (bare node:http, HMAC check + random token) are servers of
// their own (bound-server.ts, hmac-bound-server.ts), driven like the others.

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { MongoClient } from 'mongodb';

import { BatchInserter } from '../../src/store/batching.js';
import { startEmbeddedServer } from '../../src/store/embedded-server.js';
import { hashToken } from '../../src/store/records.js';

interface SignJob {
  seconds: number;
}

if (!isMainThread && (workerData as { kind?: string } | undefined)?.kind === 'rs256') {
  const { seconds } = workerData as SignJob;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // A JWS signing input of about the size of our access tokens.
  const input = Buffer.from(randomBytes(300).toString('base64url'));
  const end = performance.now() + seconds * 1000;
  let count = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) sign('sha256', input, privateKey);
    count += 10;
  }
  parentPort!.postMessage(count / seconds);
}

/** RS256 signatures per second over `threads` worker threads in parallel. */
export async function rs256SignsPerSecond(threads: number, seconds: number): Promise<number> {
  const rates = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { kind: 'rs256', seconds } });
          w.once('message', (rate: number) => resolve(rate));
          w.once('error', reject);
        }),
    ),
  );
  return rates.reduce((a, b) => a + b, 0);
}

export interface InsertBound {
  insertsPerSecond: number;
  writers: number;
  database: string;
}

/** Acknowledged single-record inserts/s through BatchInserter, `writers` awaiting one insert each at a time. */
export async function groupCommitInserts(dir: string, writers: number, seconds: number): Promise<InsertBound> {
  const db = await startEmbeddedServer({ dataDir: join(dir, 'db') });
  const client = new MongoClient(db.uri);
  try {
    await client.connect();
    const coll = client.db('bound').collection<{ _id: string }>('tokens');
    const inserter = new BatchInserter(coll);
    const end = performance.now() + seconds * 1000;
    let acked = 0;
    const started = performance.now();
    const writer = async () => {
      while (performance.now() < end) {
        const iat = Math.floor(Date.now() / 1000);
        // The shape and size of an opaque token's record (src/store/oidc-adapter.ts).
        await inserter.insert({
          _id: hashToken(randomBytes(32).toString('base64url')),
          format: 'opaque',
          client_id: randomBytes(16).toString('hex'),
          iat,
          exp: iat + 3600,
          expiresAt: new Date((iat + 3600) * 1000),
          revoked: false,
          scope: 'bench:read',
          aud: 'https://bench.keyforge.test/api',
          payload: { iat, exp: iat + 3600, accountId: undefined, clientId: randomBytes(16).toString('hex'), kind: 'AccessToken', scope: 'bench:read', extra: {} },
        } as { _id: string });
        acked++;
      }
    };
    await Promise.all(Array.from({ length: writers }, writer));
    return { insertsPerSecond: acked / ((performance.now() - started) / 1000), writers, database: db.kind };
  } finally {
    await client.close();
    await db.stop();
  }
}
