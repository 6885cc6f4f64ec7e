import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Command, CommanderError } from 'commander';

import { apiCommands } from './api-commands.js';
import { appCommands } from './app-commands.js';
import { auditCommands } from './audit-commands.js';
import type { Io } from './context.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, oneLine } from './errors.js';
import { loginCommands } from './login-commands.js';
import { clientCommands } from './client-commands.js';
import { serverCommands } from './server-commands.js';
import { tokenCommands } from './token-commands.js';

/** The package version, found by walking up from this file (src/cli or dist/src/cli). */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'keyforge' && pkg.version) return pkg.version;
    } catch {
      // not here; look higher
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export function buildProgram(io: Io): Command {
  const program = new Command('keyforge')
    .description('Manage a keyforge authorization server through its management API')
    .version(version())
    .option('--url <url>', 'server URL (env KEYFORGE_URL; default: the server of the last login)')
    .option('--json', 'machine-readable JSON output')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // One line, always: commander puts its suggestion on a second one.
      outputError: (s, write) => {
        const line = s.trim().replace(/\s*\n\s*/g, ' ');
        write(/^error: unknown option/.test(line) ? `${line} (a value starting with '-' goes after '--')` : line);
      },
    })
    .addHelpText('after', `
Admin credentials: keyforge login --url URL --client-id ID --client-secret SECRET, or the
environment variables KEYFORGE_URL, KEYFORGE_CLIENT_ID and KEYFORGE_CLIENT_SECRET.
Arguments that start with '-' (some client ids and tokens do) go after '--':
  keyforge introspect -- -x3V...
Exit codes: 0 success, 1 failure (one line "error: <reason>" on stderr), 2 usage error.`);

  loginCommands(program, io);
  tokenCommands(program, io);
  apiCommands(program, io);
  appCommands(program, io);
  serverCommands(program, io);
  clientCommands(program, io);
  auditCommands(program, io);
  return program;
}

/** Runs one command line; returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message or the help text.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      return EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.err(`error: ${oneLine(message)}`);
    return err instanceof Error && err.name === 'UsageError' ? EXIT_USAGE : EXIT_FAILURE;
  }
}
