import { describe, expect, it } from 'vitest';

import { DEFAULT_ACCESS_TOKEN_TTL } from '../consts/index.js';
import { effectiveTtl } from './client-metadata.js';

describe('effectiveTtl', () => {
  it('is the client\'s own lifetime, or the default when it names none', () => {
    expect(effectiveTtl(900, 0)).toBe(900);
    expect(effectiveTtl(undefined, 0)).toBe(DEFAULT_ACCESS_TOKEN_TTL);
    expect(effectiveTtl('900', 0)).toBe(DEFAULT_ACCESS_TOKEN_TTL);
  });

  it('is undefined (never expires) for a negative lifetime when there is no cap', () => {
    expect(effectiveTtl(-1, 0)).toBeUndefined();
  });

  it('is capped by the operator\'s maximum, never-expiring clients included', () => {
    expect(effectiveTtl(7200, 3600)).toBe(3600);
    expect(effectiveTtl(-1, 3600)).toBe(3600);
    expect(effectiveTtl(600, 3600)).toBe(600);
    expect(effectiveTtl(undefined, 60)).toBe(60);
  });
});
