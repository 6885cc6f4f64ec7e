import { SecretHasher } from '../store/hashing.js';

/**
 * Rotation of a client secret without downtime: the new secret works at once, the previous one
 * until a grace period chosen by the person ends (or is ended early). Both are kept only as
 * keyed hashes, in the client's metadata beside client_secret.
 */
export const PREVIOUS_SECRET = 'previous_client_secret';
export const PREVIOUS_SECRET_EXPIRES_AT = 'previous_client_secret_expires_at';

export const DEFAULT_GRACE_SECONDS = 24 * 3600;
/** A grace period longer than this is a second permanent secret, which rotation is not for. */
export const MAX_GRACE_SECONDS = 30 * 24 * 3600;

type Metadata = Record<string, unknown>;

/** The previous secret's end (epoch seconds) while it still works; undefined otherwise. */
export function previousSecretExpiresAt(m: Metadata, now = Date.now()): number | undefined {
  const hash = m[PREVIOUS_SECRET];
  const at = m[PREVIOUS_SECRET_EXPIRES_AT];
  if (typeof hash !== 'string' || !SecretHasher.isHashed(hash) || typeof at !== 'number') return undefined;
  return at * 1000 > now ? at : undefined;
}

/**
 * Metadata with `secret` as the new client_secret (the adapter hashes it on save) and the
 * current hash kept as the previous one until `graceSeconds` from now. A previous secret of an
 * earlier rotation ends here: only one old secret is ever accepted.
 */
export function rotatedMetadata(m: Metadata, secret: string, graceSeconds: number, now = Date.now()): Metadata {
  const current = m['client_secret'];
  if (typeof current !== 'string' || !SecretHasher.isHashed(current)) {
    throw new Error('the client has no stored secret hash to keep');
  }
  return {
    ...m,
    client_secret: secret,
    [PREVIOUS_SECRET]: current,
    [PREVIOUS_SECRET_EXPIRES_AT]: Math.floor(now / 1000) + graceSeconds,
  };
}

/** Metadata without a previous secret (regenerate, or the grace period ended early). */
export function withoutPreviousSecret(m: Metadata): Metadata {
  const { [PREVIOUS_SECRET]: _h, [PREVIOUS_SECRET_EXPIRES_AT]: _at, ...rest } = m;
  return rest;
}

/** The client as oidc-provider builds it: snake_case extra metadata sits on the instance. */
export interface SecretHolder {
  clientId?: string;
  clientSecret?: string;
  [PREVIOUS_SECRET]?: unknown;
  [PREVIOUS_SECRET_EXPIRES_AT]?: unknown;
}

/**
 * Client-secret verification for every endpoint that authenticates a client. The presented
 * value is always HMAC-ed, so a stored hash never works as a secret. A secret that the (per
 * process, briefly cached) client does not accept is checked once more against the stored
 * record, and a match on the previous secret is always confirmed there: a just-rotated secret
 * works at once on every instance, and an ended grace period ends at once on every instance.
 */
export class ClientSecretCheck {
  readonly #hasher: SecretHasher;
  readonly #fresh: (clientId: string) => Promise<Metadata | undefined>;

  constructor(hasher: SecretHasher, freshMetadata: (clientId: string) => Promise<Metadata | undefined>) {
    this.#hasher = hasher;
    this.#fresh = freshMetadata;
  }

  #match(presented: string, m: Metadata): 'current' | 'previous' | undefined {
    const current = m['client_secret'];
    const isCurrent = typeof current === 'string' && this.#hasher.verify(presented, current);
    const previous = m[PREVIOUS_SECRET];
    const isPrevious = previousSecretExpiresAt(m) !== undefined && typeof previous === 'string'
      && this.#hasher.verify(presented, previous);
    return isCurrent ? 'current' : isPrevious ? 'previous' : undefined;
  }

  async verify(presented: string, client: SecretHolder): Promise<boolean> {
    const cached: Metadata = {
      client_secret: client.clientSecret,
      [PREVIOUS_SECRET]: client[PREVIOUS_SECRET],
      [PREVIOUS_SECRET_EXPIRES_AT]: client[PREVIOUS_SECRET_EXPIRES_AT],
    };
    const first = this.#match(presented, cached);
    if (first === 'current' || !client.clientId) return first === 'current';
    const stored = await this.#fresh(client.clientId);
    return stored !== undefined && this.#match(presented, stored) !== undefined;
  }
}
