import {
  MongoBulkWriteError, type Collection, type Document, type Filter, type OptionalUnlessRequiredId, type WithId,
} from 'mongodb';

const MAX_BATCH = 500;

interface Pending<T> {
  doc: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: inserts requested while a write is in flight go out together in the next
 * insertMany. Each caller's promise settles only when its own document is acknowledged (with
 * the collection's write concern), so "answered" still means "stored"; a duplicate or other
 * per-document failure rejects only that caller.
 */
export class BatchInserter<T extends Document> {
  readonly #coll: Collection<T>;
  #queue: Pending<T>[] = [];
  #inFlight = false;

  constructor(coll: Collection<T>) {
    this.#coll = coll;
  }

  insert(doc: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ doc, resolve, reject });
      if (!this.#inFlight) this.#drain();
    });
  }

  #drain(): void {
    this.#inFlight = true;
    // Let the current tick's other requests join this batch.
    setImmediate(() => void this.#writeAll());
  }

  async #writeAll(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        await this.#coll.insertMany(batch.map((p) => p.doc as OptionalUnlessRequiredId<T>), { ordered: false });
        for (const p of batch) p.resolve();
      } catch (err) {
        if (err instanceof MongoBulkWriteError) {
          const failed = new Map<number, unknown>();
          const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
          for (const w of writeErrors) failed.set(w.index, w);
          // Without per-document detail nothing can be assumed stored.
          const unknownOutcome = failed.size === 0;
          batch.forEach((p, i) => (unknownOutcome || failed.has(i) ? p.reject(err) : p.resolve()));
        } else {
          for (const p of batch) p.reject(err);
        }
      }
    }
    this.#inFlight = false;
  }
}

/**
 * Lookups by _id that arrive together are answered by one `$in` query: under load this turns
 * N round trips into one without delaying a lone request by more than a tick.
 */
export class BatchFinder<T extends Document & { _id: string }> {
  readonly #coll: Collection<T>;
  #waiting = new Map<string, ((doc: WithId<T> | null) => void)[]>();
  #failures = new Map<string, ((err: unknown) => void)[]>();
  #scheduled = false;

  constructor(coll: Collection<T>) {
    this.#coll = coll;
  }

  find(id: string): Promise<WithId<T> | null> {
    return new Promise((resolve, reject) => {
      const list = this.#waiting.get(id);
      if (list) {
        list.push(resolve);
        this.#failures.get(id)!.push(reject);
      } else {
        this.#waiting.set(id, [resolve]);
        this.#failures.set(id, [reject]);
      }
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#run());
      }
    });
  }

  async #run(): Promise<void> {
    const waiting = this.#waiting;
    const failures = this.#failures;
    this.#waiting = new Map();
    this.#failures = new Map();
    this.#scheduled = false;
    const ids = [...waiting.keys()];
    try {
      // The generic T cannot prove `_id: string` to the driver's Filter type; the bound can.
      const docs = ids.length === 1
        ? [await this.#coll.findOne({ _id: ids[0] } as Filter<T>)].filter((d): d is WithId<T> => !!d)
        : await this.#coll.find({ _id: { $in: ids } } as Filter<T>).toArray();
      const byId = new Map(docs.map((d) => [String(d._id), d]));
      for (const [id, resolvers] of waiting) for (const r of resolvers) r(byId.get(id) ?? null);
    } catch (err) {
      for (const rejects of failures.values()) for (const r of rejects) r(err);
    }
  }
}
