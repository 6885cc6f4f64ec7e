/**
 * One flush of buffered counters at a time: a call while one runs shares it. Only the first
 * failure of a run is reported, not one line every interval while the database is away.
 */
export class SingleFlush {
  readonly #run: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #running: Promise<void> | undefined;
  #failing = false;

  constructor(run: () => Promise<void>, onError: (err: unknown) => void) {
    this.#run = run;
    this.#onError = onError;
  }

  /** Starts a flush, or joins the one under way. Never rejects. */
  flush(): Promise<void> {
    this.#running ??= this.#run()
      .then(() => {
        this.#failing = false;
      }, (err: unknown) => {
        if (!this.#failing) this.#onError(err);
        this.#failing = true;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** The flush under way, if any, finished. */
  async settled(): Promise<void> {
    await this.#running;
  }
}
