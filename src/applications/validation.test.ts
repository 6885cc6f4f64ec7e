import { describe, expect, it } from 'vitest';

import { NEVER_EXPIRING_TTL } from '../consts/index.js';
import { InvalidInput } from '../http/index.js';
import { checkTtl, describeSeconds } from './validation.js';

const refusal = (run: () => unknown): InvalidInput => {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidInput) return err;
    throw err;
  }
  throw new Error('accepted');
};

describe('checkTtl', () => {
  it('accepts whole seconds up to the cap', () => {
    expect(checkTtl(1, 0)).toBe(1);
    expect(checkTtl(3600, 3600)).toBe(3600);
  });

  it('stores any negative value as -1 (never expires) when no cap is set', () => {
    expect(checkTtl(-1, 0)).toBe(-1);
    expect(checkTtl(-500, 0)).toBe(-1);
  });

  it('refuses never-expiring tokens under a cap, and anything above it', () => {
    expect(refusal(() => checkTtl(-1, 3600)).reason).toMatch(/never expire.*1 hour/);
    expect(refusal(() => checkTtl(3601, 3600)).reason).toMatch(/at most 3600 seconds \(1 hour\)/);
  });

  it('refuses 0, fractions, and a lifetime that would read as "never"', () => {
    expect(refusal(() => checkTtl(0, 0)).field).toBe('access_token_ttl');
    expect(refusal(() => checkTtl(1.5, 0)).reason).toMatch(/whole number/);
    expect(refusal(() => checkTtl(NEVER_EXPIRING_TTL, 0)).reason).toMatch(/use -1/);
    expect(checkTtl(NEVER_EXPIRING_TTL - 1, 0)).toBe(NEVER_EXPIRING_TTL - 1);
  });

  it('names the field it was given', () => {
    expect(refusal(() => checkTtl(0, 0, 'max_access_token_ttl')).field).toBe('max_access_token_ttl');
  });
});

describe('describeSeconds', () => {
  it('speaks of a period in the largest whole unit', () => {
    expect(describeSeconds(3600)).toBe('3600 seconds (1 hour)');
    expect(describeSeconds(90)).toBe('90 seconds');
  });
});
