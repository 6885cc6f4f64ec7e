// Runs the embedded MongoDB-compatible server for local development:
//   node dist/scripts/db-server.js [--data ./data] [--port 27017]
//   node dist/scripts/db-server.js --build-only   (CI: pre-build FerretDB)

import { parseArgs } from 'node:util';
import { ensureFerretDbBinary, startEmbeddedServer } from '../src/store/embedded-server.js';

// Diagnostics go to stderr so stdout carries only the URI (or binary path).
const log = (line: string): void => console.error(line);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: './data' },
      port: { type: 'string' },
      'build-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

  if (values.help) {
    log('usage: db-server [--data DIR] [--port N] | --build-only');
    return;
  }
  if (values['build-only']) {
    console.log(await ensureFerretDbBinary(log));
    return;
  }

  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new Error(`--port must be a TCP port number, got ${values.port}`);
  }
  const server = await startEmbeddedServer({ dataDir: values.data, port, log });
  console.log(server.uri);

  const shutdown = (signal: string): void => {
    log(`${signal}: stopping ${server.kind}`);
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // The loop only drains if the server died on its own (shutdown() exits
  // explicitly), and that should not look like success.
  process.once('beforeExit', () => {
    process.exitCode = 1;
  });
}

main().catch((err: unknown) => {
  log(`db-server: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
