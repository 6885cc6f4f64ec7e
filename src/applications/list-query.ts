import type { Filter } from 'mongodb';

import { decodeCursor } from '../http/paging.js';
import type { ApplicationDoc } from './model.js';

export interface ApplicationListQuery {
  limit?: number;
  /** Cursor: the name_key of the last application of the previous page. */
  after?: string;
  /** Names starting with this, in any case. */
  search?: string;
  /** Only the applications of this portal account (lower-case username). */
  owner?: string;
}

/** Above every character a name can hold, so [prefix, prefix + END) is "starts with prefix". */
const END = '\u{10FFFF}';

/**
 * One range on name_key (unique index, lower-cased name): after the cursor, and within the
 * search prefix; with an owner, only theirs. A range rather than a regex, so MongoDB reads only the index keys it returns.
 */
export function applicationPageFilter(q: ApplicationListQuery): Filter<ApplicationDoc> {
  const range: { $gt?: string; $gte?: string; $lt?: string } = {};
  const prefix = q.search?.toLowerCase();
  const after = q.after ? decodeCursor(q.after, 1)[0]! : undefined;
  if (prefix) {
    range.$lt = prefix + END;
    if (after === undefined || after < prefix) range.$gte = prefix;
  }
  if (after !== undefined && !range.$gte) range.$gt = after;
  const owner = q.owner !== undefined ? { owner: q.owner } : {};
  return Object.keys(range).length ? { ...owner, name_key: range } : owner;
}
