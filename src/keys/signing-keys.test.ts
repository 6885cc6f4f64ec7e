import { describe, expect, it } from 'vitest';

import { signersOf } from './signing-keys.js';

const key = (id: string, alg: 'RS256' | 'ES256' | 'EdDSA', activateAt?: number, status: 'active' | 'retired' = 'active') => ({
  _id: id, alg, status, ...(activateAt === undefined ? {} : { activate_at: new Date(activateAt) }),
});

describe('signersOf (which key signs)', () => {
  it('picks, per algorithm, the newest key already due (keys come oldest first)', () => {
    const signers = signersOf([key('r1', 'RS256', 0), key('e1', 'ES256', 0), key('r2', 'RS256', 500)], 1000);
    expect(signers.get('RS256')).toBe('r2');
    expect(signers.get('ES256')).toBe('e1');
    expect(signers.has('EdDSA')).toBe(false);
  });

  it('keeps the old key signing until its successor is due, retired or not', () => {
    const docs = [key('r1', 'RS256', 0, 'retired'), key('r2', 'RS256', 2000)];
    expect(signersOf(docs, 1999).get('RS256')).toBe('r1');
    expect(signersOf(docs, 2000).get('RS256')).toBe('r2');
  });

  it('treats a key without an activation time as due at once', () => {
    expect(signersOf([key('r1', 'RS256', 0), key('r2', 'RS256')], 1).get('RS256')).toBe('r2');
  });
});
