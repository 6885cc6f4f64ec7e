import { MongoServerError } from 'mongodb';

/** An insert that lost to another writer of the same unique key (E11000). */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === 11000;
