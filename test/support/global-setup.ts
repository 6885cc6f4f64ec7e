import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TestProject } from 'vitest/node';

import { startEmbeddedServer } from '../../src/store/embedded-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    mongoKind: string;
  }
}

/**
 * One real MongoDB wire-protocol server for the whole run: MONGODB_URI when set (a real
 * MongoDB), else a throwaway mongod or FerretDB. Every test file uses its own database.
 */
export default async function setup(project: TestProject) {
  if (process.env['MONGODB_URI']) {
    project.provide('mongoUri', process.env['MONGODB_URI']);
    project.provide('mongoKind', 'MONGODB_URI');
    return undefined;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'keyforge-test-db-'));
  const server = await startEmbeddedServer({ dataDir, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(`test database: ${server.kind} at ${server.uri}\n`);
  project.provide('mongoUri', server.uri);
  project.provide('mongoKind', server.kind);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
