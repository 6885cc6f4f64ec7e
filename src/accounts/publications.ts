import type { Collection, Db } from 'mongodb';

import type { Api } from '../apis/index.js';
import { upsertRacing } from '../store/index.js';

interface PublicationDoc {
  /** The API's identifier. */
  _id: string;
  published_by: string;
  published_at: Date;
}

/**
 * Which APIs developers see in the portal's catalogue and may subscribe to (`api_publications`).
 * Kept beside the API records rather than in them: publishing is a portal concern, and an API
 * deleted and created again under the same identifier starts unpublished only if it is unpublished.
 */
export class ApiPublications {
  readonly #coll: Collection<PublicationDoc>;

  constructor(db: Db) {
    this.#coll = db.collection<PublicationDoc>('api_publications');
  }

  async published(): Promise<Set<string>> {
    const docs = await this.#coll.find({}, { projection: { _id: 1 } }).limit(10_000).toArray();
    return new Set(docs.map((d) => d._id));
  }

  async publish(identifier: string, by: string): Promise<void> {
    await upsertRacing(() => this.#coll.updateOne(
      { _id: identifier },
      { $set: { published_by: by, published_at: new Date() } },
      { upsert: true },
    ));
  }

  async unpublish(identifier: string): Promise<void> {
    await this.#coll.deleteOne({ _id: identifier });
  }

  /** Of `apis`, those published. */
  async filter(apis: Api[]): Promise<Api[]> {
    const published = await this.published();
    return apis.filter((a) => published.has(a.identifier));
  }
}
