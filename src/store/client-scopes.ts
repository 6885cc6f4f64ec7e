import type { Adapter, AdapterPayload } from 'oidc-provider';

import type { Collections } from './collections.js';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Drops scope names from every client that lists them (dynamically registered clients and
 * application key sets alike), through the adapter so cached copies are refreshed. Runs
 * before the scopes themselves go, so no client is ever left naming an unknown scope.
 */
export async function pruneClientScopes(
  collections: Collections,
  clientAdapter: Adapter,
  names: string[],
): Promise<number> {
  if (!names.length) return 0;
  const gone = new Set(names);
  const pattern = `(^| )(${names.map(escapeRegex).join('|')})( |$)`;
  const affected = await collections.clients.find({ 'metadata.scope': { $regex: pattern } }).toArray();
  for (const doc of affected) {
    const metadata = { ...doc.metadata } as AdapterPayload;
    const kept = String(metadata['scope'] ?? '').split(' ').filter((s) => s && !gone.has(s));
    if (kept.length) metadata['scope'] = kept.join(' ');
    else delete metadata['scope'];
    await clientAdapter.upsert(doc._id, metadata, 0);
  }
  return affected.length;
}
