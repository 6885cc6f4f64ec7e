import { describe, expect, it } from 'vitest';

import { nextSweepDelayMs } from './sweeper.js';

describe('sweep spacing', () => {
  it('sweeps at the configured interval while sweeps are quick', () => {
    expect(nextSweepDelayMs(60_000, 40)).toBe(60_000);
  });

  it('spaces slow sweeps out so they take at most 2% of the time', () => {
    // e.g. a full read of a million-token collection on FerretDB taking 4 s
    expect(nextSweepDelayMs(60_000, 4_000)).toBe(200_000);
    expect(4_000 / nextSweepDelayMs(60_000, 4_000)).toBeLessThanOrEqual(0.02);
  });
});
