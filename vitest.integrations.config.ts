import { defineConfig } from 'vitest/config';

// The integration guides' examples (docs/integrations/), each run against a real keyforge
// server by `npm run test:integrations`. Separate from `npm test`: it needs Java, Maven,
// Python and Go, and builds the examples on first use.
export default defineConfig({
  test: {
    include: ['test/integrations/**/*.integration.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 90_000,
    // First runs build the examples (Maven, pip, go build) in beforeAll.
    hookTimeout: 600_000,
    // Each file runs JVMs, Python or Go processes beside the server; two cores.
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'test-artifacts/integrations-results.json' }]],
  },
});
