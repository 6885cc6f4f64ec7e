import type { Logger } from 'pino';

import { isDatabaseUnavailable } from './database-health.js';

/**
 * Logs a failed background task (sweepers, revocation sync, key refresh, shared counters).
 * An unreachable database is routine, retried on the next run and already visible in
 * /readyz: one warn line with the error's type and message, no stack, since these tasks run
 * every few hundred milliseconds while it is away. Anything else is unexpected: error level,
 * stack included.
 */
export function logFailure(log: Logger, err: unknown, message: string): void {
  if (isDatabaseUnavailable(err)) {
    const { name, message: reason } = err as Error;
    // Not under `err`: pino's error serializer would rename the type to "Object".
    log.warn({ error: { type: name, message: reason } }, message);
  } else {
    log.error({ err }, message);
  }
}

/** `logFailure` bound to a logger and a message, for `.catch()` and `onError` callbacks. */
export const failureLogger = (log: Logger, message: string) => (err: unknown): void => logFailure(log, err, message);
