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
  readonly #maxInFlight: number;
  #queue: Pending<T>[] = [];
  #writers = 0;
  #scheduled = false;

  /**
   * `maxInFlight` writers drain the queue side by side: one batch commits while the next is
   * on the wire, which keeps a database that commits slowly (SQLite under FerretDB) busy.
   */
  constructor(coll: Collection<T>, maxInFlight = 2) {
    this.#coll = coll;
    this.#maxInFlight = maxInFlight;
  }

  insert(doc: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ doc, resolve, reject });
      if (!this.#scheduled && this.#writers < this.#maxInFlight) {
        this.#scheduled = true;
        // Let the current tick's other requests join this batch.
        setImmediate(() => {
          this.#scheduled = false;
          void this.#writer();
        });
      }
    });
  }

  async #writer(): Promise<void> {
    this.#writers++;
    try {
      while (this.#queue.length) await this.#write(this.#queue.splice(0, MAX_BATCH));
    } finally {
      this.#writers--;
    }
  }

  async #write(batch: Pending<T>[]): Promise<void> {
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
}

/**
 * Lookups by _id: concurrent requests for the same id share one read. Each distinct id is
 * its own `findOne`, never one `$in` query: FerretDB v1 does not push `$in` down to SQLite (a
 * full scan), and a result larger than the first batch leaves a cursor open that, with the
 * connection pool busy, may never be drained.
 */
export class SharedFinder<T extends Document & { _id: string }> {
  readonly #coll: Collection<T>;
  readonly #inFlight = new Map<string, Promise<WithId<T> | null>>();

  constructor(coll: Collection<T>) {
    this.#coll = coll;
  }

  find(id: string): Promise<WithId<T> | null> {
    let pending = this.#inFlight.get(id);
    if (!pending) {
      // The generic T cannot prove `_id: string` to the driver's Filter type; the bound can.
      pending = this.#coll.findOne({ _id: id } as Filter<T>).finally(() => this.#inFlight.delete(id));
      this.#inFlight.set(id, pending);
    }
    return pending;
  }
}
