import { describe, expect, it } from 'vitest';

import { randomId } from './random-id.js';

describe('randomId', () => {
  it('never begins with "-", and is otherwise plain base64url of the asked length', () => {
    const ids = Array.from({ length: 20_000 }, () => randomId(18));
    // A plain base64url draw begins with '-' once in 64: 20,000 draws would hold about 300.
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{23}$/);
    expect(new Set(ids.map((id) => id[0])).size).toBe(63);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
