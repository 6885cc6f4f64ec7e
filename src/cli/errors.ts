/** A failure to report as one line `error: <message>` with exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Bad input from the command line: exit code 2, like commander's own usage errors. */
export class UsageError extends CliError {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The first line of a message: errors are reported on exactly one line. */
export function oneLine(message: string): string {
  return (message.split('\n').find((l) => l.trim()) ?? 'failed').trim();
}
