import { resolve } from 'node:path';

import { ConfigError, loadConfig } from './config/index.js';
import { startServer } from './server.js';
import { startEmbeddedServer, type EmbeddedServer } from './store/embedded-server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  let embedded: EmbeddedServer | undefined;
  if (!config.mongodbUri) {
    // No database configured: run a local one with its data under DATA_DIR, kept across restarts.
    embedded = await startEmbeddedServer({
      dataDir: resolve(config.dataDir),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    config.mongodbUri = embedded.uri;
  }
  const running = await startServer(config);
  process.stdout.write(`keyforge listening on ${config.issuer} (database: ${embedded ? `embedded ${embedded.kind}` : 'MONGODB_URI'})\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.services.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await running.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
