import {
  KEY_TYPE_CLAIM, type ApplicationDetail, type ApplicationSummary, type IssuedCredentials, type KeySet,
} from '../applications/index.js';

/** What the management API shows of applications and key sets: claim-style key types, no internals. */
export function presentKeySet(k: KeySet) {
  return {
    key_type: KEY_TYPE_CLAIM[k.key_type],
    consumer_key: k.consumer_key,
    scopes: k.scopes,
    access_token_ttl: k.access_token_ttl,
    created_at: k.created_at,
    secret_updated_at: k.secret_updated_at,
    ...(k.previous_secret_expires_at ? { previous_secret_expires_at: k.previous_secret_expires_at } : {}),
    dpop_bound: k.dpop_bound,
  };
}

export function presentApplication(a: ApplicationSummary | ApplicationDetail) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    token_type: a.token_type,
    access_token_ttl: a.access_token_ttl,
    subscriptions: a.subscriptions,
    require_dpop: a.require_dpop,
    owner: a.owner,
    key_sets: a.key_sets.map((k) => KEY_TYPE_CLAIM[k]),
    ...(a.deleting ? { deleting: true } : {}),
    ...('keys' in a
      ? {
          keys: {
            production: a.keys.production && presentKeySet(a.keys.production),
            sandbox: a.keys.sandbox && presentKeySet(a.keys.sandbox),
          },
        }
      : {}),
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

export function presentCredentials(c: IssuedCredentials) {
  return {
    ...presentKeySet(c.key_set),
    consumer_secret: c.consumer_secret,
    tokens: c.tokens,
    ...(c.token_error ? { token_error: c.token_error } : {}),
  };
}
