import { MongoServerError } from 'mongodb';

/** An insert that lost to another writer of the same unique key (E11000). */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === 11000;

/**
 * An upsert by `_id` that raced another upsert of the same new id (instances starting together
 * write the same bootstrap records): MongoDB retries the loser itself, FerretDB answers E11000.
 * Written again, it is an update of the winner's record.
 */
export async function upsertRacing<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDuplicateKey(err)) return write();
    throw err;
  }
}
