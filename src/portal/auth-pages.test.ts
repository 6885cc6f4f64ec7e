import { describe, expect, it } from 'vitest';

import { safeNext } from './auth-pages.js';

describe('safeNext', () => {
  const HOME = safeNext(undefined);

  it('keeps a portal path with its query', () => {
    expect(safeNext('/portal/applications?page=2')).toBe('/portal/applications?page=2');
    expect(safeNext('/portal')).toBe('/portal');
  });

  it('resolves the path as a browser would before deciding', () => {
    expect(safeNext('/portal/apis/../applications')).toBe('/portal/applications');
    expect(safeNext('/portal/../api/keys')).toBe(HOME);
  });

  it('sends anything that leaves the portal home', () => {
    for (const next of [
      'https://evil.example/portal', '//evil.example/portal', '/\\evil.example/portal', '\\\\evil.example',
      'portal/applications', '/portalx', '/api/export', '', 'javascript:alert(1)', '/%2e%2e/api',
    ]) {
      expect(safeNext(next), next).toBe(HOME);
    }
  });

  it('drops a fragment', () => {
    expect(safeNext('/portal/apis#top')).toBe('/portal/apis');
  });
});
