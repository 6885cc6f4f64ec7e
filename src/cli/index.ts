/**
 * cli: the `keyforge` command (package.json `bin`). It only talks HTTP to a running server:
 * the management API with an admin token fetched per invocation, and the OAuth endpoints
 * (token, introspection, revocation). Tables for people, --json for scripts, exit codes
 * 0 / 1 (one-line reason) / 2 (usage).
 */
export { run, buildProgram } from './program.js';
export type { Io } from './context.js';
