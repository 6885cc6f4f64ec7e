import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'hmac-sha256:';

/**
 * Client secrets: keyed hash (a pepper derived from the key-encryption secret) so that a
 * database dump alone does not allow offline guessing of a weak, operator-chosen secret.
 */
export class SecretHasher {
  readonly #key: Buffer;

  constructor(keyEncryptionSecret: string) {
    this.#key = Buffer.from(
      hkdfSync('sha256', keyEncryptionSecret, 'keyforge', 'client-secret-hash', 32),
    );
  }

  static isHashed(value: string): boolean {
    return value.startsWith(SECRET_PREFIX);
  }

  /** Always the HMAC of what is given, so a stored hash presented as a secret never matches. */
  hash(secret: string): string {
    return SECRET_PREFIX + createHmac('sha256', this.#key).update(secret).digest('base64url');
  }

  /** For storage: a value that is already a hash (a client record being re-saved) stays as it is. */
  forStorage(secret: string): string {
    return SecretHasher.isHashed(secret) ? secret : this.hash(secret);
  }

  /** Constant-time: the comparison cost does not depend on where the values differ. */
  verify(presented: string, storedHash: string): boolean {
    const a = Buffer.from(this.hash(presented));
    const b = Buffer.from(storedHash);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
