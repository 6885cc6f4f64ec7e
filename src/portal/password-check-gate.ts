/** Ends a password check's hold on the gate; calling it again does nothing. */
export type Leave = () => void;

export type GateAnswer =
  | { entered: true; leave: Leave }
  /** `username`: a check for this username is running; `server`: all places are taken. */
  | { entered: false; busy: 'username' | 'server' };

/**
 * How many password checks run at once in this process: a few in all, one per username.
 * Each scrypt check holds a thread of libuv's small pool and 32 MiB for about 0.1 s, so
 * unbounded checks (one per sign-in with any made-up username) would starve the pool and
 * memory. A check that finds no place is refused at once rather than queued: a queue
 * would only move the exhaustion into memory and make every answer late.
 */
export class PasswordCheckGate {
  readonly #places: number;
  readonly #running = new Set<string>();

  constructor(places: number) {
    this.#places = Math.max(1, places);
  }

  tryEnter(username: string): GateAnswer {
    const key = username.toLowerCase();
    if (this.#running.has(key)) return { entered: false, busy: 'username' };
    if (this.#running.size >= this.#places) return { entered: false, busy: 'server' };
    this.#running.add(key);
    let left = false;
    return {
      entered: true,
      leave: () => {
        if (left) return;
        left = true;
        this.#running.delete(key);
      },
    };
  }
}
