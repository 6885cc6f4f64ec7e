/** Where the kit reports why it could not check tokens. */
export type Logger = (message: string) => void;

export interface ProblemLogOptions {
  logger: Logger;
  /** The same cause is logged again at most once per this interval. */
  repeatMs: number;
  /** At most this many distinct causes are logged per interval, so varying messages cannot flood the log. */
  maxCausesPerInterval: number;
}

interface Seen {
  lastLogged: number;
  suppressed: number;
}

const MAX_REMEMBERED = 100;

/**
 * Logs each distinct reason a request got a 503 (a wrong secret, an issuer mismatch, a client
 * that is not linked, a server that is down): the first time it happens, then at most once per
 * interval with the number of repeats in between. Without it a misconfigured API would only
 * ever show its callers a bare 503.
 */
export class ProblemLog {
  readonly #o: ProblemLogOptions;
  readonly #seen = new Map<string, Seen>();
  #windowStart = 0;
  #loggedInWindow = 0;

  constructor(o: ProblemLogOptions) {
    this.#o = o;
  }

  report(err: Error): void {
    const now = Date.now();
    const cause = err.message;
    const seen = this.#seen.get(cause);
    if (seen && now - seen.lastLogged < this.#o.repeatMs) {
      seen.suppressed++;
      return;
    }
    if (now - this.#windowStart >= this.#o.repeatMs) {
      this.#windowStart = now;
      this.#loggedInWindow = 0;
    }
    if (this.#loggedInWindow >= this.#o.maxCausesPerInterval) return;
    this.#loggedInWindow++;
    const repeats = seen?.suppressed ? ` (${seen.suppressed} more since last logged)` : '';
    this.#seen.delete(cause);
    if (this.#seen.size >= MAX_REMEMBERED) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(cause, { lastLogged: now, suppressed: 0 });
    try {
      this.#o.logger(`@keyforge/resource-server: cannot check access tokens, answering 503: ${cause}${repeats}`);
    } catch {
      // A failing logger must not turn a 503 into something else.
    }
  }
}
