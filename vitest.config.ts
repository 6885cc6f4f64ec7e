import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file starts its own server(s) on its own database; two cores, so two at a time.
    maxWorkers: 2,
    pool: 'forks',
    // The JSON report lets .ci/run print a plain "N passed, N failed" line at the end.
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-results.json' }]],
  },
});
