import { Writable } from 'node:stream';

import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { logFailure } from '../src/ops/index.js';
import { freePort } from './support/test-server.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('logs of failed background tasks', () => {
  it('an unreachable database: one warn line with type and message, no stack', async () => {
    // A real driver error: nothing listens on this port.
    const client = new MongoClient(`mongodb://127.0.0.1:${await freePort()}/`, { serverSelectionTimeoutMS: 200 });
    const err = await client.db('x').command({ ping: 1 }).catch((e: unknown) => e);
    await client.close();
    const { log, lines } = capture();
    logFailure(log, err, 'sweeping expired records failed');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'sweeping expired records failed', error: { type: 'MongoServerSelectionError' } });
    expect(JSON.stringify(lines[0])).not.toMatch(/stack|\n\s+at /);
    expect((lines[0]!['error'] as { message: string }).message).toMatch(/ECONNREFUSED|connect/);
  });

  it('anything else: error level, with the stack', async () => {
    const { log, lines } = capture();
    logFailure(log, new TypeError('cannot read properties of undefined'), 'refreshing keys and APIs failed');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ level: 50, err: { type: 'TypeError' } });
    expect((lines[0]!['err'] as { stack: string }).stack).toMatch(/\n\s+at /);
  });
});
