import { describe, expect, it } from 'vitest';

import type { TokenRecord } from './records.js';
import { TokenCache } from './token-cache.js';

const record = (id: string, client = 'c1', aud?: string | string[]): TokenRecord => ({
  _id: id, format: 'opaque', client_id: client, iat: 0, expiresAt: null, revoked: false, ...(aud ? { aud } : {}),
});

describe('TokenCache', () => {
  it('answers what it was given, and never a revoked record', () => {
    const cache = new TokenCache(10);
    cache.set(record('a'), 1000);
    expect(cache.get('a', 1001)?._id).toBe('a');
    cache.set({ ...record('b'), revoked: true }, 1000);
    expect(cache.get('b', 1001)).toBeUndefined();
  });

  it('keeps a revoked token out for the bypass window, even when a slow read puts it back', () => {
    const cache = new TokenCache(10);
    cache.set(record('a'), 0);
    cache.evict({ token: 'a' }, 1000);
    expect(cache.get('a', 1001)).toBeUndefined();
    // A read that began before the revocation finishes now, with the old state.
    cache.set(record('a'), 5999);
    expect(cache.get('a', 5999)).toBeUndefined();
    // After the window the database is the truth again and the cache may hold it.
    cache.set(record('a'), 6001);
    expect(cache.get('a', 6002)?._id).toBe('a');
  });

  it('a client-wide revocation bypasses every token of that client, and only those audiences', () => {
    const cache = new TokenCache(10);
    cache.set(record('x', 'c1', 'https://orders'), 0);
    cache.set(record('y', 'c1', 'https://billing'), 0);
    cache.set(record('z', 'c2', 'https://orders'), 0);
    cache.evict({ client: 'c1', aud: ['https://orders'] }, 100);
    expect(cache.get('x', 101)).toBeUndefined();
    expect(cache.get('z', 101)?._id).toBe('z');
    // The client-wide bypass holds the client's other tokens out of the cache during the window.
    expect(cache.get('y', 101)).toBeUndefined();
    cache.set(record('y', 'c1', 'https://billing'), 5101);
    expect(cache.get('y', 5102)?._id).toBe('y');
  });

  it('steps aside when the revocation sync is stale', () => {
    const cache = new TokenCache(10);
    cache.vouch(1000, 500);
    cache.set(record('a'), 1100);
    expect(cache.get('a', 1400)?._id).toBe('a');
    expect(cache.get('a', 1500)).toBeUndefined();
    cache.vouch(1600, 500);
    expect(cache.get('a', 1700)?._id).toBe('a');
  });

  it('forgets entries older than its maximum age, and the oldest when full', () => {
    const cache = new TokenCache(2, 1000);
    cache.set(record('a'), 0);
    expect(cache.get('a', 1001)).toBeUndefined();
    cache.set(record('b'), 2000);
    cache.set(record('c'), 2000);
    cache.set(record('d'), 2000);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 2001)).toBeUndefined();
    expect(cache.get('d', 2001)?._id).toBe('d');
  });

  it('keeps nothing when its size is 0', () => {
    const cache = new TokenCache(0);
    cache.set(record('a'), 0);
    expect(cache.get('a', 1)).toBeUndefined();
  });
});
